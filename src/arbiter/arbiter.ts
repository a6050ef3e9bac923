// The arbiter: owns the sockets and the watchers, starts and stops them in dependency and priority
// order (a watcher starts once what it `depends_on` is ready; stops go in reverse), applies
// configuration changes, runs housekeeping (max_age, on_demand sockets, orphan reaping), and reports a
// `critical` watcher that gives up. It knows no wire: the protocol layer calls these methods and
// republishes `bus` events.

import type { CircusConfig, CircusOptions, WatcherConfig } from "../config/types.ts";
import { startOrder, withDependencies } from "../config/dependencies.ts";
import type { ListenFd } from "../os/systemd.ts";
import { getLogger } from "../util/log.ts";
import { delay } from "../util/async.ts";
import { isSubreaperOrInit, killProcessGroup, reapOrphans, umask } from "../os/process.ts";
import { EventBus, epochSeconds, watcherTopic } from "./bus.ts";
import { ownChildren } from "./children.ts";
import { ReadinessError, WatcherExistsError, WatcherNotFoundError } from "./errors.ts";
import { describeReload, diffConfig, type ReloadConfigSummary } from "./reloadconfig.ts";
import { removeNotifyDir } from "./readiness.ts";
import { SocketRegistry, type CircusSocket } from "./sockets.ts";
import { SerialQueue } from "./queue.ts";
import { Watcher, type WatcherContext } from "./watcher.ts";
import type { WorkerJournalSink } from "./watcher-types.ts";
import type { OpenOutput } from "./outputs.ts";
import type { OutputSink } from "./process.ts";
import type { ArbiterHandover } from "./handover.ts";
import type { RespawnTiming } from "./backoff.ts";

const log = getLogger("circus.arbiter");

export type { ReloadConfigSummary } from "./reloadconfig.ts";

export interface ArbiterOptions {
  /**
   * Opens where a watcher's processes write (the streams layer plugs in here): when a watcher is created
   * (a failure rejects the watcher) and when its stream options change. Default: the daemon's stdout/stderr.
   */
  openOutput?: OpenOutput;
  /** The listening sockets systemd passed to the daemon, taken by `[socket:NAME]` with `systemd = true`. */
  inheritedSockets?: readonly ListenFd[];
  /**
   * A watcher gave up (decisions §1) and it is `critical`, or `[circus] exit_on_failure` is set: the
   * daemon stops everything and exits non-zero. Without it the arbiter only logs.
   */
  onFatal?(message: string): void;
  /** Records every spawn and exit, so a daemon restarted after a crash finds the workers left behind. */
  journal?: WorkerJournalSink;
  /** After a daemon upgrade: what the previous image ran, adopted instead of bound and started anew. */
  handover?: ArbiterHandover;
  /** The watchers' clock of max_age and respawn delays (WatcherContext.now); tests move it instead of waiting. */
  now?: () => number;
  /** The respawn delays' constants (default RESPAWN_TIMING). */
  respawnTiming?: Readonly<RespawnTiming>;
  /** The housekeeping tick when check_delay ≤ 0 (default 1 s, decisions §1). */
  minHousekeepingMs?: number;
}

/** Where the daemon stands, for sd_notify and the health endpoint. */
export interface ReadinessReport {
  /** Every watcher that counts is ready. */
  ready: boolean;
  /** Those that count: the critical ones if any watcher is critical, else every autostart one. */
  watchers: {
    name: string;
    status: string;
    ready: boolean;
    processes: number;
    readyProcesses: number;
    numprocesses: number;
  }[];
}

/** How `watchers()` orders them. */
export type WatcherOrder = "name" | "created";

/** The five options `globaloptions` exposes. */
export type GlobalOptions = {
  endpoint: string;
  pubsub_endpoint: string;
  stats_endpoint: string;
  multicast_endpoint: string;
  check_delay: number;
};

/** The five [circus] options `globaloptions` reports. */
export function globalOptionsOf(c: CircusOptions): GlobalOptions {
  return {
    endpoint: c.endpoint,
    pubsub_endpoint: c.pubsub_endpoint,
    stats_endpoint: c.stats_endpoint,
    multicast_endpoint: c.multicast_endpoint,
    check_delay: c.check_delay,
  };
}

