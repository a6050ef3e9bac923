// A watcher: N identical worker processes of one command, kept alive event-driven. This is its state
// machine (stopped/starting/active/stopping), operations, hooks and events; the processes live in its
// WorkerPool, which handles exits at once (with a backoff for crash loops), not at the next check_delay
// tick. Mutations run one at a time in a per-watcher queue; reads never wait. With a readiness probe a
// start stays `starting` until numprocesses processes are ready (outside the queue, so a stop is never
// held up), start/incr/restart resolve once they are, and a graceful reload replaces one process at a
// time, each after its successor is ready.

import type { WatcherConfig } from "../config/types.ts";
import { getLogger } from "../util/log.ts";
import { SIGHUP } from "../os/signals.ts";
import { epochSeconds, watcherTopic, type WatcherEvent } from "./bus.ts";
import { HookRunner, type HookCallArguments } from "./hooks.ts";
import { OutputRouting } from "./outputs.ts";
import type { OutputSink } from "./process.ts";
import { SerialQueue } from "./queue.ts";
import type { SignalOptions } from "./signal.ts";
import type { ExitState, StopReason } from "./exits.ts";
import { WorkerPool } from "./worker-pool.ts";
import type { HandedWatcher } from "./handover.ts";
import type {
  KillOptions,
  ProcessInfo,
  ReloadResult,
  StartResult,
  WatcherContext,
  WatcherState,
} from "./watcher-types.ts";
import {
  applyWatcherOption,
  checkWatcherOptions,
  listWatcherOptions,
  type OptionAction,
} from "../config/options/watcher-wire.ts";
import { OptionError, type WireValue } from "../config/options/spec.ts";
import { dirname, resolve } from "../util/path.ts";
import { InvalidOptionError, OperationError, ReadinessError } from "./errors.ts";
import type { ReadinessChange } from "./readiness.ts";

const log = getLogger("circus.watcher");

export type {
  KillOptions,
  ProcessInfo,
  ReloadResult,
  StartResult,
  WatcherContext,
  WatcherState,
} from "./watcher-types.ts";
export type { SignalOptions } from "./signal.ts";

export class Watcher {
  readonly name: string;
  /** The live configuration (a private copy; `set` changes it). */
  readonly config: WatcherConfig;
  /** The configuration as created, which reloadconfig compares with the re-read file. */
  readonly loaded: WatcherConfig;
  private stateValue: WatcherState = "stopped";
  private readonly queue = new SerialQueue();
  /** A stop was asked for: whatever is queued before it (a start, incr) spawns nothing more. */
  private stopRequested = false;
  /** A daemon upgrade took the workers: nothing is spawned or replaced by this image any more. */
  private handingOver = false;
  readonly hooks: HookRunner;
  private readonly outputs: OutputRouting;
  /** The worker processes; this class decides when they start, stop and change. */
  private readonly pool: WorkerPool;
  /** Waits for readiness hear of every state change. */
  private readonly stateListeners = new Set<() => void>();
  /** Whether all numprocesses were ready at the last readiness change (the watcher's `ready` event). */
  private allReady = false;
  /** Aborted by stop(): a rolling reload in progress ends at once. */
  private interrupt: AbortController | null = null;

  constructor(
    initial: WatcherConfig,
    private readonly ctx: WatcherContext,
  ) {
    this.name = initial.name;
    this.config = structuredClone(initial);
    this.loaded = structuredClone(initial);
    this.outputs = new OutputRouting(ctx.openOutput);
    this.hooks = new HookRunner(() => this.config.hooks, {
      watcherName: this.name,
      endpoint: ctx.endpoint,
      // Read at each call: reloadconfig may change [circus] hooks_timeout.
      get timeoutMs() {
        return ctx.hooksTimeoutMs;
      },
      emit: (event, payload) => this.emit(event, payload),
    });
    this.pool = new WorkerPool(
      {
        name: this.name,
        // The same object for the watcher's lifetime: `set` changes it in place.
        config: this.config,
        running: () => this.running(),
        runHook: (name, extra) => this.hooks.run(name, this.hookArgs(extra)),
        emit: (event, payload) => this.emit(event, payload),
        requestManage: () => void this.queue.run(() => this.manage()),
        requestStop: () => void this.queue.run(() => this.doStop(true)),
      },
      ctx,
      this.outputs,
    );
    this.pool.readiness.subscribe((change) => this.readinessChanged(change));
  }

