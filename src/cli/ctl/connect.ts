// Open the control (or pub/sub) connection for circusctl: straight to the endpoint, or through an
// ssh tunnel when `--ssh` is given (the endpoint is then as seen from the ssh server).

import {
  CallError,
  CircusClient,
  TimeoutError,
  DEFAULT_ENDPOINT,
  subscribe,
  type CircusEvent,
  type Subscription,
} from "../../protocol/client.ts";
import type { GlobalOptions } from "./args.ts";
import { openSshTunnel, SshTunnelError, type SshTunnel } from "../shared/ssh.ts";
import { ZmtpError } from "../../zmtp/index.ts";

/** The daemon could not be reached or did not answer (exit 1), as opposed to a bug. */
export function isConnectionFailure(err: unknown): err is Error {
  return (
    err instanceof TimeoutError || err instanceof CallError || err instanceof ZmtpError || err instanceof SshTunnelError
  );
}
import { curveFromFlags } from "../shared/curve.ts";

/** The control endpoint from --endpoint, else $CIRCUSCTL_ENDPOINT, else the default endpoint. */
export function controlEndpoint(globals: GlobalOptions): string {
  return globals.endpoint ?? (process.env.CIRCUSCTL_ENDPOINT || DEFAULT_ENDPOINT);
}

async function tunnel(
  globals: GlobalOptions,
  endpoint: string,
): Promise<{ endpoint: string; tunnel: SshTunnel | null }> {
  if (!globals.ssh) return { endpoint, tunnel: null };
  const t = await openSshTunnel(globals.ssh, endpoint, globals.sshKeyfile, Math.max(globals.timeout, 1) * 3000);
  return { endpoint: t.endpoint, tunnel: t };
}

export interface OpenClient {
  client: CircusClient;
  close(): Promise<void>;
}

/** A client on the control endpoint with the --timeout default (a --timeout 0 still waits 1 ms). */
export async function openClient(globals: GlobalOptions): Promise<OpenClient> {
  const curve = await curveFromFlags(globals);
  const { endpoint, tunnel: t } = await tunnel(globals, controlEndpoint(globals));
  const client = new CircusClient({
    endpoint,
    timeoutMs: Math.max(globals.timeout * 1000, 1),
    curve,
    failFast: true,
  });
  return {
    client,
    async close() {
      await client.close();
      t?.close();
    },
  };
}

/** Subscribe on a pub/sub endpoint (through the tunnel if --ssh). */
export async function openSubscription(
  globals: GlobalOptions,
  endpoint: string,
  topics: string[],
  onEvent: (e: CircusEvent) => void,
): Promise<Subscription> {
  const curve = await curveFromFlags(globals);
  const { endpoint: ep, tunnel: t } = await tunnel(globals, endpoint);
  const sub = subscribe(ep, topics, onEvent, { curve });
  return {
    ready: sub.ready,
    async close() {
      await sub.close();
      t?.close();
    },
  };
}
