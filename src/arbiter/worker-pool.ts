// The worker processes of one watcher: the tracked set and the mechanics of spawning, observing exits
// (reap events, crash-loop backoff), stopping and signalling them. The watcher decides when (its state
// machine and queue); the pool does the work and calls back through a small host interface.

import type { HookName, WatcherConfig } from "../config/types.ts";
import { getLogger } from "../util/log.ts";
import { SIGKILL } from "../os/signals.ts";
import { delay, Pacer } from "../util/async.ts";
import { epochSeconds, type WatcherEvent } from "./bus.ts";
import { QUICK_DEATH_MS, RetryBudget } from "./backoff.ts";
import type { HookCallArguments } from "./hooks.ts";
import type { OutputRouting } from "./outputs.ts";
import type { ExitInfo, WorkerProcess } from "./process.ts";
import { sendSignal, type SignalOptions } from "./signal.ts";
import { launchWorker, WidSlots } from "./spawner.ts";
import { stopProcess } from "./stop.ts";
import type { ProcessInfo, WatcherContext } from "./watcher-types.ts";

const log = getLogger("circus.watcher");

/** What the pool needs from its watcher: configuration, state, hooks, events and queued follow-ups. */
export interface PoolHost {
  readonly name: string;
  /** The live configuration, read at each use (`set` changes it in place). */
  readonly config: WatcherConfig;
  /** Starting or active: only then are processes spawned, and exits answered with replacements. */
  running(): boolean;
  /** Run one of the watcher's hooks with these per-call arguments; false when it refused. */
  runHook(name: HookName, extra?: HookCallArguments): Promise<boolean>;
  emit(event: WatcherEvent, payload: Record<string, unknown>): void;
  /** Queue a management pass (the backoff delay after an exit has passed). */
  requestManage(): void;
  /** Queue a stop of the whole watcher (max_retry reached, or an on_demand watcher left with no process). */
  requestStop(): void;
}

export type SpawnOutcome = "ok" | "failed" | "refused";

export class WorkerPool {
  private readonly procs = new Map<number, WorkerProcess>();
  /** Tracked processes whose stop procedure runs: live = procs.size - stoppingCount, in constant time. */
  private stoppingCount = 0;
  /** Spawn loops running (they yield to the event loop, so exits are seen meanwhile). */
  private spawning = 0;
  private readonly wids = new WidSlots();
  private readonly reaping = new Map<number, Promise<void>>();
  /** Consecutive failed starts (spawn errors and quick deaths), compared with max_retry. */
  private readonly retries: RetryBudget;
  private manageTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by `abandon` (rm --nostop): exits are no longer observed. */
  private abandonedValue = false;

  constructor(
    private readonly host: PoolHost,
    private readonly ctx: WatcherContext,
    private readonly outputs: OutputRouting,
  ) {
    this.retries = new RetryBudget(() => ctx.checkDelayMs);
  }

  // ---- reads ----

  /** Pids of tracked processes in spawn order. */
  pids(): number[] {
    return [...this.procs.keys()];
  }