  // ---- reads (never queued) ----

  get state(): WatcherState {
    return this.stateValue;
  }

  status(): WatcherState {
    return this.stateValue;
  }

  /** Target process count. */
  get numprocesses(): number {
    return this.config.numprocesses;
  }

  get priority(): number {
    return this.config.priority;
  }

  /** The watchers this one starts after (config `depends_on`). */
  get depends_on(): readonly string[] {
    return this.config.depends_on;
  }

  /** Pids of tracked processes in spawn order (Circus's `list <name>`). */
  pids(): number[] {
    return this.pool.pids();
  }

  /** Number of tracked processes (actual, not the target). */
  processCount(): number {
    return this.pool.size;
  }

  /** Live processes that are ready (all of them once spawned, without a probe). */
  readyCount(): number {
    return this.pool.readyCount();
  }

  /** Whether `pid` is one of its processes and ready. */
  isReady(pid: number): boolean {
    return this.pool.readiness.isReady(pid);
  }

  /** Whether the watcher has a readiness probe (`ready.*`). */
  get probed(): boolean {
    return this.pool.readiness.probed;
  }

  /** Running with numprocesses processes ready: what dependants and the daemon's readiness wait for. */
  get ready(): boolean {
    return this.stateValue === "active" && this.pool.readyCount() >= this.config.numprocesses;
  }

  processes(): ProcessInfo[] {
    return this.pool.processes();
  }

  /** Why spawning gave up (if it did), restarts, the last exit and exits by reason (decisions §1, §2). */
  exitState(): ExitState {
    const state = this.pool.exitState();
    // A Python hook from the file is why nothing is spawned at all, until `set hooks.<name>` ports it.
    return { ...state, spawnError: this.hooks.unavailable() ?? state.spawnError };
  }

  /** Where new processes write (a WatcherOutput with its tail buffer when the daemon wires streams). */
  get output(): OutputSink {
    return this.outputs.current;
  }

  /** Every option of §2.3 plus free options. */
  options(): Record<string, WireValue> {
    return listWatcherOptions(this.config);
  }

  /** Run the extended_stats hook on a stats object (exceptions propagate, as in Circus). */
  async extendedStats(pid: number, stats: Record<string, unknown>): Promise<void> {
    await this.hooks.runUnwrapped("extended_stats", this.hookArgs({ pid, stats }));
  }

  // ---- mutations (queued) ----

  /**
   * Start (what it depends on first, when the arbiter says so); with a probe, resolves once numprocesses
   * processes are ready, or rejects with ReadinessError at the first one that fails to be (the watcher
   * goes on replacing it).
   */
  async start(opts: { wait?: boolean } = {}): Promise<StartResult> {
    await this.ctx.startDependencies?.(this);
    const before = new Set(this.pids());
    const result = await this.queue.run(() => this.doStart());
    if (!this.probed || this.stateValue === "stopped" || opts.wait === false) return result;
    await this.untilReady(true);
    const after = this.pids();
    return { started: after.filter((p) => !before.has(p)), kept: after.filter((p) => before.has(p)) };
  }

  /**
   * Stop every process; a start (or incr, or a rolling reload) still spawning stops at once instead of
   * finishing first. `gaveUp` says why when this stop means the watcher gives up (the Flapping plugin's
   * last stop), which a `critical` watcher answers by stopping the daemon.
   */
  async stop(opts: { gaveUp?: string } = {}): Promise<void> {
    this.interruptStart();
    await this.queue.run(async () => {
      try {
        await this.doStop();
      } finally {
        this.stopRequested = false;
      }
    });
    if (opts.gaveUp !== undefined) this.ctx.gaveUp?.(this, opts.gaveUp);
  }

  /** Cut a running start or reload short: no more spawns until the stop queued behind it has run. */
  interruptStart(): void {
    this.stopRequested = true;
    this.interrupt?.abort();
  }

  async restart(): Promise<ReloadResult> {
    const result = await this.queue.run(() =>
      this.diff(async () => {
        await this.doStop();
        await this.doStart();
      }),
    );
    if (this.probed && this.stateValue !== "stopped") await this.untilReady(true);
    return result;
  }

  /**
   * Resolves once the watcher is ready (active, numprocesses processes ready), however long its
   * processes take and however often one fails; rejects with ReadinessError when it stops (or gives up)
   * first, or `signal` aborts. What a dependant waits for.
   */
  whenReady(signal?: AbortSignal): Promise<void> {
    return this.untilReady(false, signal);
  }

