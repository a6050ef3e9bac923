// A whole config running, as `circus daemon` runs it: sockets, watchers with their output streams and
// `logs` buffers, circusd-stats and plugins, the control and pub/sub endpoints, reloadconfig and
// reopen, the pidfile — and a clean stop. `circus daemon` is this plus the command line and signals;
// a program embedding circus calls it directly (`import { startCircus } from "circus"`).

import type { HealthEndpoint } from "./health.ts";
import type { Arbiter, ArbiterOptions } from "../arbiter/arbiter.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT } from "../config/options/circus.ts";
import type { CircusConfig, CircusOptions } from "../config/types.ts";
import type { ControlServer } from "../protocol/server.ts";
import { createClient, type Client } from "../protocol/typed-client.ts";
import { deferred } from "../util/async.ts";
import { getLogger, parseLogLevel, setLogLevel, setLogSink, type LogLevel, type LogSink } from "../util/log.ts";
import type { BoundEndpoints } from "../arbiter/internal-watchers.ts";
import { dirname, join, resolve } from "../util/path.ts";
import { VERSION } from "../version.ts";
import type { WorkerJournal } from "../arbiter/worker-journal.ts";
import { claimPidfile, releasePidfile, workerJournalPath } from "./pidfile.ts";
import type { DaemonHandover, UpgradeAnswer, UpgradeRequest } from "./upgrade.ts";

const log = getLogger("circus");

export interface StartOptions {
  /**
   * Running inside another program (the default): control and pub/sub endpoints left at Circus's
   * defaults (tcp ports 5555 and 5556) become ipc sockets in a private temporary directory, and
   * multicast discovery is off, so nothing listens on the network unless the config names it.
   * `circus daemon` passes false: the config's endpoints as they are.
   */
  embedded?: boolean;
  /**
   * systemd's variables (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*), taken out of the environment before the
   * config was read (takeSystemdEnvironment); default: taken from process.env at start. Only a
   * daemon that is not embedded uses them.
   */
  systemdEnvironment?: Record<string, string>;
  /** Answer multicast discovery as the config says even when embedded (default false). */
  multicast?: boolean;
  /** Serve endpoints other hosts can reach without CURVE (as `[circus] insecure = true`); warned at start. */
  insecure?: boolean;
  /** A pidfile (wins over `[circus] pidfile`); refused when a live process holds it. */
  pidfile?: string | null;
  /**
   * The library's logger: `{ level, sink }` to set them, false to leave them as they are (the caller set
   * them up), or absent to follow the config's `loglevel` and `logoutput`, as the daemon does.
   */
  log?: { level?: LogLevel; sink?: LogSink } | false;
  /**
   * Called once the endpoints answer, before the watchers start: the daemon tells a `--daemon` caller and
   * installs its signal handlers, so a SIGTERM during a long start already stops it.
   */
  onListening?: (running: RunningCircus) => void;
  /** Reopen what the caller opened (the daemon's `--log-output` file) on `reopen`; resolves with its files. */
  onReopen?: () => string[];
  /**
   * `circus daemon` only: the arguments it was started with (after the word `daemon`), which an upgrade
   * re-executes; without them `upgrade` is not available.
   */
  daemonArgs?: string[];
  /** What the previous image handed over, when this one starts from an upgrade's exec. */
  handover?: DaemonHandover | null;
  /** Called just before an upgrade's exec: write out what the caller buffers (its log output). */
  beforeExec?: () => Promise<void>;
}