  /** Number of tracked processes (actual, not the target). */
  get size(): number {
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

  /** Processes not already being stopped. */
  live(): WorkerProcess[] {
    return [...this.procs.values()].filter((p) => p.stopping === null && p.alive);
  }

  /** How many live() would list, without building it (spawn loops check it once per process). */
  get liveCount(): number {
    return this.procs.size - this.stoppingCount;
  }

  get abandoned(): boolean {
    return this.abandonedValue;
  }

  // ---- spawning ----

  /**
   * One management pass: max_age recycling, missing spawns (if respawn or `force`), surplus kills.
   * "fatal": spawning gave up; "exhausted": respawn is off and no process remains (§9.3) — either
   * way the caller stops the watcher.
   */
  async reconcile(force: boolean): Promise<"ok" | "fatal" | "exhausted"> {
    const cfg = this.host.config;
    if (cfg.max_age > 0) {
      const now = Date.now();
      const expired = this.live().filter((p) => p.age(now) > cfg.max_age + randomInt(cfg.max_age_variance));
      // Replacements come after the old ones exited, as in Circus (a temporary capacity dip).
      await Promise.all(expired.map((p) => this.stopOne(p)));
    }
    if (cfg.respawn || force) {
      if ((await this.spawnMissing(true)) === "fatal") return "fatal";
    }
    const surplus = this.liveCount - cfg.numprocesses;
    if (surplus > 0) {
      const oldest = this.live()
        .sort((a, b) => a.startedMs - b.startedMs)
        .slice(0, surplus);
      await Promise.all(oldest.map((p) => this.stopOne(p)));
    }
    // Processes stopped on purpose (kill, max_age) are not reported by onExit: the rule applies here.
    if (!cfg.respawn && !force && !cfg.on_demand && cfg.numprocesses > 0 && this.procs.size === 0) return "exhausted";
    return "ok";
  }

  /** Spawn until the target is reached; "deferred" when a backoff delay is pending. */
  async spawnMissing(warmup: boolean): Promise<"ok" | "fatal" | "deferred"> {
    this.spawning++;
    try {
      return await this.spawnUntilTarget(warmup);
    } finally {
      this.spawning--;
      // Workers that did not respawn may all have exited while the loop let the event loop in.
      if (this.spawning === 0) this.stopIfEmptyWithoutRespawn();
    }
  }

  private async spawnUntilTarget(warmup: boolean): Promise<"ok" | "fatal" | "deferred"> {
    while (this.liveCount < this.host.config.numprocesses) {
      if (!this.host.running()) return "ok";
      if (!this.retries.mayRetry(this.host.config.max_retry)) {
        log.error(`watcher ${this.host.name}: giving up after ${this.retries.count} failed starts (max_retry)`);
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
      if (warmup && this.host.config.warmup_delay > 0) await this.warmup();
      // Spawning thousands of workers must not starve the control channel: let I/O in now and then.
      else if (spawnPacer.due()) await spawnPacer.pause();
    }
    return "ok";
  }

  /** One spawn: before_spawn → exec → after_spawn → `spawn` event. */
  async spawnOne(): Promise<SpawnOutcome> {
    const { name, config } = this.host;
    if (!(await this.host.runHook("before_spawn"))) {
      log.warning(`watcher ${name}: before_spawn hook refused the spawn`);
      return "refused";
    }
    const wid = this.wids.take(config.numprocesses);
    if (wid === null) {
      log.error(`watcher ${name}: no free wid slot`);
      return "failed";
    }
    let proc: WorkerProcess;
    const sink = this.outputs.current;
    try {
      proc = await launchWorker(config, wid, this.ctx, sink);
    } catch (err) {
      this.wids.release(wid);
      log.error(`watcher ${name}: ${err instanceof Error ? err.message : String(err)}`);
      return "failed";
    }
    this.outputs.spawned(proc.pid, sink);
    this.procs.set(proc.pid, proc);
    this.ctx.journal?.added(name, proc);
    proc.exited.then((info) => this.onExit(proc, info));
    log.debug(`watcher ${name}: spawned ${proc.pid} (wid ${wid}): ${proc.argv.join(" ")}`);
    if (!(await this.host.runHook("after_spawn", { pid: proc.pid }))) {
      await this.stopOne(proc);
      return "refused";
    }
    this.host.emit("spawn", { process_pid: proc.pid, time: proc.started });
    return "ok";
  }

  /** Wait warmup_delay, as between spawns; cut short when the daemon stops. */
  async warmup(): Promise<void> {
    await delay(this.host.config.warmup_delay * 1000, this.ctx.shutdown);
  }

  /** A fresh start: earlier failures no longer count against max_retry. */
  resetRetries(): void {
    this.retries.reset();
  }

  // ---- exits ----

  /** Exit observed: reap bookkeeping and events, then replace the process if it was not stopped on purpose. */
  private onExit(proc: WorkerProcess, info: ExitInfo): void {
    if (this.abandonedValue || !this.procs.has(proc.pid)) return;
    this.procs.delete(proc.pid);
    this.ctx.journal?.removed(proc.pid);
    this.wids.release(proc.wid);
    if (proc.stopping !== null) this.stoppingCount--;
    const done = this.reap(proc, info).finally(() => this.reaping.delete(proc.pid));
    this.reaping.set(proc.pid, done);
    if (proc.stopping !== null) return; // whoever stopped it decides what comes next
    if (!this.host.running()) return;

    const lived = info.atMs - proc.startedMs;
    if (lived < QUICK_DEATH_MS) this.retries.recordFailure();
    else this.retries.reset();
    const cfg = this.host.config;
    if (!cfg.respawn || cfg.on_demand) {
      // on_demand watchers scale back to zero and wait for the next connection.
      this.stopIfEmptyWithoutRespawn();
      return;
    }
    if (!this.retries.mayRetry(cfg.max_retry)) {
      log.error(
        `watcher ${this.host.name}: process ${proc.pid} keeps dying at start; stopping the watcher (max_retry)`,
      );
      this.host.requestStop();
      return;
    }
    this.scheduleManage();
  }

  /**
   * A watcher without respawn (or on_demand) stops once its last process is gone — but not while a
   * spawn loop is still starting the others (it yields to the event loop, and quick workers may exit
   * in between).
   */
  private stopIfEmptyWithoutRespawn(): void {
    const cfg = this.host.config;
    if (this.spawning > 0 || this.procs.size > 0 || !this.host.running()) return;
    if (!cfg.respawn || cfg.on_demand) this.host.requestStop();
  }

  private async reap(proc: WorkerProcess, info: ExitInfo): Promise<void> {
    // What it wrote before dying is stored before anyone hears of the reap (circus#557, #912).
    await this.outputs.drained(proc.pid);
    const time = epochSeconds(info.atMs);
    await this.host.runHook("before_reap", { pid: proc.pid, time });
    this.host.emit("reap", { process_pid: proc.pid, time, exit_code: info.exitCode });
    await this.host.runHook("after_reap", {
      pid: proc.pid,
      time,
      exitCode: info.exitCode,
      processStatus: info.exitCode === null ? null : 1,
    });
  }

  /** Run management once the backoff delay (if any) has passed; coalesces repeated requests. */
  private scheduleManage(): void {
    if (this.manageTimer !== null) return;
    this.manageTimer = setTimeout(() => {
      this.manageTimer = null;
      this.host.requestManage();
    }, this.retries.waitMs());
  }

  cancelScheduledManage(): void {
    if (this.manageTimer !== null) clearTimeout(this.manageTimer);
    this.manageTimer = null;
  }

  // ---- stopping and signals ----

  /** The stop procedure for one process, resolved once its reap events went out. */
  async stopOne(proc: WorkerProcess, signum?: number, gracefulTimeout?: number): Promise<void> {
    const cfg = this.host.config;
    if (proc.stopping === null && this.procs.has(proc.pid)) this.stoppingCount++;
    await stopProcess(
      proc,
      {
        signum: signum ?? cfg.stop_signal,
        gracefulTimeoutMs: (gracefulTimeout ?? cfg.graceful_timeout) * 1000,
        stopChildren: cfg.stop_children,
      },
      {
        signalProcess: (p, sig) => this.signalProcess(p, sig, true),
        childSignalled: (pid) => this.host.emit("kill", { process_pid: pid, time: epochSeconds() }),
      },
    );
    await this.reaping.get(proc.pid);
  }

  /** Stop every live process, then wait for every reap in flight (including earlier exits). */
  async stopAll(): Promise<void> {
    await Promise.all(this.live().map((p) => this.stopOne(p)));
    await Promise.all([...this.reaping.values()]);
  }

  /** The `signal` command's targeting over this pool's processes. */
  signal(opts: SignalOptions): Promise<void> {
    return sendSignal(opts, {
      watcherName: this.host.name,
      live: this.live(),
      managed: (pid) => this.procs.get(pid),
      signalProcess: (proc, signum) => this.signalProcess(proc, signum, false),
    });
  }

  /** Forget every process without stopping it (rm --nostop): they keep running, unmanaged. */
  abandon(): void {
    this.abandonedValue = true;
    this.cancelScheduledManage();
    for (const p of this.procs.values()) {
      p.unref();
      this.ctx.journal?.removed(p.pid);
    }
    this.procs.clear();
    this.stoppingCount = 0;
    this.wids.clear();
  }

  /** Signal a managed process through before_signal/after_signal; a veto holds unless it is SIGKILL. */
  private async signalProcess(proc: WorkerProcess, signum: number, emitKill: boolean): Promise<void> {
    const allowed = await this.host.runHook("before_signal", { pid: proc.pid, signum });
    if (allowed || signum === SIGKILL) proc.kill(signum);
    await this.host.runHook("after_signal", { pid: proc.pid, signum });
    if (emitKill) this.host.emit("kill", { process_pid: proc.pid, time: epochSeconds() });
  }
}

/**
 * Shared by every watcher: a mass spawn (one watcher of 10 000, or 500 watchers starting) lets the
 * control channel and exits in after this much work, so the daemon keeps answering while it starts.
 */
const spawnPacer = new Pacer(4);

function randomInt(max: number): number {
  return Math.floor(Math.random() * (Math.max(0, max) + 1));
}