  reload(opts: { graceful?: boolean; sequential?: boolean } = {}): Promise<ReloadResult> {
    return this.queue.run(() => this.doReload(opts.graceful ?? true, opts.sequential ?? false));
  }

  /** Raise the target; with a probe, resolves once the new processes are ready. */
  async incr(nb = 1): Promise<number> {
    const target = await this.resize(nb);
    if (this.probed && nb > 0 && this.stateValue !== "stopped") await this.untilReady(true);
    return target;
  }

  decr(nb = 1): Promise<number> {
    return this.resize(-nb);
  }

  /** Stop processes with the stop procedure (all, or `pid`); replacements follow if `respawn`. */
  kill(opts: KillOptions = {}): Promise<void> {
    return this.queue.run(async () => {
      const live = this.pool.live();
      const targets = opts.pid === undefined ? live : live.filter((p) => p.pid === opts.pid);
      await Promise.all(
        targets.map((p) =>
          this.pool.stopOne(p, { reason: "kill", signum: opts.signum, gracefulTimeout: opts.gracefulTimeout }),
        ),
      );
      await this.manage();
    });
  }

  /** Run one management pass: max_age recycling, missing spawns, surplus kills. */
  manageProcesses(): Promise<void> {
    return this.queue.run(() => this.manage());
  }

  /**
   * Validate all keys, apply them in order (one `updated` each), then reload or manage once. Changed
   * stream options open the new streams first (bad ones change nothing); running pipes switch to them
   * in place unless the stdio targets change, which takes a reload.
   */
  setOptions(options: Record<string, unknown>): Promise<void> {
    const checked = checkSetOptions(this.config, options as Record<string, WireValue>);
    const baseDir = this.baseDir();
    return this.queue.run(async () => {
      const streamKeys = Object.keys(checked).filter(isStreamKey);
      let next: OutputSink | null = null;
      if (streamKeys.length > 0) {
        const candidate = structuredClone(this.config);
        for (const key of streamKeys) applyWatcherOption(candidate, key, checked[key]!, "set", baseDir);
        next = await this.outputs.prepare(candidate);
      }
      let action: OptionAction = "manage";
      for (const [key, value] of Object.entries(checked)) {
        const asks = applyWatcherOption(this.config, key, value, "set", baseDir);
        if (asks === "reload" && !(next && isStreamKey(key))) action = "reload";
        this.emit("updated", { time: epochSeconds() });
      }
      if (next && !(await this.outputs.install(next))) action = "reload";
      if (action === "reload" && this.stateValue !== "stopped") await this.doReload(true, false);
      else await this.manage();
    });
  }

  /** Relative hook paths given to `set` resolve like the file's: against the config file's directory. */
  private baseDir(): string {
    return this.config.source ? dirname(resolve(this.config.source.file)) : process.cwd();
  }

  setOption(key: string, value: unknown): Promise<void> {
    return this.setOptions({ [key]: value });
  }

  /** Send a signal (§2.2 `signal`): not queued, it changes no watcher state. */
  signal(opts: SignalOptions): Promise<void> {
    return this.pool.signal(opts);
  }

  /** Open the output (at creation; files are created even for a stopped watcher, as in Circus). */
  openOutput(previous?: OutputSink): Promise<void> {
    return this.outputs.init(this.config, previous);
  }

  /** Reopen output files (SIGUSR1, `reopen`). */
  reopenOutput(): Promise<void> {
    return this.outputs.reopen();
  }

  /** Drain and close the output (watcher removed, daemon quit); after `abandon`, pipes are read until EOF. */
  closeOutput(): Promise<void> {
    return this.outputs.close({ untilEof: this.pool.abandoned });
  }

  // ---- daemon upgrade ----

  /**
   * Hand this watcher to the next daemon image: once the operation in progress is done, nothing is
   * spawned or replaced any more, output reading is paused and its fds given up (see WorkerPool.handOver).
   */
  handOver(): Promise<HandedWatcher> {
    return this.queue.run(async () => {
      this.handingOver = true;
      const pool = this.pool.handOver();
      const sink = this.outputs.current;
      // What was read is on disk before the exec; what was not is still in the workers' sockets.
      await sink.flush?.();
      return {
        name: this.name,
        config: this.config,
        loaded: this.loaded,
        state: this.stateValue,
        ...pool,
        tail: sink.tail?.snapshot() ?? null,
      };
    });
  }