/** A running config; `stop()` ends it (as `quit` does, which also resolves `stopped`). */
export interface RunningCircus {
  readonly arbiter: Arbiter;
  /** The config as it runs (endpoints as bound when embedded). */
  readonly config: CircusConfig;
  /** Where the control channel listens (resolved: the real port of a `:0` endpoint). */
  readonly endpoint: string;
  readonly pubsubEndpoint: string;
  /** A control-channel client of this daemon, a method per command, made at first use (closed by `stop()`). */
  readonly client: Client;
  /** Resolves once everything has stopped, whoever asked (`stop()`, `quit`). */
  readonly stopped: Promise<void>;
  /** True from the moment a stop begins. */
  readonly stopping: boolean;
  /** Stop every watcher (graceful_timeout, then SIGKILL), close the endpoints and sockets, release the pidfile. */
  stop(): Promise<void>;
  /** Reopen the log output and every output stream file (SIGUSR1, `reopen`); resolves with the files. */
  reopen(): Promise<string[]>;
  /** Re-execute in place (SIGUSR2, `upgrade`); rejects with the reason when the daemon stays as it is. */
  upgrade(request?: UpgradeRequest): Promise<UpgradeAnswer>;
  /** Why the daemon stopped itself: a critical watcher gave up (the daemon then exits 1); else null. */
  readonly fatal: string | null;
}

/** A private directory for the embedded daemon's ipc endpoints, removed at stop. */
async function privateDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const path = mkdtempSync(join(tmpdir(), "circus-"));
  return { path, remove: async () => rmSync(path, { recursive: true, force: true }) };
}

/** The endpoints an embedded daemon binds: Circus's default tcp ports are swapped for private ipc sockets. */
async function embeddedCircus(
  circus: CircusOptions,
  multicast: boolean,
): Promise<{ circus: CircusOptions; cleanup: (() => Promise<void>) | null }> {
  const defaults = circus.endpoint === DEFAULT_ENDPOINT || circus.pubsub_endpoint === DEFAULT_PUBSUB_ENDPOINT;
  const next = { ...circus, multicast_endpoint: multicast ? circus.multicast_endpoint : "" };
  if (!defaults) return { circus: next, cleanup: null };
  const dir = await privateDir();
  if (next.endpoint === DEFAULT_ENDPOINT) next.endpoint = `ipc://${dir.path}/control.sock`;
  if (next.pubsub_endpoint === DEFAULT_PUBSUB_ENDPOINT) next.pubsub_endpoint = `ipc://${dir.path}/pubsub.sock`;
  return { circus: next, cleanup: dir.remove };
}

interface Logging {
  /** Put the logger back as it was (and close an output we opened). */
  undo(): Promise<void>;
  /** Reopen an output file we opened; its path. */
  reopen(): string[];
}

/** The logger as `options.log` says. */
async function setUpLogging(config: CircusConfig, option: StartOptions["log"]): Promise<Logging> {
  if (option === false) return { undo: async () => {}, reopen: () => [] };
  if (option !== undefined) {
    if (option.level) setLogLevel(option.level);
    const previous = option.sink ? setLogSink(option.sink) : null;
    return {
      undo: async () => {
        if (previous) setLogSink(previous);
      },
      reopen: () => [],
    };
  }
  const level = parseLogLevel(config.circus.loglevel);
  if (level) setLogLevel(level);
  const { openLogOutput, logOutputFile } = await import("../streams/logoutput.ts");
  const cwd = dirname(config.file || ".");
  const output = await openLogOutput(config.circus.logoutput, { cwd });
  const previous = setLogSink(output);
  const file = logOutputFile(config.circus.logoutput, cwd);
  return {
    undo: async () => {
      setLogSink(previous);
      await output.close();
    },
    reopen: () => {
      output.reopen();
      return file ? [file] : [];
    },
  };
}

/**
 * Run `source` (a config file, or a loaded CircusConfig) as `circus daemon` does; resolves once its
 * control endpoint answers and its watchers have started. Rejects (having undone everything) when it
 * cannot start: a config with problems, a held pidfile, a port in use.
 */
/**
 * After an upgrade the control and pub/sub endpoints are the previous image's (their listening sockets
 * were handed over): an address changed in the file is not taken, and says so rather than leave
 * `circus ctl` failing at the new one. A port 0 or a relative ipc path in the file is no change.
 */
