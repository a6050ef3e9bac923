// A watcher: N identical worker processes of one command, kept alive event-driven. This is its state
// machine (stopped/starting/active/stopping), operations, hooks and events; the processes live in its
// WorkerPool, which handles exits at once (with a backoff for crash loops), not at the next check_delay
// tick. Mutations run one at a time in a per-watcher queue; reads never wait.

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
import { InvalidOptionError, OperationError } from "./errors.ts";

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
        requestStop: () => void this.queue.run(() => this.doStop()),
      },
      ctx,
      this.outputs,
    );
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

  /** Pids of tracked processes in spawn order (Circus's `list <name>`). */
  pids(): number[] {
    return this.pool.pids();
  }

  /** Number of tracked processes (actual, not the target). */
  processCount(): number {
    return this.pool.size;
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

  start(): Promise<StartResult> {
    return this.queue.run(() => this.doStart());
  }

  /** Stop the watcher; a start (or incr) still spawning stops spawning at once instead of finishing first. */
  stop(): Promise<void> {
    this.interruptStart();
    return this.queue.run(async () => {
      try {
        await this.doStop();
      } finally {
        this.stopRequested = false;
      }
    });
  }

  /** Cut a running start short: no more spawns until the stop queued behind it has run. */
  interruptStart(): void {
    this.stopRequested = true;
  }

  restart(): Promise<ReloadResult> {
    return this.queue.run(() =>
      this.diff(async () => {
        await this.doStop();
        await this.doStart();
      }),
    );
  }

  reload(opts: { graceful?: boolean; sequential?: boolean } = {}): Promise<ReloadResult> {
    return this.queue.run(() => this.doReload(opts.graceful ?? true, opts.sequential ?? false));
  }

  incr(nb = 1): Promise<number> {
    return this.resize(nb);
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
    // "starting" or "stopping" were operations of the previous image: they continue as active or stopped.
    this.stateValue = handed.state === "active" || handed.state === "starting" ? "active" : "stopped";
    if (this.stateValue === "stopped" && this.pool.size > 0) this.stateValue = "stopping";
  }

  /** After adoption: spawn what is missing (workers that exited during the hand-over), or finish a stop. */
  resumeAfterAdoption(): Promise<void> {
    return this.queue.run(async () => {
      if (this.stateValue === "active") await this.manage();
      else if (this.stateValue === "stopping") await this.doStop();
    });
  }

  /** Forget every process without stopping it (rm --nostop): they keep running, unmanaged. */
  abandon(): void {
    this.pool.abandon();
    this.stateValue = "stopped";
  }

  // ---- internals ----

  /** Starting or active: processes are spawned and replaced. */
  private running(): boolean {
    if (this.ctx.shutdown?.aborted || this.stopRequested || this.handingOver) return false;
    return this.stateValue === "active" || this.stateValue === "starting";
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
    this.stateValue = "starting";
    this.pool.resetRetries();
    const outcome = await this.pool.spawnMissing(true, true);
    // A stop arrived meanwhile: it is queued next and takes over from here.
    if (this.stopRequested) return { started: [], kept: [] };
    if (outcome === "fatal" || (outcome === "gave_up" && this.pool.size === 0) || this.config.numprocesses === 0) {
      await this.doStop();
      return { started: [], kept: [] };
    }
    if (!(await this.hooks.run("after_start", this.hookArgs()))) {
      await this.doStop();
      return { started: [], kept: [] };
    }
    // A stop requested from an exit handler (max_retry) may have run meanwhile.
    if (this.stateValue !== "starting") return { started: [], kept: [] };
    this.stateValue = "active";
    log.info(`${this.name} started`);
    this.emit("start", { time: epochSeconds() });
    return { started: this.pids(), kept: [] };
  }

  private async doStop(): Promise<void> {
    if (this.stateValue === "stopped") return;
    this.pool.cancelScheduledManage();
    this.stateValue = "stopping";
    await this.hooks.run("before_stop", this.hookArgs());
    await this.pool.stopAll();
    this.emit("stop", { time: epochSeconds() });
    this.stateValue = "stopped";
    log.info(`${this.name} stopped`);
    await this.hooks.run("after_stop", this.hookArgs());
  }

  private async doReload(graceful: boolean, sequential: boolean): Promise<ReloadResult> {
    if (!graceful) {
      return this.diff(async () => {
        await this.doStop();
        await this.doStart();
      });
    }
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
      } else if (sequential) {
        for (const old of this.pool.live()) {
          // Circus reaps each one before spawning its successor: here the reap event is reported.
          await this.pool.stopOne(old, { reason: "reload", reap: true });
          await this.pool.spawnOne();
          await this.pool.warmup();
        }
      } else {
        // New generation first (wids up to 2×numprocesses), then management kills the oldest surplus.
        for (let i = 0; i < this.config.numprocesses; i++) await this.pool.spawnOne();
        await this.manage({ surplusReason: "reload" });
      }
    });
    log.info(`${this.name} reloaded`);
    this.emit("reload", { time: epochSeconds() });
    return result;
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
    if ((await this.pool.reconcile(opts.force ?? false, opts.surplusReason)) !== "ok") await this.doStop();
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