  /** The exec did not happen: carry on with the same workers. */
  thaw(handed: HandedWatcher): void {
    this.handingOver = false;
    this.pool.thaw(handed.workers);
  }

  /**
   * The new image after an upgrade: adopt what the previous one ran, in the state it was in (an active
   * watcher stays active without its start hooks or `start` event running again). Synchronous, so the
   * control channel never shows the watcher without its workers; `resumeAfterAdoption` then replaces
   * whatever is missing.
   */
  adoptHandedOver(handed: HandedWatcher): void {
    // Created from the config as loaded; the live one carries what `set` changed since.
    Object.assign(this.config, handed.config);
    if (handed.tail) this.outputs.current.tail?.restore(handed.tail);
    this.pool.adopt(handed);
    // A start still waiting for its processes to be ready goes on here (they are probed again), so the
    // watcher is not called active, nor /readyz ready, before they are; a stop is finished here.
    this.stateValue = handed.state === "active" || handed.state === "starting" ? handed.state : "stopped";
    if (this.stateValue === "stopped" && this.pool.size > 0) this.stateValue = "stopping";
  }

  /** After adoption: spawn what is missing (workers that exited during the hand-over), or finish a stop. */
  resumeAfterAdoption(): Promise<void> {
    return this.queue.run(async () => {
      if (this.stateValue === "active") await this.manage();
      else if (this.stateValue === "starting") {
        await this.manage();
        await this.finishStart();
      } else if (this.stateValue === "stopping") await this.doStop();
    });
  }

  /** Forget every process without stopping it (rm --nostop): they keep running, unmanaged. */
  abandon(): void {
    this.pool.abandon();
    this.setState("stopped");
  }

  // ---- internals ----

  /** Starting or active: processes are spawned and replaced. */
  private running(): boolean {
    if (this.ctx.shutdown?.aborted || this.stopRequested || this.handingOver) return false;
    return this.stateValue === "active" || this.stateValue === "starting";
  }

  private setState(state: WatcherState): void {
    this.stateValue = state;
    for (const listener of [...this.stateListeners]) listener();
  }

