// A watcher: N identical worker processes of one command, kept alive event-driven. Exits are seen via
// onExit and handled at once (with a backoff for crash loops), not at the next check_delay tick.
// Mutations run one at a time in a per-watcher queue; reads never wait.

import type { WatcherConfig } from "../config/types.ts";
import { getLogger } from "../log.ts";
import { epochSeconds, watcherTopic, type WatcherEvent } from "./bus.ts";
import { QUICK_DEATH_MS, RetryBudget } from "./backoff.ts";
import { HookRunner, type HookArguments } from "./hooks.ts";
import { OutputRouting } from "./outputs.ts";
import type { ExitInfo, OutputSink, WorkerProcess } from "./process.ts";
import { SerialQueue } from "./queue.ts";
import { freeWid, launchWorker } from "./spawner.ts";
import { sendSignal, type SignalOptions } from "./signal.ts";
import { stopProcess } from "./stop.ts";
import type { KillOptions, ProcessInfo, ReloadResult, StartResult, WatcherContext, WatcherState } from "./watcher-types.ts";
import { applyOption, checkOption, optionsOf, type OptionAction, type OptionValue } from "./watcher-options.ts";

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

const SIGKILL = 9;
const SIGHUP = 1;

type SpawnOutcome = "ok" | "failed" | "refused";

export class Watcher {
  readonly name: string;
  /** The live configuration (a private copy; `set` changes it). */
  readonly config: WatcherConfig;
  /** The configuration as created, which reloadconfig compares with the re-read file. */
  readonly loaded: WatcherConfig;
  private stateValue: WatcherState = "stopped";
  private readonly procs = new Map<number, WorkerProcess>();
  private readonly reaping = new Map<number, Promise<void>>();
  private readonly queue = new SerialQueue();
  readonly hooks: HookRunner;
  /** Consecutive failed starts (spawn errors and quick deaths), compared with max_retry. */
  private readonly retries: RetryBudget;
  private manageTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by `abandon` (rm --nostop): exits are no longer observed. */
  private abandoned = false;
  private readonly outputs: OutputRouting;

  constructor(
    initial: WatcherConfig,
    private readonly ctx: WatcherContext,
  ) {
    this.name = initial.name;
    this.config = structuredClone(initial);
    this.loaded = structuredClone(initial);
    this.retries = new RetryBudget(() => ctx.checkDelayMs);
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
    return [...this.procs.keys()];
  }

  /** Number of tracked processes (actual, not the target). */
  processCount(): number {
    return this.procs.size;
  }

  processes(): ProcessInfo[] {
    const now = Date.now();
    return [...this.procs.values()].map((p) => ({
      pid: p.pid,
      wid: p.wid,
      started: p.started,
      age: p.age(now),
      cmd: p.argv.join(" "),
    }));
  }

  /** Where new processes write (a WatcherOutput with its tail buffer when the daemon wires streams). */
  get output(): OutputSink {
    return this.outputs.current;
  }

  /** Every option of §2.3 plus free options. */
  options(): Record<string, OptionValue> {
    return optionsOf(this.config);
  }

  /** Run the extended_stats hook on a stats object (exceptions propagate, as in Circus). */
  async extendedStats(pid: number, stats: Record<string, unknown>): Promise<void> {
    await this.hooks.runUnwrapped("extended_stats", this.hookArgs({ pid, stats }));
  }

  // ---- mutations (queued) ----

