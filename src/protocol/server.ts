// The daemon's control side in one call: the ROUTER controller, the PUB publisher and the multicast
// discovery responder, wired to an arbiter, with the security of src/protocol/security.ts: CURVE when
// configured, SO_PEERCRED on ipc, connection caps, and the endpoint_owner boundary per request.

import type { CircusConfig, CircusOptions } from "../config/types.ts";
import { daemonSampler } from "../stats/index.ts";
import { resolveUser } from "../os/users.ts";
import { tcpPeerUid } from "../os/sockets.ts";
import { getLogger } from "../util/log.ts";
import { dirname } from "../util/path.ts";
import type { CurveServerOptions, SocketOptions } from "../zmtp/index.ts";
import type { ControlledArbiter } from "./arbiter-api.ts";
import { ownerLimits, untrustedSources } from "./boundary.ts";
import type { CommandContext } from "./command.ts";
import { Controller, secureIpcFile } from "./controller.ts";
import { startMulticast, type MulticastResponder } from "./multicast.ts";
import { Publisher, type EventSource } from "./publisher.ts";
import { connectionCap, type DaemonSecurity, IpcGate, prepareSecurity, SecurityError } from "./security.ts";

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
  /** CURVE keys and exposure checks, prepared by the daemon; default: prepared here from `circus`. */
  security?: DaemonSecurity;
  /** After a daemon upgrade: the listening fds of the endpoints, served as they are (no bind). */
  inherited?: { control: number; pubsub: number };
  /** What `upgrade` does (the daemon only); absent: the command answers that it is not available. */
  upgrade?: CommandContext["upgrade"];
  /** What `version` answers beyond the version (the daemon's upgrade count). */
  daemonVersion?: CommandContext["daemonVersion"];
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
  /** A daemon upgrade is handing over (true) or was called off (false): changing commands wait. */
  setUpgrading(on: boolean): void;
  /** Answer every request still being worked on with an error saying `reason` (before an upgrade's exec). */
  answerInFlight(reason: string): number;
  /** The listening fds, for a daemon upgrade's hand-over. */
  listening(): { control: number; pubsub: number };
  /** Subscribers connected now whose subscriptions take `topic`. */
  subscribersOf(topic: string): number;
  close(): Promise<void>;
}

/** Bind the control and pub/sub endpoints (and discovery) and start serving `arbiter`. */
export async function startControlServer(
  arbiter: ControlledArbiter & { bus: EventSource },
  circus: CircusOptions,
  options: ControlServerOptions = {},
): Promise<ControlServer> {
  const configFile = options.configFile ?? (arbiter.config.file || null);
  const security =
    options.security ?? (await prepareSecurity(circus, configFile ? dirname(configFile) : process.cwd()));
  for (const warning of security.warnings) log.warning(warning);
  const owner = ownerLimits(circus.endpoint_owner, circus.endpoint);
  // The owner must not be able to write what the daemon runs code from, or hooks would not stay root's.
  const checkSources = (config: CircusConfig) => {
    const problems = owner ? untrustedSources(config) : [];
    if (problems.length > 0) throw new SecurityError(`endpoint_owner ${owner!.name}: ${problems.join("; ")}`);
  };
  checkSources(arbiter.config);
  const allowed = new Set([0, process.geteuid?.() ?? 0]);
  if (circus.endpoint_owner !== null) allowed.add(resolveUser(circus.endpoint_owner).uid);
  const gate = new IpcGate(allowed);
  const curve: CurveServerOptions | undefined = security.curve
    ? { role: "server", keyPair: security.curve.serverKeys, authorize: security.curve.authorize }
    : undefined;
  const socketOptions: SocketOptions = { curve, maxConnections: connectionCap(2), admit: gate.admit };

  let shuttingDown = false;
  let upgrading = false;
  const readConfig =
    options.loadConfig ??
    (async () => {
      if (!configFile) return null;
      const { loadConfig } = await import("../config/load.ts");
      return loadConfig(configFile);
    });
  // Assigned below, before the first request can arrive.
  let controller!: Controller;
  let publisher!: Publisher;
  const ctx: CommandContext = {
    arbiter,
    shuttingDown: () => shuttingDown,
    upgrading: () => upgrading,
    upgrade: options.upgrade,
    daemonVersion: options.daemonVersion,
    quit: async () => {
      if (options.onQuit) await options.onQuit();
      else await arbiter.stop();
    },
    // A re-read config also re-reads the authorized keys: a key removed from the folder loses its
    // connections at once.
    loadConfig: async () => {
      const config = await readConfig();
      if (config) checkSources(config);
      const authorized = security.curve?.authorized;
      if (config && authorized) {
        const revoked = new Set(await authorized.load());
        if (revoked.size > 0) {
          const dropped = [controller, publisher].reduce(
            (n, s) => n + s.disconnect((p) => p.curveKey !== null && revoked.has(p.curveKey)),
            0,
          );
          log.info(`${revoked.size} CURVE key(s) no longer authorized; ${dropped} connection(s) closed`);
        }
      }
      return config;
    },
    reopen: options.onReopen,
  };

  // A reaped worker is forgotten by `stats` at once: its held /proc files are closed now, not later.
  const forgetReaped = arbiter.bus.subscribe((topic, payload) => {
    if (topic.endsWith(".reap") && typeof payload.process_pid === "number") daemonSampler.forget(payload.process_pid);
  });
  try {
    publisher = await Publisher.bind(circus.pubsub_endpoint, arbiter.bus, socketOptions, options.inherited?.pubsub);
  } catch (err) {
    forgetReaped();
    throw err;
  }
  try {
    // Events are readable by the same users as the control socket.
    secureIpcFile(publisher.endpoint, { endpointOwner: circus.endpoint_owner });
    controller = await Controller.bind(circus.endpoint, ctx, {
      endpointOwner: circus.endpoint_owner,
      socket: socketOptions,
      fd: options.inherited?.control,
      requester: (peer) => {
        const uid = gate.uidOf(peer);
        const fd = peer?.transport === "tcp" ? peer.fd : -1;
        return {
          uid,
          owner: owner !== null && uid === owner.uid ? owner : null,
          tcpUid: fd >= 0 ? () => tcpPeerUid(fd) : undefined,
        };
      },
    });
  } catch (err) {
    forgetReaped();
    await publisher.close();
    throw err;
  }
  let multicast: MulticastResponder | null = null;
  try {
    multicast = await startMulticast(circus.multicast_endpoint ?? "", controller.endpoint, circus.multicast_interface);
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
    setUpgrading(on) {
      upgrading = on;
    },
    answerInFlight(reason) {
      return controller.answerInFlight(reason);
    },
    listening() {
      return { control: controller.listeningFd, pubsub: publisher.listeningFd };
    },
    subscribersOf(topic) {
      return publisher.subscribersOf(topic);
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