/** [circus] options bound to what the daemon set up at start (endpoints, logging, pidfile). */
const FIXED_CIRCUS_OPTIONS = [
  "endpoint",
  "endpoint_owner",
  "pubsub_endpoint",
  "multicast_endpoint",
  "multicast_interface",
  "curve_secret_key",
  "curve_authorized_keys",
  "insecure",
  "loglevel",
  "logoutput",
  "loggerconfig",
  "pidfile",
  "fqdn_prefix",
  "tail_lines",
] as const;

/** The housekeeping tick when check_delay ≤ 0 (Circus test configs use -1): decisions §1. */
const MIN_HOUSEKEEPING_MS = 1000;
/** How often a stopped on_demand watcher's sockets are checked (the first client should not wait check_delay). */
const ON_DEMAND_POLL_MS = 100;
/** Minimum spacing of on-demand starts of one watcher, so an unaccepted connection cannot cause a spawn loop. */
const ON_DEMAND_RETRY_MS = 1000;

export class Arbiter {
  readonly bus = new EventBus();
  private readonly watcherMap = new Map<string, Watcher>();
  private readonly queue = new SerialQueue();
  private housekeeping: ReturnType<typeof setInterval> | null = null;
  /** Aborted by close(): warmup pauses end at once and nothing more is started. */
  private readonly shutdown = new AbortController();
  private onDemandPoll: ReturnType<typeof setInterval> | null = null;
  /** Last on-demand start per watcher: a socket nobody accepts must not trigger a start every poll. */
  private readonly onDemandStarts = new WeakMap<Watcher, number>();
  /** Aborted by a global stop: dependants still waiting for their dependencies are not started. */
  private startRound = new AbortController();
  /** `stop` was asked for: a global start in progress starts no further watcher. */
  private stopRequested = false;

  private constructor(
    private configValue: CircusConfig,
    private socketRegistry: SocketRegistry,
    private readonly opts: ArbiterOptions,
  ) {}

  /** Bind every [socket:*] and build (stopped) watchers; nothing runs until `start()`. */
  static async create(config: CircusConfig, opts: ArbiterOptions = {}): Promise<Arbiter> {
    const sockets = await SocketRegistry.bindAll(config.sockets, opts.inheritedSockets, opts.handover?.sockets);
    const arbiter = new Arbiter(config, sockets, opts);
    try {
      // After an upgrade a handed-over watcher runs on exactly as it was (its config as loaded, then as
      // `set` changed it): changes in the file wait for `reloadconfig`, as they would have without the
      // upgrade. Watchers added at run time (`add`) are not in the file and come back the same way.
      const handed = new Map((opts.handover?.watchers ?? []).map((h) => [h.name.toLowerCase(), h]));
      for (const cfg of config.watchers) {
        const h = handed.get(cfg.name.toLowerCase());
        await arbiter.insert(h ? h.loaded : cfg);
      }
      for (const h of handed.values()) {
        const w = arbiter.getWatcher(h.name) ?? (await arbiter.insert(h.loaded));
        w.adoptHandedOver(h);
      }
    } catch (err) {
      await arbiter.closeOutputs(arbiter.watchers());
      sockets.closeAll();
      throw err;
    }
    return arbiter;
  }

  get config(): CircusConfig {
    return this.configValue;
  }

  // ---- reads ----

  getWatcher(name: string): Watcher | undefined {
    return this.watcherMap.get(name.toLowerCase());
  }

  /** Like getWatcher, but an unknown name throws WatcherNotFoundError. */
  requireWatcher(name: string): Watcher {
    const w = this.getWatcher(name);
    if (w === undefined) throw new WatcherNotFoundError(name);
    return w;
  }