  start(): Promise<StartResult> {
    return this.queue.run(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.queue.run(() => this.doStop());
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
      const targets = opts.pid === undefined ? this.live() : this.live().filter((p) => p.pid === opts.pid);
      await Promise.all(targets.map((p) => this.stopOne(p, opts.signum, opts.gracefulTimeout)));
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
    for (const [key, value] of Object.entries(options)) checkOption(this.config, key, value);
    return this.queue.run(async () => {
      const streamKeys = Object.keys(options).filter(isStreamKey);
      let next: OutputSink | null = null;
      if (streamKeys.length > 0) {
        const candidate = structuredClone(this.config);
        for (const key of streamKeys) applyOption(candidate, key, options[key]);
        next = await this.outputs.prepare(candidate);
      }
      let action: OptionAction = "manage";
      for (const [key, value] of Object.entries(options)) {
        if (applyOption(this.config, key, value) === "reload" && !(next && isStreamKey(key))) action = "reload";
        this.emit("updated", { time: epochSeconds() });
      }
      if (next && !(await this.outputs.install(next))) action = "reload";
      if (action === "reload" && this.stateValue !== "stopped") await this.doReload(true, false);
      else await this.manage();
    });
  }

  setOption(key: string, value: unknown): Promise<void> {
    return this.setOptions({ [key]: value });
  }

  /** Send a signal (§2.2 `signal`): not queued, it changes no watcher state. */
  signal(opts: SignalOptions): Promise<void> {
    return sendSignal(opts, {
      watcherName: this.name,
      live: this.live(),
      managed: (pid) => this.procs.get(pid),
      signalProcess: (proc, signum) => this.sendSignal(proc, signum, false),
    });
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
    return this.outputs.close({ untilEof: this.abandoned });
  }

  /** Forget every process without stopping it (rm --nostop): they keep running, unmanaged. */
  abandon(): void {
    this.abandoned = true;
    this.clearManageTimer();
    for (const p of this.procs.values()) p.unref();
    this.procs.clear();
    this.stateValue = "stopped";
  }

  // ---- internals ----

  private async doStart(): Promise<StartResult> {
    if (this.stateValue !== "stopped") {
      const before = new Set(this.pids());
      await this.manage();
      return { started: this.pids().filter((p) => !before.has(p)), kept: [...before].filter((p) => this.procs.has(p)) };
    }
    if (!(await this.hooks.run("before_start", this.hookArgs()))) {
      log.warning(`watcher ${this.name}: before_start hook refused the start`);
      return { started: [], kept: [] };
    }
    this.stateValue = "starting";
    this.retries.reset();
    const outcome = await this.spawnMissing(true);
    if (outcome === "fatal" || this.config.numprocesses === 0) {
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
    this.emit("start", { time: epochSeconds() });
    return { started: this.pids(), kept: [] };
  }

  private async doStop(): Promise<void> {
    if (this.stateValue === "stopped") return;
    this.clearManageTimer();
    this.stateValue = "stopping";
    await this.hooks.run("before_stop", this.hookArgs());
    await Promise.all(this.live().map((p) => this.stopOne(p)));
    await Promise.all([...this.reaping.values()]);
    this.emit("stop", { time: epochSeconds() });
    this.stateValue = "stopped";
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
      } else if (this.config.send_hup) {
        for (const p of this.live()) p.kill(SIGHUP);
      } else if (sequential) {
        for (const old of this.live()) {
          await this.stopOne(old);
          await this.spawnOne();
          await sleep(this.config.warmup_delay * 1000);
        }
      } else {
        // New generation first (wids up to 2×numprocesses), then management kills the oldest surplus.
        for (let i = 0; i < this.config.numprocesses; i++) await this.spawnOne();
        await this.manage();
      }
    });
    this.emit("reload", { time: epochSeconds() });
    return result;
  }

  private resize(delta: number): Promise<number> {
    return this.queue.run(async () => {
      if (this.config.singleton) return this.config.numprocesses;
      this.config.numprocesses = Math.max(0, this.config.numprocesses + delta);
      await this.manage(true);
      return this.config.numprocesses;
    });
  }

  /** Bring the process set in line with the target; `force` spawns even when respawn is off (incr). */
  private async manage(force = false): Promise<void> {
    if (this.stateValue !== "active" && this.stateValue !== "starting") return;
    const cfg = this.config;
    if (cfg.max_age > 0) {
      const now = Date.now();
      const expired = this.live().filter((p) => p.age(now) > cfg.max_age + randomInt(cfg.max_age_variance));
      // Replacements come after the old ones exited, as in Circus (a temporary capacity dip).
      await Promise.all(expired.map((p) => this.stopOne(p)));
    }
    if (cfg.respawn || force) {
      if ((await this.spawnMissing(true)) === "fatal") {
        await this.doStop();
        return;
      }
    }
    const surplus = this.live().length - cfg.numprocesses;
    if (surplus > 0) {
      const oldest = this.live().sort((a, b) => a.startedMs - b.startedMs).slice(0, surplus);
      await Promise.all(oldest.map((p) => this.stopOne(p)));
    }
  }

  /** Spawn until the target is reached; "deferred" when a backoff delay is pending. */
  private async spawnMissing(warmup: boolean): Promise<"ok" | "fatal" | "deferred"> {
    let spawned = 0;
    while (this.live().length < this.config.numprocesses) {
      if (this.stateValue !== "starting" && this.stateValue !== "active") return "ok";
      if (!this.retries.mayRetry(this.config.max_retry)) {
        log.error(`watcher ${this.name}: giving up after ${this.retries.count} failed starts (max_retry)`);
        return "fatal";
      }
      if (this.retries.waitMs() > 0) {
        this.scheduleManage();
        return "deferred";
      }
      const outcome = await this.spawnOne();
      if (outcome === "refused") return "fatal";
      if (outcome === "failed") {
        this.retries.recordFailure();
        continue;
      }
      if (warmup && this.config.warmup_delay > 0) await sleep(this.config.warmup_delay * 1000);
      // Spawning hundreds of workers must not starve the control channel: let I/O in now and then.
      else if (++spawned % SPAWNS_BETWEEN_YIELDS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return "ok";
  }

  /** One spawn: before_spawn → exec → after_spawn → `spawn` event. */
  private async spawnOne(): Promise<SpawnOutcome> {
    if (!(await this.hooks.run("before_spawn", this.hookArgs()))) {
      log.warning(`watcher ${this.name}: before_spawn hook refused the spawn`);
      return "refused";
    }
    const wid = freeWid(this.procs.values(), this.config.numprocesses);
    if (wid === null) {
      log.error(`watcher ${this.name}: no free wid slot`);
      return "failed";
    }
    let proc: WorkerProcess;
    const sink = this.outputs.current;
    try {
      proc = await launchWorker(this.config, wid, this.ctx, sink);
    } catch (err) {
      log.error(`watcher ${this.name}: ${err instanceof Error ? err.message : String(err)}`);
      return "failed";
    }
    this.outputs.spawned(proc.pid, sink);
    this.procs.set(proc.pid, proc);
    proc.exited.then((info) => this.onExit(proc, info));
    log.debug(`watcher ${this.name}: spawned ${proc.pid} (wid ${wid}): ${proc.argv.join(" ")}`);
    if (!(await this.hooks.run("after_spawn", this.hookArgs({ pid: proc.pid })))) {
      await this.stopOne(proc);
      return "refused";
    }
    this.emit("spawn", { process_pid: proc.pid, time: proc.started });
    return "ok";
  }

  /** Exit observed: reap bookkeeping and events, then replace the process if it was not stopped on purpose. */
  private onExit(proc: WorkerProcess, info: ExitInfo): void {
    if (this.abandoned || !this.procs.has(proc.pid)) return;
    this.procs.delete(proc.pid);
    const done = this.reap(proc, info).finally(() => this.reaping.delete(proc.pid));
    this.reaping.set(proc.pid, done);
    if (proc.stopping !== null) return; // whoever stopped it decides what comes next
    if (this.stateValue !== "active" && this.stateValue !== "starting") return;

    const lived = info.atMs - proc.startedMs;
    if (lived < QUICK_DEATH_MS) this.retries.recordFailure();
    else this.retries.reset();
    const cfg = this.config;
    if (!cfg.respawn || cfg.on_demand) {
      // on_demand watchers scale back to zero and wait for the next connection.
      if (this.procs.size === 0) void this.queue.run(() => this.doStop());
      return;
    }
    if (!this.retries.mayRetry(cfg.max_retry)) {
      log.error(`watcher ${this.name}: process ${proc.pid} keeps dying at start; stopping the watcher (max_retry)`);
      void this.queue.run(() => this.doStop());
      return;
    }
    this.scheduleManage();
  }

  private async reap(proc: WorkerProcess, info: ExitInfo): Promise<void> {
    // What it wrote before dying is stored before anyone hears of the reap (circus#557, #912).
    await this.outputs.drained(proc.pid);
    const time = epochSeconds(info.atMs);
    await this.hooks.run("before_reap", this.hookArgs({ pid: proc.pid, time }));
    this.emit("reap", { process_pid: proc.pid, time, exit_code: info.exitCode });
    await this.hooks.run(
      "after_reap",
      this.hookArgs({ pid: proc.pid, time, exitCode: info.exitCode, processStatus: info.exitCode === null ? null : 1 }),
    );
  }

  /** The stop procedure for one process, resolved once its reap events went out. */
  private async stopOne(proc: WorkerProcess, signum?: number, gracefulTimeout?: number): Promise<void> {
    await stopProcess(
      proc,
      {
        signum: signum ?? this.config.stop_signal,
        gracefulTimeoutMs: (gracefulTimeout ?? this.config.graceful_timeout) * 1000,
        stopChildren: this.config.stop_children,
      },
      {
        signalProcess: (p, sig) => this.sendSignal(p, sig, true),
        childSignalled: (pid) => this.emit("kill", { process_pid: pid, time: epochSeconds() }),
      },
    );
    await this.reaping.get(proc.pid);
  }

  /** Signal a managed process through before_signal/after_signal; a veto holds unless it is SIGKILL. */
  private async sendSignal(proc: WorkerProcess, signum: number, emitKill: boolean): Promise<void> {
    const allowed = await this.hooks.run("before_signal", this.hookArgs({ pid: proc.pid, signum }));
    if (allowed || signum === SIGKILL) proc.kill(signum);
    await this.hooks.run("after_signal", this.hookArgs({ pid: proc.pid, signum }));
    if (emitKill) this.emit("kill", { process_pid: proc.pid, time: epochSeconds() });
  }

  /** Run management once the backoff delay (if any) has passed; coalesces repeated requests. */
  private scheduleManage(): void {
    if (this.manageTimer !== null) return;
    this.manageTimer = setTimeout(() => {
      this.manageTimer = null;
      void this.queue.run(() => this.manage());
    }, this.retries.waitMs());
  }

  private clearManageTimer(): void {
    if (this.manageTimer !== null) clearTimeout(this.manageTimer);
    this.manageTimer = null;
  }

  /** Processes not already being stopped. */
  private live(): WorkerProcess[] {
    return [...this.procs.values()].filter((p) => p.stopping === null && p.alive);
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

  private hookArgs(extra: Partial<Omit<HookArguments, "hookName" | "watcher" | "arbiter">> = {}) {
    return { watcher: this, arbiter: this.ctx.arbiter, ...extra };
  }

  emit(event: WatcherEvent, payload: Record<string, unknown>): void {
    this.ctx.bus.publish(watcherTopic(this.name, event), payload);
  }
}

function isStreamKey(key: string): boolean {
  return key.startsWith("stdout_stream.") || key.startsWith("stderr_stream.");
}

function randomInt(max: number): number {
  return Math.floor(Math.random() * (Math.max(0, max) + 1));
}

/** Mass spawns pause for the event loop after this many processes. */
const SPAWNS_BETWEEN_YIELDS = 16;

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