function warnEndpointsKept(file: CircusOptions, handover: DaemonHandover): void {
  const kept: [string, string, string][] = [
    ["endpoint", file.endpoint, handover.control.endpoint],
    ["pubsub_endpoint", file.pubsub_endpoint, handover.pubsub.endpoint],
  ];
  for (const [key, wanted, serving] of kept) {
    const ipcPath = (e: string) => (e.startsWith("ipc://") ? resolve(e.slice("ipc://".length)) : null);
    const same =
      wanted === serving || /:0$/.test(wanted) || (ipcPath(wanted) !== null && ipcPath(wanted) === ipcPath(serving));
    if (!same) {
      log.warning(
        `[circus] ${key} = ${wanted} in the config is not taken by an upgrade: the daemon keeps serving ${serving}; restart it to move there`,
      );
    }
  }
}

export async function startCircus(source: string | CircusConfig, options: StartOptions = {}): Promise<RunningCircus> {
  const { loadConfig } = await import("../config/load.ts");
  const loaded = typeof source === "string" ? await loadConfig(resolve(source)) : source;
  const embedded = options.embedded ?? true;
  const { circus, cleanup } = embedded
    ? await embeddedCircus(loaded.circus, options.multicast === true)
    : { circus: loaded.circus, cleanup: null };
  // After an upgrade the endpoints are the ones the previous image bound (real ports), served on its fds.
  const config: CircusConfig = options.handover
    ? {
        ...loaded,
        circus: {
          ...circus,
          endpoint: options.handover.control.endpoint,
          pubsub_endpoint: options.handover.pubsub.endpoint,
        },
      }
    : { ...loaded, circus };
  // What stop (or a failed start) undoes, in reverse order.
  const undo: (() => Promise<void> | void)[] = [];
  if (cleanup) undo.push(cleanup);
  const undoAll = async () => {
    for (const step of undo.splice(0).reverse()) {
      await Promise.resolve(step()).catch((err: Error) => log.error(`cleaning up: ${err.message}`));
    }
  };
  try {
    const logging = await setUpLogging(config, options.log);
    undo.push(() => logging.undo());
    if (options.handover) warnEndpointsKept(circus, options.handover);
    const reopenLog = () => [...logging.reopen(), ...(options.onReopen?.() ?? [])];
    return await serve(config, options, { undo, undoAll, reopenLog });
  } catch (error) {
    await undoAll();
    throw error;
  }
}

interface Lifecycle {
  undo: (() => Promise<void> | void)[];
  undoAll: () => Promise<void>;
  reopenLog: () => string[];
}