  /**
   * Resolves once the watcher is active with numprocesses processes ready; rejects with ReadinessError
   * when the watcher stops first (saying why when it gave up), `signal` aborts, or — `failFast` — as
   * soon as a process fails to be ready.
   */
  private untilReady(failFast: boolean, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null) => {
        this.stateListeners.delete(check);
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => done(new ReadinessError(`stopped waiting for watcher ${this.name} to be ready`));
      const check = () => {
        if (this.ready) return done(null);
        if (this.stateValue === "stopped" || this.stateValue === "stopping") {
          const why = this.exitState().spawnError;
          done(new ReadinessError(`watcher ${this.name} stopped before it was ready${why ? `: ${why}` : ""}`));
        }
      };
      const unsubscribe = this.pool.readiness.subscribe((change) => {
        if (change.kind === "failed" && failFast) done(new ReadinessError(`watcher ${this.name}: ${change.message}`));
        else check();
      });
      this.stateListeners.add(check);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      check();
    });
  }

  /** A process became ready, failed to, or a ready one is gone: finish a start, say when all are ready. */
  private readinessChanged(change: ReadinessChange): void {
    const all = this.probed && this.pool.readyCount() >= this.config.numprocesses && this.running();
    if (all && !this.allReady) this.emit("ready", { time: epochSeconds() });
    this.allReady = all;
    if (change.kind === "ready" && this.stateValue === "starting" && all) {
      void this.queue.run(() => this.finishStart());
    }
  }

  /** The processes are spawned (with a probe: ready): after_start, `active`, the `start` event. */
  private async finishStart(): Promise<void> {
    if (this.stateValue !== "starting" || (this.probed && this.pool.readyCount() < this.config.numprocesses)) return;
    if (!(await this.hooks.run("after_start", this.hookArgs()))) {
      await this.doStop();
      return;
    }
    // A stop requested from an exit handler (max_retry) may have run meanwhile.
    if (this.stateValue !== "starting") return;
    this.setState("active");
    log.info(`${this.name} started`);
    this.emit("start", { time: epochSeconds() });
  }

  private async doStart(): Promise<StartResult> {
    if (this.stateValue !== "stopped") {
      // Circus's words for a start of a running watcher.
      log.info(`${this.name} already running`);
      const before = new Set(this.pids());
      // An explicit start also retries a watcher that gave up spawning while some processes ran.
      this.pool.resetRetries();
      await this.manage();
      const after = new Set(this.pids());
      return { started: [...after].filter((p) => !before.has(p)), kept: [...before].filter((p) => after.has(p)) };
    }
    const unavailable = this.hooks.unavailable();
    if (unavailable !== null) {
      log.warning(`watcher ${this.name} stays stopped: ${unavailable}`);
      return { started: [], kept: [] };
    }
    if (!(await this.hooks.run("before_start", this.hookArgs()))) {
      log.warning(`watcher ${this.name}: before_start hook refused the start`);
      return { started: [], kept: [] };
    }
    this.setState("starting");
    this.allReady = false;
    this.pool.resetRetries();
    const outcome = await this.pool.spawnMissing(true, true);
    // A stop arrived meanwhile: it is queued next and takes over from here.
    if (this.stopRequested) return { started: [], kept: [] };
    if (outcome === "fatal" || (outcome === "gave_up" && this.pool.size === 0) || this.config.numprocesses === 0) {
      await this.doStop(true);
      return { started: [], kept: [] };
    }
    // With a probe, the start finishes once the processes are ready (readinessChanged).
    await this.finishStart();
    if (this.stateValue === "stopped") return { started: [], kept: [] };
    return { started: this.pids(), kept: [] };
  }

  /** `byItself`: the watcher stops on its own (max_retry, a hook, nothing left to run), not on request. */
  private async doStop(byItself = false): Promise<void> {
    if (this.stateValue === "stopped") return;
    this.pool.cancelScheduledManage();
    this.setState("stopping");
    await this.hooks.run("before_stop", this.hookArgs());
    await this.pool.stopAll();
    this.emit("stop", { time: epochSeconds() });
    this.setState("stopped");
    this.allReady = false;
    log.info(`${this.name} stopped`);
    await this.hooks.run("after_stop", this.hookArgs());
    // Stopped by itself with nothing running after max_retry ran out: it gave up (decisions §1).
    const why = this.pool.exitState().spawnError;
    if (byItself && this.pool.gaveUp && why !== null) this.ctx.gaveUp?.(this, why);
  }

  private async doReload(graceful: boolean, sequential: boolean): Promise<ReloadResult> {
    if (!graceful) {
      return this.diff(async () => {
        await this.doStop();
        await this.doStart();
      });
    }
    let interrupted = false;
    const result = await this.diff(async () => {
      if (this.stateValue === "stopped") {
        await this.doStart();
        return;
      }
      this.pool.resetRetries();
      if (this.config.send_hup) {
        for (const p of this.pool.live()) {
          log.info(`watcher ${this.name}: sending SIGHUP to ${p.pid}`);
          p.kill(SIGHUP);
        }
      } else if (this.probed) {
        interrupted = !(await this.readyReload(sequential));
      } else if (sequential) {
        for (const old of this.pool.live()) {
          // Circus reaps each one before spawning its successor: here the reap event is reported.
          await this.pool.stopOne(old, { reason: "reload", reap: true });
          await this.pool.spawnOne();
          await this.pool.warmup();
        }
      } else {
        // New generation first (wids up to 2×numprocesses), then management kills the oldest surplus.
        // A new process that cannot be spawned ends the new generation, as a replacement that is not
        // ready ends a rolling reload: the old processes not replaced keep running. Trying every slot
        // went on past max_retry, two error lines a slot, and for ever (the control channel starved)
        // with a huge numprocesses.
        const spawned = await this.pool.spawnGeneration(this.config.numprocesses);
        if (spawned < this.config.numprocesses && this.running()) {
          log.warning(
            `watcher ${this.name}: reload spawned ${spawned} of ${this.config.numprocesses} new processes; the old ones not replaced keep running`,
          );
        }
        await this.manage({ surplusReason: "reload" });
      }
    });
    // A stop (or the daemon's) cut a rolling reload short: `reload --waiting` must not answer ok for it.
    if (interrupted)
      throw new ReadinessError(`reload of ${this.name} did not finish: the watcher was stopped meanwhile`);
    log.info(`${this.name} reloaded`);
    this.emit("reload", { time: epochSeconds() });
    return result;
  }

  /**
   * A graceful reload with a probe. Rolling (the default): start a replacement, wait until it is ready,
   * then stop one old process, so the ready processes never drop below numprocesses. Sequential: stop
   * one, start its replacement, wait until it is ready. A replacement that fails to be ready (or cannot
   * be spawned) ends the reload with ReadinessError; the old processes not yet replaced keep running.
   */
  private async readyReload(sequential: boolean): Promise<boolean> {
    const interrupt = new AbortController();
    this.interrupt = interrupt;
    const signal = this.ctx.shutdown ? AbortSignal.any([interrupt.signal, this.ctx.shutdown]) : interrupt.signal;
    const old = this.pool.live();
    const stopping: Promise<void>[] = [];
    try {
      for (const [i, previous] of old.entries()) {
        if (signal.aborted || !this.running()) return false;
        if (sequential) await this.pool.stopOne(previous, { reason: "reload", reap: true });
        const outcome = await this.pool.spawnOne();
        const fresh = this.pool.newest();
        const left = old.length - i - (sequential ? 1 : 0);
        const keep = `${left} old process${left === 1 ? "" : "es"} keep${left === 1 ? "s" : ""} running`;
        if (outcome !== "ok" || fresh === undefined) {
          const why = this.pool.exitState().spawnError ?? "see the daemon's log";
          throw new ReadinessError(
            `reload of ${this.name} stopped: a replacement could not be spawned (${why}); ${keep}`,
          );
        }
        try {
          await this.pool.readiness.untilReady(fresh.pid, signal);
        } catch (err) {
          if (signal.aborted) return false;
          throw new ReadinessError(`reload of ${this.name} stopped: ${(err as Error).message}; ${keep}`, {
            cause: err,
          });
        }
        // The old one's stop overlaps the next replacement's start: the ready count stays at numprocesses.
        if (!sequential) stopping.push(this.pool.stopOne(previous, { reason: "reload" }));
      }
      return true;
    } finally {
      if (this.interrupt === interrupt) this.interrupt = null;
      await Promise.all(stopping);
    }
  }

  private resize(delta: number): Promise<number> {
    return this.queue.run(async () => {
      if (this.config.singleton) return this.config.numprocesses;
      this.config.numprocesses = Math.max(0, this.config.numprocesses + delta);
      if (delta > 0) this.pool.resetRetries();
      await this.manage({ force: true });
      return this.config.numprocesses;
    });
  }

  /**
   * Bring the process set in line with the target; `force` spawns even when respawn is off (incr);
   * surplus processes exit with `surplusReason` (a graceful reload's old generation: `reload`).
   * Always runs inside the queue, so a stop it decides on runs here directly (queueing it would let
   * an already queued start/incr slip in before it).
   */
  private async manage(opts: { force?: boolean; surplusReason?: StopReason } = {}): Promise<void> {
    if (!this.running()) return;
    if ((await this.pool.reconcile(opts.force ?? false, opts.surplusReason)) !== "ok") await this.doStop(true);
  }

  private async diff(work: () => Promise<void>): Promise<ReloadResult> {
    const before = new Set(this.pids());
    await work();
    const after = new Set(this.pids());
    return {
      stopped: [...before].filter((p) => !after.has(p)),
      started: [...after].filter((p) => !before.has(p)),
      kept: [...before].filter((p) => after.has(p)),
    };
  }

  private hookArgs(extra: HookCallArguments = {}) {
    return { watcher: this, arbiter: this.ctx.arbiter, ...extra };
  }

  emit(event: WatcherEvent, payload: Record<string, unknown>): void {
    this.ctx.bus.publish(watcherTopic(this.name, event), payload);
  }
}

function isStreamKey(key: string): boolean {
  return key.startsWith("stdout_stream.") || key.startsWith("stderr_stream.");
}

/**
 * Check `set` options against a watcher's config by the watcher table before anything changes, with the
 * arbiter's typed errors (the real watcher and the test fake share it, so both refuse alike).
 */
export function checkSetOptions(config: WatcherConfig, options: Record<string, WireValue>): Record<string, WireValue> {
  try {
    return checkWatcherOptions(options, "set", { free: config.free, singleton: config.singleton });
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    throw err.errno === 5
      ? new OperationError(err.message, { cause: err })
      : new InvalidOptionError(err.message, { cause: err });
  }
}