  /**
   * All watchers sorted by lower-cased name, or in creation order (Circus's own list, which `stats`
   * follows): config watchers by name, then the internal ones, then those added by `add`.
   */
  watchers(order: WatcherOrder = "name"): Watcher[] {
    if (order === "created") return [...this.watcherMap.values()];
    return [...this.watcherMap.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, w]) => w);
  }

  sockets(): CircusSocket[] {
    return this.socketRegistry.list();
  }

  /** Processes tracked by all watchers. */
  numprocesses(): number {
    return this.watchers().reduce((n, w) => n + w.processCount(), 0);
  }

  /**
   * File descriptors the daemon holds for its workers once every watcher runs its numprocesses: per
   * worker Bun's pidfd, plus one socket-pair end per captured channel (decisions §3).
   */
  fdsForWorkers(): { workers: number; fds: number } {
    let workers = 0;
    let fds = 0;
    for (const w of this.watcherMap.values()) {
      const captured = [w.output.stdout, w.output.stderr].filter((t) => t === "capture").length;
      workers += w.numprocesses;
      fds += w.numprocesses * (1 + captured);
    }
    return { workers, fds };
  }

  globalOptions(): GlobalOptions {
    return globalOptionsOf(this.configValue.circus);
  }

  // ---- arbiter-wide mutations (queued) ----

  /**
   * Start autostart watchers (and what they depend on): dependencies first, by descending priority
   * otherwise, with [circus] warmup_delay between them; begin housekeeping. A watcher whose dependencies
   * are not ready yet starts once they are; resolves when every start is done (with a probe: ready).
   */
  async start(): Promise<void> {
    // A stop asked for while the daemon was starting (an early SIGTERM) came first: nothing to start,
    // and no housekeeping ticking on a closed arbiter (its max_age pass would spawn replacements).
    if (this.shutdown.signal.aborted) return;
    this.startHousekeeping();
    const handover = this.opts.handover;
    if (handover) return this.queue.run(() => this.adoptAll(handover));
    const pending = await this.queue.run(() => this.startAll());
    await Promise.all(pending);
  }

  /** The watchers that count for readiness, and whether they are all ready (sd_notify READY=1, /readyz). */
  readiness(): ReadinessReport {
    const all = this.watchers();
    const critical = all.filter((w) => w.config.critical);
    const counted = critical.length > 0 ? critical : all.filter((w) => w.config.autostart && !w.config.on_demand);
    const watchers = counted.map((w) => ({
      name: w.name,
      status: w.status(),
      ready: w.ready,
      processes: w.processCount(),
      readyProcesses: w.readyCount(),
      numprocesses: w.numprocesses,
    }));
    return { ready: watchers.every((w) => w.ready), watchers };
  }

  // ---- daemon upgrade ----

  /**
   * Hand everything over to the next daemon image: each watcher finishes the operation in progress,
   * then stops spawning and replacing, and its output reading pauses (fds given up, nothing lost);
   * housekeeping stops. The caller execs, or calls `thaw` when it cannot.
   */
  handOver(): Promise<ArbiterHandover> {
    return this.queue.run(async () => {
      this.stopHousekeeping();
      const watchers = await Promise.all(this.watchers("created").map((w) => w.handOver()));
      return { watchers, sockets: this.socketRegistry.handOver() };
    });
  }

  /** The exec did not happen: the same image carries on with everything it handed over. */
  thaw(state: ArbiterHandover): void {
    for (const h of state.watchers) this.getWatcher(h.name)?.thaw(h);
    this.startHousekeeping();
  }

  /** The new image (its watchers adopted at creation): replace what is missing; start the ones new in the config. */
  private async adoptAll(handover: ArbiterHandover): Promise<void> {
    const handed = new Map(handover.watchers.map((h) => [h.name.toLowerCase(), h]));
    await Promise.all(
      this.watchers()
        .filter((w) => handed.has(w.name.toLowerCase()))
        .map((w) => w.resumeAfterAdoption()),
    );
    for (const w of this.byPriority("desc")) {
      if (handed.has(w.name.toLowerCase()) || !w.config.autostart || w.config.on_demand) continue;
      await w.start();
    }
  }

  /** Stop every watcher at once (signals in ascending priority order); a start in progress ends at once. */
  stop(): Promise<void> {
    this.stopRequested = true;
    // Dependants still waiting for what they depend on are not started either.
    this.startRound.abort();
    for (const w of this.watcherMap.values()) w.interruptStart();
    return this.queue.run(async () => {
      try {
        await this.stopAll();
      } finally {
        this.stopRequested = false;
      }
    });
  }

  /** Stop everything, write out what the workers left in their pipes, end housekeeping and close the sockets (daemon exit). */
  close(): Promise<void> {
    this.stopHousekeeping();
    // Not queued: a start still spawning with warmup pauses gives up at once instead of finishing first.
    this.shutdown.abort();
    return this.queue.run(async () => {
      await this.stopAll();
      await this.closeOutputs(this.watchers());
      this.socketRegistry.closeAll();
      removeNotifyDir();
    });
  }

  /** Reopen every watcher's output files (SIGUSR1, `reopen`). */
  async reopenOutputs(): Promise<void> {
    await Promise.all(this.watchers().map((w) => w.reopenOutput()));
  }

  /**
   * Graceful reload of every watcher, one after another in reverse start order (dependants before
   * what they depend on; ascending priority otherwise). A failed one is logged and the others go on.
   */
  reload(opts: { graceful?: boolean; sequential?: boolean } = {}): Promise<void> {
    return this.queue.run(async () => {
      let failure: Error | null = null;
      for (const w of startOrder(this.watchers()).reverse()) {
        await w.reload(opts).catch((err: Error) => {
          log.error(`watcher ${w.name}: ${err.message}`);
          failure ??= err;
        });
      }
      if (failure) throw failure;
    });
  }

  /** Full restart: stop all, close and rebind sockets, rebuild watchers from `config` (default: current), start. */
  restart(config: CircusConfig = this.configValue): Promise<void> {
    return this.queue.run(async () => {
      await this.stopAll();
      const old = this.watchers();
      await this.closeOutputs(old);
      this.socketRegistry.closeAll();
      this.watcherMap.clear();
      const running = this.configValue;
      // A rebuilt watcher keeps its tail buffer: `logs` still shows what came before the restart.
      const previous = new Map(old.map((w) => [w.name.toLowerCase(), w.output]));
      const rebuild = async (next: CircusConfig) => {
        this.adopt(next);
        this.socketRegistry = await SocketRegistry.bindAll(next.sockets, this.opts.inheritedSockets);
        for (const cfg of next.watchers) await this.insert(cfg, previous.get(cfg.name.toLowerCase()));
        // Dependants still waiting for theirs start on their own; the restart is done with the spawns.
        void Promise.all(await this.startAll());
      };
      try {
        await rebuild(config);
      } catch (err) {
        // The new config cannot run (a socket will not bind): bring the old one back rather than leave
        // the daemon empty, and let the caller see why.
        log.error(`restart failed, going back to the running config: ${(err as Error).message}`);
        this.watcherMap.clear();
        await rebuild(running);
        throw err;
      }
    });
  }

  /** `add`: the watcher is created stopped (emits `add`); `start` starts it. Duplicate names throw. */
  addWatcher(cfg: WatcherConfig, opts: { start?: boolean } = {}): Promise<Watcher> {
    return this.queue.run(async () => {
      if (this.getWatcher(cfg.name)) throw new WatcherExistsError(cfg.name);
      const w = await this.insert(cfg);
      w.emit("add", { time: epochSeconds() });
      if (opts.start) await w.start();
      return w;
    });
  }

  /** `rm`: emits `remove`, forgets the watcher, then stops it unless `nostop` (processes then run unmanaged). */
  removeWatcher(name: string, opts: { nostop?: boolean } = {}): Promise<void> {
    return this.queue.run(async () => {
      const w = this.requireWatcher(name);
      this.bus.publish(watcherTopic(w.name, "remove"), { time: epochSeconds() });
      this.watcherMap.delete(w.name.toLowerCase());
      if (opts.nostop) {
        w.abandon();
        // Its processes keep running: their pipes are read (and written out) until they close them.
        void w.closeOutput();
      } else {
        await w.stop();
        await w.closeOutput();
      }
    });
  }

  /** Apply a re-read configuration (§9.11); returns what changed. */
  reloadConfig(next: CircusConfig): Promise<ReloadConfigSummary> {
    return this.queue.run(async () => {
      // Dropped watchers are stopped already; a recreated one keeps the tail buffer of the one it replaces.
      const dropped = new Map<string, Watcher>();
      try {
        const summary = await diffConfig(next, {
          current: this.configValue,
          watchers: this.watchers(),
          sockets: this.socketRegistry,
          create: (cfg) => this.insert(cfg, dropped.get(cfg.name.toLowerCase())?.output),
          drop: (w) => {
            this.watcherMap.delete(w.name.toLowerCase());
            dropped.set(w.name.toLowerCase(), w);
          },
          warmup: () => this.warmup(),
          commit: (cfg) => this.adopt(cfg),
        });
        log.info(`reloadconfig: ${describeReload(summary)}`);
        return summary;
      } finally {
        await this.closeOutputs([...dropped.values()]);
      }
    });
  }

  /** Daemon emergency exit (second Ctrl-C): SIGKILL every worker's process group, synchronously. */
  killAll(): void {
    for (const w of this.watchers()) {
      for (const pid of w.pids()) {
        try {
          killProcessGroup(pid, 9);
        } catch (err) {
          log.warning((err as Error).message);
        }
      }
    }
  }

  // ---- internals ----

  /**
   * Take a re-read config as the current one. [circus] values a running daemon can honour apply at once
   * (check_delay, warmup_delay, hooks_timeout, umask, statsd); endpoints and logging were set up at
   * start, so they keep their running values, with a warning (Circus restarted every watcher instead
   * and applied nothing).
   */
  private adopt(next: CircusConfig): void {
    const old = this.configValue.circus;
    const circus: Record<string, unknown> = { ...next.circus };
    for (const key of FIXED_CIRCUS_OPTIONS) {
      if (circus[key] === old[key]) continue;
      log.warning(
        `[circus] ${key} changed to ${JSON.stringify(circus[key])}; it takes effect when the daemon is restarted (keeping ${JSON.stringify(old[key])})`,
      );
      circus[key] = old[key];
    }
    this.configValue = { ...next, circus: circus as unknown as CircusConfig["circus"] };
    if (next.circus.umask !== null && next.circus.umask !== old.umask) umask(next.circus.umask);
    if (next.circus.check_delay !== old.check_delay && this.housekeeping !== null) {
      this.stopHousekeeping();
      this.startHousekeeping();
    }
  }

  /** Build a watcher and open its output (a bad stream option rejects it before it is listed). */
  private async insert(cfg: WatcherConfig, previousOutput?: OutputSink): Promise<Watcher> {
    const arbiter = this;
    const ctx: WatcherContext = {
      bus: this.bus,
      arbiter: this,
      endpoint: this.configValue.circus.endpoint,
      // Getters: reloadconfig may change these [circus] values for running watchers.
      get hooksTimeoutMs() {
        return arbiter.configValue.circus.hooks_timeout * 1000;
      },
      get checkDelayMs() {
        return arbiter.configValue.circus.check_delay * 1000;
      },
      acquireSockets: (c) => this.socketRegistry.forSpawn(c),
      shutdown: this.shutdown.signal,
      openOutput: this.opts.openOutput,
      startDependencies: (w) => this.startDependencies(w),
      gaveUp: (w, why) => this.watcherGaveUp(w, why),
      journal: this.opts.journal,
      now: this.opts.now,
      respawnTiming: this.opts.respawnTiming,
    };
    const w = new Watcher(cfg, ctx);
    await w.openOutput(previousOutput);
    this.watcherMap.set(cfg.name.toLowerCase(), w);
    return w;
  }

  private async closeOutputs(watchers: Watcher[]): Promise<void> {
    await Promise.all(
      watchers.map((w) =>
        w.closeOutput().catch((err: Error) => log.error(`watcher ${w.name}: closing output: ${err.message}`)),
      ),
    );
  }

  /** Priority order; ties by name (Circus orders config watchers by name). */
  private byPriority(order: "asc" | "desc"): Watcher[] {
    const sign = order === "asc" ? 1 : -1;
    return this.watchers().sort((a, b) => sign * (a.priority - b.priority));
  }

  /** The [circus] warmup_delay pause between watchers, cut short by close(). */
  private async warmup(): Promise<void> {
    await delay(this.configValue.circus.warmup_delay * 1000, this.shutdown.signal);
  }

  /**
   * Start the autostart watchers and what they depend on, in start order. One whose dependencies are
   * ready (or that has none) is spawned now; the others start once theirs are ready: their starts are
   * returned, to be awaited outside the queue (a slow dependency must not hold up other commands).
   */
  private async startAll(): Promise<Promise<void>[]> {
    const round = new AbortController();
    this.startRound = round;
    const all = this.watchers();
    const wanted = new Set<Watcher>();
    // on_demand watchers wait for their first connection, unless an autostart one needs them.
    for (const w of all) {
      if (w.config.autostart && !w.config.on_demand) for (const d of withDependencies(all, w.name)) wanted.add(d);
    }
    const started = new Map<Watcher, Promise<void>>();
    let first = true;
    for (const w of startOrder(all)) {
      if (this.shutdown.signal.aborted || round.signal.aborted || this.stopRequested) break;
      if (!wanted.has(w)) continue;
      const deps = this.dependenciesOf(w);
      if (deps.every((d) => d.ready)) {
        if (!first) await this.warmup();
        first = false;
        const spawned = w.start({ wait: false });
        await spawned.catch(() => {});
        started.set(
          w,
          this.logged(
            w,
            spawned.then(() => (w.probed ? w.whenReady(round.signal) : undefined)),
          ),
        );
        continue;
      }
      // Later: once every dependency is ready (each is earlier in the order, so already on its way; a
      // dependency started later itself is waited for first).
      const after = Promise.all(
        deps.map(async (d) => {
          await started.get(d);
          await d.whenReady(round.signal).catch((err: Error) => {
            throw new ReadinessError(`not started: its dependency ${d.name} is not ready (${err.message})`);
          });
        }),
      );
      const start = after.then(async () => {
        if (round.signal.aborted || this.shutdown.signal.aborted) return;
        log.info(`watcher ${w.name}: ${deps.map((d) => d.name).join(", ")} ready, starting`);
        await w.start();
      });
      started.set(w, this.logged(w, start));
    }
    return [...started.values()];
  }

  /** `work` with its failure logged (and swallowed): a start that failed must not fail the others. */
  private logged(w: Watcher, work: Promise<unknown>): Promise<void> {
    return work.then(
      () => undefined,
      (err: Error) => {
        if (!this.shutdown.signal.aborted && !this.startRound.signal.aborted)
          log.error(`watcher ${w.name}: ${err.message}`);
      },
    );
  }

  /** The watchers `w` depends on directly (unknown names are skipped: the loader refuses them). */
  private dependenciesOf(w: Watcher): Watcher[] {
    return w.config.depends_on.flatMap((name) => {
      const d = this.getWatcher(name);
      return d === undefined || d === w ? [] : [d];
    });
  }

  /**
   * Before `w` starts (`start <name>`, a dependant's deferred start): start what it depends on, in
   * order, and wait until each is ready; a dependency that cannot be ready fails the start.
   */
  private async startDependencies(w: Watcher): Promise<void> {
    const unknown = w.config.depends_on.filter((name) => this.getWatcher(name) === undefined);
    if (unknown.length > 0) throw new ReadinessError(`watcher ${w.name} depends on unknown ${unknown.join(", ")}`);
    for (const dep of withDependencies(this.watchers(), w.name)) {
      if (dep === w) continue;
      try {
        if (dep.status() === "stopped" || dep.status() === "stopping") await dep.start();
        else await dep.whenReady(this.shutdown.signal);
        if (!dep.ready) {
          const why = dep.exitState().spawnError;
          throw new ReadinessError(`it is ${dep.status()}${why ? ` (${why})` : ""}`);
        }
      } catch (err) {
        throw new ReadinessError(
          `watcher ${w.name} not started: its dependency ${dep.name}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  }

  /** A watcher gave up: a critical one (or any, with exit_on_failure) stops the daemon. */
  private watcherGaveUp(w: Watcher, why: string): void {
    if (!this.watcherMap.has(w.name.toLowerCase()) || this.shutdown.signal.aborted) return;
    const fatal = w.config.critical || this.configValue.circus.exit_on_failure;
    const message = `watcher ${w.name} gave up: ${why}`;
    if (!fatal) {
      log.warning(message);
      return;
    }
    log.critical(
      `${message}; it is ${w.config.critical ? "critical" : "a watcher and exit_on_failure is set"}: stopping everything`,
    );
    this.opts.onFatal?.(message);
  }

  private async stopAll(): Promise<void> {
    this.startRound.abort();
    // Dependants stop before what they depend on. The others are asked at once: each stop() sends its
    // signals before the next watcher's begins awaiting, so signals go out in ascending priority order
    // while all the waiting happens concurrently.
    const stops = new Map<Watcher, Promise<void>>();
    const all = this.watchers();
    for (const w of startOrder(all).reverse()) {
      const dependants = all.filter((d) => d !== w && this.dependenciesOf(d).includes(w));
      const first = dependants.map((d) => stops.get(d)).filter((p): p is Promise<void> => p !== undefined);
      stops.set(w, first.length === 0 ? w.stop() : Promise.all(first).then(() => w.stop()));
    }
    await Promise.all(stops.values());
  }

  private startHousekeeping(): void {
    if (this.housekeeping !== null) return;
    const checkDelayMs = this.configValue.circus.check_delay * 1000;
    const floorMs = this.opts.minHousekeepingMs ?? MIN_HOUSEKEEPING_MS;
    this.housekeeping = setInterval(() => this.tick(), checkDelayMs > 0 ? checkDelayMs : floorMs);
    this.onDemandPoll = setInterval(() => this.pollOnDemand(), ON_DEMAND_POLL_MS);
    this.housekeeping.unref();
    this.onDemandPoll.unref();
  }

  private stopHousekeeping(): void {
    if (this.housekeeping !== null) clearInterval(this.housekeeping);
    if (this.onDemandPoll !== null) clearInterval(this.onDemandPoll);
    this.housekeeping = null;
    this.onDemandPoll = null;
  }

  /** Every check_delay (1 s when it is ≤ 0): max_age recycling and reaping orphans we inherited as PID 1 / subreaper. */
  private tick(): void {
    for (const w of this.byPriority("desc")) {
      if (w.config.max_age > 0) void w.manageProcesses().catch((err: Error) => log.error(`${w.name}: ${err.message}`));
    }
    try {
      if (isSubreaperOrInit()) {
        const reaped = reapOrphans(ownChildren());
        if (reaped.length > 0) log.debug(`reaped orphans ${reaped.join(", ")}`);
      }
    } catch (err) {
      log.warning(`orphan reaping failed: ${(err as Error).message}`);
    }
  }

  /** Start a stopped on_demand watcher when one of its sockets has a pending connection (only that watcher). */
  private pollOnDemand(): void {
    for (const w of this.watchers()) {
      if (!w.config.on_demand || w.state !== "stopped") continue;
      const last = this.onDemandStarts.get(w) ?? 0;
      if (Date.now() - last < ON_DEMAND_RETRY_MS) continue;
      const fds = this.socketFdsOf(w);
      try {
        if (fds.length === 0 || !this.socketRegistry.readable(fds)) continue;
      } catch (err) {
        log.warning(`on_demand poll failed: ${(err as Error).message}`);
        continue;
      }
      log.info(`watcher ${w.name}: connection pending, starting on demand`);
      this.onDemandStarts.set(w, Date.now());
      void w.start().catch((err: Error) => log.error(`${w.name}: ${err.message}`));
    }
  }

  /**
   * Sockets whose pending connection starts an on_demand watcher: those its cmd/args name
   * (`circus.sockets.<name>`) and its stdin_socket, so traffic on another watcher's socket does not
   * start it; a watcher naming none listens on all of them (as Circus, which polls every socket).
   */
  private socketFdsOf(w: Watcher): number[] {
    // A placeholder of an so_reuseport socket is never bound: nothing can be pending on it.
    const listening = this.socketRegistry.list().filter((s) => !s.perSpawn);
    const named = listening.filter((s) => namesSocket(w.config, s.name));
    return (named.length > 0 ? named : listening).map((s) => s.fd);
  }
}

/** True when `cfg` uses socket `name`: as stdin_socket or through `circus.sockets.<name>` in cmd/args. */
function namesSocket(cfg: WatcherConfig, name: string): boolean {
  if (cfg.stdin_socket?.toLowerCase() === name) return true;
  const text = [cfg.cmd, ...(Array.isArray(cfg.args) ? cfg.args : [cfg.args ?? ""])].join(" ").toLowerCase();
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`circus\\.sockets\\.${escaped}(?![\\w.-])`).test(text);
}