async function serve(config: CircusConfig, options: StartOptions, life: Lifecycle): Promise<RunningCircus> {
  const { undo, undoAll } = life;
  const { Arbiter } = await import("../arbiter/arbiter.ts");
  const { withInternalWatchers } = await import("../arbiter/internal-watchers.ts");
  const { WatcherOutput, reopenAllStreams, openStreamPaths } = await import("../streams/index.ts");
  const { startControlServer } = await import("../protocol/server.ts");
  const { prepareSecurity, internalClientEnv, encodeInternalKey } = await import("../protocol/security.ts");
  const { CURVE_KEY_ENV, CURVE_SERVER_KEY_ENV } = await import("../protocol/client.ts");
  const { loadConfig } = await import("../config/load.ts");
  const { getRlimit, raiseNofileToHard } = await import("../os/rlimit.ts");
  const { umask, prctlSetChildSubreaper } = await import("../os/process.ts");
  const { takeListenFds, takeSystemdEnvironment } = await import("../os/systemd.ts");
  const { SystemdService } = await import("./systemd.ts");
  const { startHealthEndpoint } = await import("./health.ts");

  if (config.circus.umask !== null) umask(config.circus.umask);
  try {
    raiseNofileToHard();
  } catch (error) {
    log.warning(`could not raise the open-files limit: ${(error as Error).message}`);
  }
  // Client keys of whoever started the daemon are no business of its workers (copy_env would pass them on).
  delete process.env[CURVE_KEY_ENV];
  delete process.env[CURVE_SERVER_KEY_ENV];
  const security = await prepareSecurity(config.circus, dirname(config.file || "."), {
    insecure: options.insecure === true,
    internal: options.handover?.internalCurveKey ?? null,
  });
  // The daemon's own watchers (circusd-stats, plugins, the console) get the internal key, and stats the certificate.
  const internal: BoundEndpoints = {
    env: internalClientEnv(security),
    statsCurve: security.curve
      ? { secretKeyFile: security.curve.serverKeyFile, authorizedKeys: security.curve.authorized?.dir ?? null }
      : undefined,
  };

  // As the system's daemon (not embedded in a program): orphaned grandchildren come back to us and are
  // reaped; systemd's sockets and notifications are ours (the variables are taken out of the environment).
  const asService = options.embedded === false;
  if (asService) {
    try {
      prctlSetChildSubreaper();
    } catch (error) {
      log.warning(`cannot become a child subreaper, orphans go to init: ${(error as Error).message}`);
    }
  }
  const systemdEnv = asService ? (options.systemdEnvironment ?? takeSystemdEnvironment()) : {};
  const systemdSockets = asService ? takeListenFds(systemdEnv) : [];
  const service = asService ? SystemdService.fromEnv(systemdEnv) : null;
  if (service) undo.push(() => service.close());

  const pidfile = options.pidfile ?? config.circus.pidfile;
  if (pidfile) {
    claimPidfile(resolve(pidfile));
    undo.push(() => releasePidfile(resolve(pidfile)));
  }
  // A daemon (not a program embedding circus) keeps a worker journal, and first stops what a
  // predecessor killed before its time left running — before anything of ours binds or starts.
  const handover = options.handover ?? null;
  const journal =
    options.embedded === false
      ? await takeOverJournal(config, pidfile ? resolve(pidfile) : null, handover !== null)
      : null;
  // After an upgrade the handed-over workers are written down at once: should this image fail to start
  // before it has adopted (and so could stop) them, the next daemon still finds them.
  let adopted = handover === null;
  if (journal && handover) {
    for (const w of handover.arbiter.watchers) for (const worker of w.workers) journal.added(w.name, worker);
  }
  if (journal) undo.push(() => journal.close({ keep: !adopted }));

  // Assigned before any closure below can run (they run only once the daemon is up).
  let arbiter!: Arbiter;
  let server!: ControlServer;
  const configDir = dirname(config.file || ".");
  // Every watcher's stdout/stderr go through its streams and tail buffer; relative filenames are
  // resolved against the config file's directory.
  const openOutput: ArbiterOptions["openOutput"] = (cfg, previous) =>
    WatcherOutput.open(cfg, {
      configDir,
      tailLines: (arbiter?.config ?? config).circus.tail_lines,
      outputPrefix: (arbiter?.config ?? config).circus.output_prefix,
      tail: previous instanceof WatcherOutput ? previous.tail : undefined,
    });
  // Internal watchers (circusd-stats, plugins) are part of every config the arbiter sees, reloads
  // included; a re-read file keeps the endpoints this daemon bound.
  const reread = async () => {
    const next = await loadConfig(config.file);
    return withInternalWatchers({ ...next, circus: { ...next.circus, ...boundEndpoints(config.circus) } }, internal);
  };
  const reopen = async (): Promise<string[]> => {
    const sink = life.reopenLog();
    await reopenAllStreams();
    await arbiter.reopenOutputs();
    return [...sink, ...openStreamPaths()];
  };

  let fatal: string | null = null;
  arbiter = await Arbiter.create(withInternalWatchers(config, internal), {
    openOutput,
    journal: journal ?? undefined,
    handover: handover?.arbiter,
    inheritedSockets: systemdSockets,
    // A critical watcher gave up: stop everything, and `circus daemon` exits 1.
    onFatal: (message) => {
      fatal ??= message;
      void stop();
    },
  });
  adopted = true;
  // Sockets already bound (unix socket files included) must not outlive a failed start.
  undo.push(() => arbiter.close());
  let health: HealthEndpoint | null = null;
  if (config.circus.health !== null) {
    health = await startHealthEndpoint(config.circus.health, arbiter, handover?.health?.fd ?? null);
    const serving = health;
    undo.push(() => serving.close());
  }
  service?.attach(arbiter);
  const done = deferred();
  let client: Client | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      service?.stopping();
      log.info("stopping all watchers");
      // From here on nothing may start workers that the exit would leave behind; events of the stop
      // still reach subscribers: the endpoints close after the watchers.
      server.beginShutdown();
      await client?.close();
      await arbiter.close();
      await server.close();
      await undoAll();
      log.info("arbiter stopped");
      done.resolve();
    })();
    return stopping;
  };
  const upgrades = handover?.upgrades ?? 0;
  /** When the daemon started (epoch seconds): its first image's, through every upgrade. */
  const started = handover?.started ?? Math.round(performance.timeOrigin) / 1000;
  /** Why the last upgrade failed after its checks passed (the exec itself), for `version`; null otherwise. */
  let upgradeError: string | null = null;
  const upgradeHost = async () => {
    const { upgradeDaemon, UPGRADE_TOPIC } = await import("./upgrade.ts");
    return (request: UpgradeRequest) => {
      if (options.daemonArgs === undefined) {
        return Promise.reject(new Error("upgrade is only available in a daemon started by `circus daemon`"));
      }
      if (stopping) return Promise.reject(new Error("the daemon is stopping"));
      upgradeError = null;
      return upgradeDaemon(
        {
          arbiter,
          configFile: config.file,
          daemonArgs: options.daemonArgs,
          upgrades,
          started,
          endpoints: () => {
            const fds = server.listening();
            return {
              control: { endpoint: server.endpoint, fd: fds.control },
              pubsub: {
                endpoint: server.pubsubEndpoint,
                fd: fds.pubsub,
                subscribers: server.subscribersOf(UPGRADE_TOPIC),
              },
            };
          },
          healthFd: () => health?.fd ?? null,
          setUpgrading: (on) => server.setUpgrading(on),
          answerInFlight: (reason) => server.answerInFlight(reason),
          failed: (reason) => {
            upgradeError = reason;
          },
          beforeExec: options.beforeExec ?? (async () => {}),
          execEnv: Object.fromEntries(Object.entries(systemdEnv).filter(([name]) => !name.startsWith("LISTEN_"))),
          internalCurveKey: encodeInternalKey(security),
        },
        request,
      );
    };
  };
  const upgrade = async (request: UpgradeRequest = {}): Promise<UpgradeAnswer> => (await upgradeHost())(request);
  server = await startControlServer(arbiter, config.circus, {
    onQuit: () => stop(),
    loadConfig: config.file ? reread : async () => null,
    onReopen: reopen,
    security,
    inherited: handover ? { control: handover.control.fd, pubsub: handover.pubsub.fd } : undefined,
    upgrade: options.daemonArgs !== undefined ? (request) => upgrade(request) : undefined,
    daemonVersion: () => ({ version: VERSION, pid: process.pid, upgrades, upgrade_error: upgradeError, started }),
  });
  undo.push(() => server.close());
  // Clients as the daemon's own watchers are: with the internal key when the endpoints speak CURVE.
  const ownClient = () =>
    createClient({
      endpoint: server.endpoint,
      curve: security.curve
        ? { serverKey: security.curve.serverKeys.publicKey, keyPair: security.curve.internal }
        : undefined,
    });
  undo.push(() => client?.close());
  log.info(
    `starting circus ${VERSION} (pid ${process.pid}), control at ${server.endpoint}, events at ${server.pubsubEndpoint}`,
  );
  if (handover)
    log.info(`upgrade: the new image serves the control channel ${Date.now() - handover.execAtMs} ms after the exec`);
  const { FD_RESERVE } = await import("../arbiter/fd-reserve.ts");
  warnIfWorkersOutgrowFdLimit(arbiter, getRlimit("nofile").hard, FD_RESERVE);
  // The endpoint answers before anyone is told it is up (a `--daemon` caller returns 0 on that word).
  const probe = ownClient();
  try {
    await probe.numwatchers();
  } finally {
    await probe.close();
  }
  const running: RunningCircus = {
    arbiter,
    config,
    endpoint: server.endpoint,
    pubsubEndpoint: server.pubsubEndpoint,
    get client() {
      client ??= ownClient();
      return client;
    },
    stopped: done.promise,
    get stopping() {
      return stopping !== null;
    },
    stop,
    reopen,
    upgrade,
    get fatal() {
      return fatal;
    },
  };
  options.onListening?.(running);
  await arbiter.start();
  if (handover) {
    const { announceUpgraded, UPGRADE_TOPIC } = await import("./upgrade.ts");
    const now = Date.now();
    log.info(
      `upgraded from circus ${handover.from}: ${arbiter.numprocesses()} workers adopted (upgrade ${handover.upgrades}; ` +
        `${now - handover.askedAtMs} ms since asked, ${now - handover.execAtMs} ms since the exec)`,
    );
    void announceUpgraded(arbiter, handover, () => server.subscribersOf(UPGRADE_TOPIC));
  }
  return running;
}

