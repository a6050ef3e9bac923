// The daemon's control side in one call: the ROUTER controller, the PUB publisher and the multicast
// discovery responder, wired to an arbiter.

import type { CircusConfig, CircusOptions } from "../config/types.ts";
import { daemonSampler } from "../stats/index.ts";
import { getLogger } from "../util/log.ts";
import type { ControlledArbiter } from "./arbiter-api.ts";
import type { CommandContext } from "./command.ts";
import { Controller, secureIpcFile } from "./controller.ts";
import { startMulticast, type MulticastResponder } from "./multicast.ts";
import { Publisher, type EventSource } from "./publisher.ts";

const log = getLogger("circus.server");

export interface ControlServerOptions {
  /** Called by `quit` (after its reply is sent): stop everything and exit. */
  onQuit?: () => Promise<void> | void;
  /** How `reloadconfig` re-reads the config; default: loadConfig(configFile). */
  loadConfig?: () => Promise<CircusConfig | null>;
  /** The config file `reloadconfig` re-reads when `loadConfig` is not given. */
  configFile?: string | null;
  /** What `reopen` does (the daemon: reopen log output and output streams, as SIGUSR1); resolves with the files. */
  onReopen?: () => Promise<string[]>;
}

export interface ControlServer {
  /** Resolved control endpoint (real port when bound to port 0). */
  endpoint: string;
  /** Resolved pub/sub endpoint. */
  pubsubEndpoint: string;
  /** UDP port answering discovery, or null when discovery is off. */
  multicastPort: number | null;
  /** The daemon is stopping for good: refuse commands that would start or change work from now on. */
  beginShutdown(): void;
  close(): Promise<void>;
}

/** Bind the control and pub/sub endpoints (and discovery) and start serving `arbiter`. */
export async function startControlServer(
  arbiter: ControlledArbiter & { bus: EventSource },
  circus: CircusOptions,
  options: ControlServerOptions = {},
): Promise<ControlServer> {
  const configFile = options.configFile ?? (arbiter.config.file || null);
  let shuttingDown = false;
  const ctx: CommandContext = {
    arbiter,
    shuttingDown: () => shuttingDown,
    endpointOwner: circus.endpoint_owner ?? null,
    quit: async () => {
      if (options.onQuit) await options.onQuit();
      else await arbiter.stop();
    },
    loadConfig:
      options.loadConfig ??
      (async () => {
        if (!configFile) return null;
        const { loadConfig } = await import("../config/load.ts");
        return loadConfig(configFile);
      }),
    reopen: options.onReopen,
  };

  // A reaped worker is forgotten by `stats` at once: its held /proc files are closed now, not later.
  const forgetReaped = arbiter.bus.subscribe((topic, payload) => {
    if (topic.endsWith(".reap") && typeof payload.process_pid === "number") daemonSampler.forget(payload.process_pid);
  });
  const publisher = await Publisher.bind(circus.pubsub_endpoint, arbiter.bus).catch((err: unknown) => {
    forgetReaped();
    throw err;
  });
  let controller: Controller;
  try {
    // Events are readable by the same users as the control socket.
    secureIpcFile(publisher.endpoint, { endpointOwner: circus.endpoint_owner });
    controller = await Controller.bind(circus.endpoint, ctx, { endpointOwner: circus.endpoint_owner });
  } catch (err) {
    forgetReaped();
    await publisher.close();
    throw err;
  }
  let multicast: MulticastResponder | null = null;
  try {
    multicast = await startMulticast(circus.multicast_endpoint ?? "", controller.endpoint);
  } catch (err) {
    log.warning(`discovery disabled: ${(err as Error).message}`);
  }

  let closing: Promise<void> | null = null;
  return {
    endpoint: controller.endpoint,
    pubsubEndpoint: publisher.endpoint,
    multicastPort: multicast?.port ?? null,
    beginShutdown() {
      shuttingDown = true;
    },
    close() {
      closing ??= (async () => {
        multicast?.close();
        forgetReaped();
        await Promise.all([controller.close(), publisher.close()]);
      })();
      return closing;
    },
  };
}
