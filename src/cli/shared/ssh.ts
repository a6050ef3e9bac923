// `--ssh user@host[:port]`: forward a local port to the daemon's endpoint through the system `ssh`,
// so the ZeroMQ connection travels inside the tunnel (the endpoint is as seen from the SSH server).

import { createServer, connect as netConnect } from "node:net";
import { delay } from "../../util/async.ts";
import { parseEndpoint } from "../../zmtp/endpoint.ts";

/** Pause between probes of the local end while the tunnel comes up. */
const PROBE_MS = 50;

/** A running tunnel; `endpoint` is the local address to connect to instead. */
export interface SshTunnel {
  endpoint: string;
  close(): void;
}

/** The tunnel could not be set up; the message says why and what to check. */
export class SshTunnelError extends Error {
  override readonly name = "SshTunnelError";
}

/** Split `user@host[:port]` into the ssh destination and port. */
export function parseSshServer(server: string): { destination: string; port: number | null } {
  const m = /^(.+?)(?::(\d+))?$/.exec(server);
  const destination = m?.[1];
  if (!m || !destination) throw new SshTunnelError(`--ssh "${server}": expected user@host or user@host:port`);
  return { destination, port: m[2] ? Number(m[2]) : null };
}

/** The `ssh` argument list forwarding `localPort` to the remote endpoint. */
export function sshArgs(server: string, remoteEndpoint: string, localPort: number, keyfile?: string | null): string[] {
  const { destination, port } = parseSshServer(server);
  const ep = parseEndpoint(remoteEndpoint);
  let target: string;
  if (ep.transport === "tcp") {
    const host = ep.host === "*" || ep.host === "0.0.0.0" ? "127.0.0.1" : ep.host;
    target = `${host.includes(":") ? `[${host}]` : host}:${ep.port}`;
  } else if (!ep.abstract) {
    target = ep.path; // OpenSSH forwards to a remote unix socket path
  } else {
    throw new SshTunnelError(
      `--ssh cannot forward to the abstract socket "${remoteEndpoint}"; use a tcp:// or ipc:///path endpoint`,
    );
  }
  const args = ["-N", "-o", "ExitOnForwardFailure=yes", "-L", `127.0.0.1:${localPort}:${target}`];
  if (port !== null) args.push("-p", String(port));
  if (keyfile) args.push("-i", keyfile);
  args.push(destination);
  return args;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * Spawn `ssh -N -L …` and resolve once the local end accepts connections (within `timeoutMs`).
 * The ssh process is killed by `close()` and, as a safety net, when this process exits.
 */
export async function openSshTunnel(
  server: string,
  remoteEndpoint: string,
  keyfile?: string | null,
  timeoutMs = 15000,
): Promise<SshTunnel> {
  const localPort = await freePort();
  const args = sshArgs(server, remoteEndpoint, localPort, keyfile);
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(["ssh", ...args], { stdin: "inherit", stdout: "ignore", stderr: "inherit" });
  } catch (err) {
    throw new SshTunnelError(`cannot run ssh (${(err as Error).message}); install an OpenSSH client or drop --ssh`, {
      cause: err,
    });
  }
  const kill = () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
  };
  process.once("exit", kill);
  // ssh says nothing when the forwarding is up, so the local end is probed until it accepts; ssh
  // exiting ends the wait at once.
  const exited = new AbortController();
  void proc.exited.then(() => exited.abort());
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited.signal.aborted) {
    if (await accepts(localPort)) {
      return {
        endpoint: `tcp://127.0.0.1:${localPort}`,
        close() {
          kill();
          process.off("exit", kill);
        },
      };
    }
    await delay(PROBE_MS, exited.signal);
  }
  process.off("exit", kill);
  if (exited.signal.aborted) {
    throw new SshTunnelError(
      `ssh ${server} exited with status ${await proc.exited} before the tunnel was up; check the server, user and --ssh_keyfile`,
    );
  }
  kill();
  throw new SshTunnelError(`ssh tunnel to ${server} was not up after ${timeoutMs / 1000} s`);
}

/** Tunnels to each of `endpoints`, in order; if one cannot be opened, those already open are closed. */
export async function openSshTunnels(
  server: string,
  endpoints: readonly string[],
  keyfile?: string | null,
): Promise<SshTunnel[]> {
  const tunnels: SshTunnel[] = [];
  try {
    for (const endpoint of endpoints) tunnels.push(await openSshTunnel(server, endpoint, keyfile));
  } catch (err) {
    for (const t of tunnels) t.close();
    throw err;
  }
  return tunnels;
}