/** Warn when every watcher at its numprocesses would need more fds than the hard limit allows. */
function warnIfWorkersOutgrowFdLimit(arbiter: Arbiter, hard: number | null, reserve: number): void {
  const { workers, fds } = arbiter.fdsForWorkers();
  if (hard === null || fds + reserve <= hard) return;
  log.warning(
    `${workers} workers need about ${fds + reserve} open files in the daemon (a pidfd each, plus one per captured ` +
      `stdout/stderr), over the open-files hard limit of ${hard}: spawns past that fail with EMFILE and are retried ` +
      "while the others keep running; raise the limit (LimitNOFILE=, ulimit -Hn) or lower numprocesses",
  );
}

/**
 * Stop what a previous daemon on this config left running (it was killed, so its workers were never
 * stopped), then start this daemon's own journal. Null (with a warning) when no journal can be kept.
 */
async function takeOverJournal(
  config: CircusConfig,
  pidfile: string | null,
  upgraded: boolean,
): Promise<WorkerJournal | null> {
  const { liveOwner, readJournal, stopLeftovers, WorkerJournal } = await import("../arbiter/worker-journal.ts");
  const { SIGTERM } = await import("../os/signals.ts");
  let path: string;
  let found: ReturnType<typeof readJournal>;
  try {
    path = workerJournalPath(pidfile, config.circus.endpoint);
    found = readJournal(path);
  } catch (error) {
    log.warning(
      `no worker journal (a restart after a crash will not find this daemon's workers): ${(error as Error).message}`,
    );
    return null;
  }
  // The same config started twice: truncating the running daemon's journal would make its workers
  // unfindable after its crash (then doubled), and an ipc endpoint would be taken from under it.
  const owner = upgraded ? null : liveOwner(found);
  if (owner !== null) {
    throw new Error(
      `another daemon (pid ${owner}) runs this config (control endpoint ${config.circus.endpoint}, worker journal ${path}): ` +
        `stop it first (circus ctl --endpoint ${config.circus.endpoint} quit) or give this config another endpoint`,
    );
  }
  try {
    const byName = new Map(config.watchers.map((w) => [w.name.toLowerCase(), w]));
    // After an upgrade the journal's workers are ours, handed over: they are adopted, not stopped.
    if (!upgraded)
      await stopLeftovers(found, {
        stopOf: (name) => {
          const w = byName.get(name.toLowerCase());
          return { signum: w?.stop_signal ?? SIGTERM, gracefulTimeoutMs: (w?.graceful_timeout ?? 30) * 1000 };
        },
      });
    return new WorkerJournal(path);
  } catch (error) {
    log.warning(
      `no worker journal (a restart after a crash will not find this daemon's workers): ${(error as Error).message}`,
    );
    return null;
  }
}

function boundEndpoints(c: CircusOptions): Partial<CircusOptions> {
  return { endpoint: c.endpoint, pubsub_endpoint: c.pubsub_endpoint, multicast_endpoint: c.multicast_endpoint };
}
