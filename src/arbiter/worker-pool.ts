// The worker processes of one watcher: the tracked set and the mechanics of spawning, observing exits
// (reap events with their reason, backoff), stopping and signalling them. The watcher decides when (its
// state machine and queue); the pool does the work and calls back through a small host interface.
// Decisions §1 and §2: only failed spawns count toward max_retry (transient ones never do); a process
// that ran is always respawned, after the backoff delay when it died young; deaths the daemon caused
// never count or delay. With a readiness probe (decisions §6) a spawn works once the process is ready; a
// probe that times out is a failed spawn: the process is stopped and replaced with the backoff.

import type { HookName, WatcherConfig } from "../config/types.ts";
import { getLogger } from "../util/log.ts";
import { SIGKILL, signalName } from "../os/signals.ts";
import { delay, Pacer } from "../util/async.ts";
import { epochSeconds, type WatcherEvent } from "./bus.ts";
import { SpawnBudget } from "./backoff.ts";
import {
  diedOnItsOwn,
  type ExitReason,
  ExitLedger,
  type ExitState,
  exitReason,
  isTransientSpawnError,
  type StopReason,
} from "./exits.ts";
import type { HookCallArguments } from "./hooks.ts";
import type { OutputRouting } from "./outputs.ts";
import { type ExitInfo, WorkerProcess } from "./process.ts";
import type { HandedWatcher, HandedWorker } from "./handover.ts";
import { closeFd } from "../os/capture.ts";
import { pollChild } from "../os/handover.ts";
import { startTicksOf } from "./worker-journal.ts";
import { SpawnError } from "./errors.ts";
import { Readiness, type PreparedSpawn } from "./readiness.ts";
import { sendSignal, type SignalOptions } from "./signal.ts";
import { fdReserve } from "./fd-reserve.ts";
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

/** How the stop procedure is asked for: why (the exit's reason), and whether a `reap` event follows. */
export interface StopRequest {
  reason: StopReason;
  /**
   * Circus reports the reap of a process it stopped only for a watcher stop and a sequential reload;
   * surplus kills (decr, a graceful reload's old generation), `kill` and max_age are not reaped in its
   * event stream, and the real Flapping plugin counts reaps, so neither are ours.
   */
  reap?: boolean;
  signum?: number;
  gracefulTimeout?: number;
}

export class WorkerPool {
  private readonly procs = new Map<number, WorkerProcess>();
  /** Tracked processes whose stop procedure runs: live = procs.size - stoppingCount, in constant time. */
  private stoppingCount = 0;
  /** What the last spawn made (a rolling reload waits for that replacement). */
  private lastSpawned: WorkerProcess | null = null;
  /** Spawn loops running (they yield to the event loop, so exits are seen meanwhile). */
  private spawning = 0;
  private readonly wids = new WidSlots();
  /**
   * Slots of workers that exited while a spawn pass runs: freed when it ends, so the pass fills the
   * slots that were empty when it began (wids 1…n, as Circus's synchronous loop does) instead of
   * giving a quick worker's slot to a second process.
   */
  private readonly heldWids: number[] = [];
  private readonly reaping = new Map<number, Promise<void>>();
  /** max_retry accounting and the respawn delays. */
  private readonly budget: SpawnBudget;
  private readonly ledger = new ExitLedger();
  private manageTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by `abandon` (rm --nostop): exits are no longer observed. */
  private abandonedValue = false;
  /** Set while a daemon upgrade hands the workers over: exits wait for the next image (or a thaw). */
  private frozen = false;
  /** Which processes are ready (each one at spawn, without a probe). */
  readonly readiness: Readiness;
  /** The clock of ages (max_age, `processes`) and respawn delays. */
  private readonly now: () => number;

  constructor(
    private readonly host: PoolHost,
    private readonly ctx: WatcherContext,
    private readonly outputs: OutputRouting,
  ) {
    this.now = ctx.now ?? Date.now;
    this.budget = new SpawnBudget(() => ctx.checkDelayMs, this.now, ctx.respawnTiming);
    this.readiness = new Readiness({
      name: host.name,
      config: host.config,
      emit: (event, payload) => host.emit(event, payload),
      timedOut: (proc, message) => this.notReadyInTime(proc, message),
      becameReady: () => this.spawnWorked(),
    });
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
    const now = this.now();
    return [...this.procs.values()].map((p) => ({
      pid: p.pid,
      wid: p.wid,
      started: p.started,
      age: p.age(now),
      cmd: p.argv.join(" "),
      restarts: p.history.restarts,
      lastExit: p.history.lastExit,
    }));
  }

  exitState(): ExitState {
    // A stopped watcher retries nothing: only the reason it gave up outlives a stop.
    return this.ledger.state(this.budget.spawnError ?? (this.host.running() ? this.budget.retryingError : null));
  }

  /** max_retry was exhausted: nothing is spawned until a start, reload, restart or incr. */
  get gaveUp(): boolean {
    return this.budget.spawnError !== null;
  }

  /** Processes not already being stopped, in spawn order. */
  live(): WorkerProcess[] {
    return [...this.procs.values()].filter((p) => p.stopping === null && p.alive);
  }

  /** Live processes that are ready (kept as a count: asked after every ready event). */
  readyCount(): number {
    return this.readiness.readyCount;
  }

  /** The process the last spawn made, while it is still tracked. */
  newest(): WorkerProcess | undefined {
    const last = this.lastSpawned;
    return last !== null && this.procs.get(last.pid) === last ? last : undefined;
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
   * One management pass: max_age recycling, missing spawns (if respawn or `force`), surplus kills
   * (stopped with `surplusReason`). "stop" when the watcher must stop: a hook refused a spawn,
   * max_retry ran out with no process left, or respawn is off and none remains (§9.3).
   */
  async reconcile(force: boolean, surplusReason: StopReason = "stop"): Promise<"ok" | "stop"> {
    const cfg = this.host.config;
    if (cfg.max_age > 0) {
      const now = this.now();
      const expired = this.live().filter((p) => p.age(now) > cfg.max_age + randomInt(cfg.max_age_variance));
      // Replacements come after the old ones exited, as in Circus (a temporary capacity dip).
      await Promise.all(expired.map((p) => this.stopOne(p, { reason: "max_age" })));
    }
    if (cfg.respawn || force) {
      const outcome = await this.spawnMissing(true);
      if (outcome === "fatal" || (outcome === "gave_up" && this.procs.size === 0)) return "stop";
    }
    if (this.liveCount > cfg.numprocesses) {
      // Circus's choice and order: newest first, the ones past numprocesses go (the oldest), so their
      // `kill` events come newest to oldest. Spawn order, not spawn time: two spawns share a millisecond.
      const oldest = this.live().reverse().slice(cfg.numprocesses);
      await Promise.all(oldest.map((p) => this.stopOne(p, { reason: surplusReason })));
    }
    // Processes stopped on purpose (kill, max_age) are not reported by onExit: the rule applies here.
    if (!cfg.respawn && !force && !cfg.on_demand && cfg.numprocesses > 0 && this.procs.size === 0) return "stop";
    return "ok";
  }

  /**
   * Spawn until the target is reached. "deferred" when a backoff delay is pending (a management pass
   * follows it), "gave_up" once max_retry is exhausted, "fatal" when a hook refused. With `start`, a
   * watcher that has no process yet waits out the delays itself while max_retry bounds them, so a
   * start that cannot spawn anything fails as in Circus (no `start` event, `spawn_failed`, `stop`).
   */
  async spawnMissing(warmup: boolean, start = false): Promise<"ok" | "fatal" | "deferred" | "gave_up"> {
    this.spawning++;
    try {
      return await this.spawnUntilTarget(warmup, start);
    } finally {
      this.spawning--;
      if (this.spawning === 0) this.releaseHeldWids();
      // Workers that did not respawn may all have exited while the loop let the event loop in.
      if (this.spawning === 0) this.stopIfEmptyWithoutRespawn();
    }
  }

  private async spawnUntilTarget(warmup: boolean, start: boolean): Promise<"ok" | "fatal" | "deferred" | "gave_up"> {
    // The number missing when the loop begins, as Circus counts it: a quick worker that exits while
    // the loop yields is not replaced by this loop (its exit decides, so respawn = false holds).
    let missing = this.host.config.numprocesses - this.liveCount;
    // A worker that died young delays its replacement (the pass that starts with it missing), never the
    // other slots of a pass already under way: one crashing slot must not hold back its siblings.
    let passStarted = false;
    while (missing > 0 && this.liveCount < this.host.config.numprocesses) {
      if (!this.host.running()) return "ok";
      if (this.gaveUp) return "gave_up";
      if (this.host.config.max_retry === 0) {
        // Circus's loop `while nb_tries < max_retry` never runs: nothing is ever spawned.
        this.giveUp("max_retry is 0, so no spawn is attempted");
        return "gave_up";
      }
      const wait = passStarted ? this.budget.spawnWaitMs() : this.budget.waitMs();
      if (wait > 0) {
        const bounded = this.host.config.max_retry !== -1 && !this.budget.inTransientEpisode;
        if (!(start && bounded && this.liveCount === 0)) {
          this.scheduleManage();
          return "deferred";
        }
        await delay(wait, this.ctx.shutdown);
        continue;
      }
      const outcome = await this.spawnOne();
      if (outcome === "refused") return "fatal";
      if (outcome === "failed") continue;
      missing--;
      passStarted = true;
      if (warmup && this.host.config.warmup_delay > 0) await this.warmup();
      // Spawning thousands of workers must not starve the control channel: let I/O in now and then.
      else if (spawnPacer.due()) await spawnPacer.pause();
    }
    return "ok";
  }

  /**
   * Spawn up to `count` processes beside the running ones (a graceful reload's new generation), letting
   * I/O in now and then; the first spawn that fails or is refused ends it. Returns how many were spawned.
   */
  async spawnGeneration(count: number): Promise<number> {
    let spawned = 0;
    while (spawned < count && this.host.running()) {
      if ((await this.spawnOne()) !== "ok") break;
      spawned++;
      if (spawnPacer.due()) await spawnPacer.pause();
    }
    return spawned;
  }

  /** One spawn: before_spawn → exec → after_spawn → `spawn` event. */
  async spawnOne(): Promise<SpawnOutcome> {
    const { name, config } = this.host;
    if (!(await this.host.runHook("before_spawn"))) {
      log.warning(`watcher ${name}: before_spawn hook refused the spawn`);
      return "refused";
    }
    let wid = this.wids.take(config.numprocesses);
    if (wid === null && this.heldWids.length > 0) {
      this.releaseHeldWids();
      wid = this.wids.take(config.numprocesses);
    }
    if (wid === null) {
      log.error(`watcher ${name}: no free wid slot`);
      return "failed";
    }
    let proc: WorkerProcess;
    const sink = this.outputs.current;
    const probed = this.readiness.probed;
    let prepared: PreparedSpawn | null = null;
    try {
      fdReserve.take();
    } catch (err) {
      this.wids.release(wid);
      this.spawnFailed(err);
      return "failed";
    }
    try {
      prepared = await this.readiness.prepare();
      proc = await launchWorker(config, wid, this.ctx, sink, prepared.env);
    } catch (err) {
      fdReserve.release();
      if (prepared) this.readiness.abandon(prepared);
      this.wids.release(wid);
      this.spawnFailed(err);
      return "failed";
    }
    // Through the launcher, the spawn worked only once the program runs (its setup can still fail);
    // with a probe, once the process is ready.
    void proc.launched.then((failure) => {
      if (failure === null && !probed) this.spawnWorked();
    });
    proc.history = this.ledger.slot(wid);
    this.outputs.spawned(proc.pid, sink);
    this.procs.set(proc.pid, proc);
    this.lastSpawned = proc;
    this.readiness.track(proc, prepared, sink);
    this.ctx.journal?.added(name, proc);
    proc.exited.then((info) => this.onExit(proc, info));
    log.info(`watcher ${name}: spawned ${proc.pid} (wid ${wid}): ${proc.argv.join(" ")}`);
    if (!(await this.host.runHook("after_spawn", { pid: proc.pid }))) {
      await this.stopOne(proc, { reason: "stop" });
      return "refused";
    }
    this.host.emit("spawn", { process_pid: proc.pid, time: proc.started });
    return "ok";
  }

  private releaseHeldWids(): void {
    for (const wid of this.heldWids.splice(0)) this.wids.release(wid);
  }

  /** Wait warmup_delay, as between spawns; cut short when the daemon stops. */
  async warmup(): Promise<void> {
    await delay(this.host.config.warmup_delay * 1000, this.ctx.shutdown);
  }

  /** A fresh start (start, reload, restart, incr): earlier failures no longer count, spawning resumes. */
  resetRetries(): void {
    this.budget.reset();
  }

  /** A spawn failed: back off; a permanent failure counts toward max_retry, a transient one never does. */
  private spawnFailed(err: unknown): void {
    const { name, config } = this.host;
    const message = err instanceof Error ? err.message : String(err);
    const verdict = this.budget.failed(isTransientSpawnError(err), config.max_retry, message);
    if (verdict.kind === "transient") {
      if (verdict.firstOfEpisode) {
        const running = this.liveCount;
        log.warning(
          `watcher ${name}: cannot spawn for now (${message}); retrying with backoff until it works, ${running} running process${running === 1 ? "" : "es"} kept`,
        );
        this.host.emit("spawn_retrying", { time: epochSeconds(), error: message, transient: true });
      }
      return;
    }
    const of = config.max_retry === -1 ? "" : ` of ${config.max_retry}`;
    log.error(`watcher ${name}: spawn failed (${verdict.failures}${of}): ${message}`);
    // Retrying forever never ends in `spawn_failed`: say once per episode that spawning fails.
    if (config.max_retry === -1 && verdict.failures === 1) {
      this.host.emit("spawn_retrying", { time: epochSeconds(), error: message, transient: false });
    }
    if (verdict.kind === "gave_up") {
      this.giveUp(`${message} (${verdict.failures} failed spawns in a row, max_retry = ${config.max_retry})`);
    }
  }

  private spawnWorked(): void {
    if (this.budget.worked()) log.info(`watcher ${this.host.name}: spawning works again`);
  }

  /**
   * A process's probe did not pass within ready.timeout: a failed spawn (decisions §1). It is stopped
   * and replaced after the backoff; once max_retry is exhausted with nothing left, the watcher stops.
   */
  private notReadyInTime(proc: WorkerProcess, message: string): void {
    if (!this.procs.has(proc.pid) || proc.stopping !== null) return;
    // Stopping first: a give-up said now counts it among the processes that keep running otherwise.
    const stopped = this.stopOne(proc, { reason: "spawn_failed", reap: true });
    this.spawnFailed(new SpawnError(message));
    void stopped.then(() => {
      if (!this.host.running()) return;
      if (!this.gaveUp) this.scheduleManage();
      else if (this.procs.size === 0) this.host.requestStop();
    });
  }

  /** max_retry is exhausted: stop spawning, keep what runs, say why (log, event, `spawn_error`). */
  private giveUp(why: string): void {
    this.budget.giveUp(why);
    this.cancelScheduledManage();
    const running = this.liveCount;
    log.error(
      `watcher ${this.host.name}: giving up spawning: ${why}; ${running} process${running === 1 ? " keeps" : "es keep"} running`,
    );
    this.host.emit("spawn_failed", { time: epochSeconds(), error: why });
  }

  // ---- exits ----

  /** Exit observed: its reason, bookkeeping and events, then a replacement unless it was stopped on purpose. */
  private onExit(proc: WorkerProcess, info: ExitInfo): void {
    if (this.abandonedValue || this.frozen || !this.procs.has(proc.pid)) return;
    this.procs.delete(proc.pid);
    fdReserve.release();
    this.ctx.journal?.removed(proc.pid);
    if (this.spawning > 0) this.heldWids.push(proc.wid);
    else this.wids.release(proc.wid);
    if (proc.stopping !== null) this.stoppingCount--;
    const cfg = this.host.config;
    const reason =
      proc.stopReason ??
      (info.launchFailure !== null
        ? "spawn_failed"
        : exitReason(info.exitCode, info.atMs, proc.lastSignalMs, cfg.graceful_timeout * 1000));
    this.readiness.forget(proc, `${reason}, ${exitText(info.exitCode)}`);
    // A launcher that failed before the program ran is a failed spawn: it counts toward max_retry.
    if (proc.stopReason === null && info.launchFailure !== null && this.host.running()) {
      this.spawnFailed(new SpawnError(info.launchFailure));
    }
    const ownDeath = diedOnItsOwn(reason);
    const respawned = ownDeath && this.host.running() && cfg.respawn && !cfg.on_demand;
    this.record(proc, info, reason, respawned);
    const done = this.reap(proc, info, reason).finally(() => this.reaping.delete(proc.pid));
    this.reaping.set(proc.pid, done);
    if (proc.stopping !== null) return; // whoever stopped it decides what comes next
    if (!this.host.running()) return;

    if (!cfg.respawn || cfg.on_demand || this.gaveUp) {
      const why = !cfg.respawn
        ? "respawn = false"
        : cfg.on_demand
          ? "on_demand: the next connection starts one"
          : "spawning gave up (max_retry)";
      log.info(`watcher ${this.host.name}: not respawned (${why})`);
      // on_demand watchers scale back to zero and wait for the next connection; a watcher that gave up
      // spawning stops once its last process is gone.
      this.stopIfEmptyWithoutRespawn();
      return;
    }
    // Only a death of its own can be a crash loop; one the daemon caused (signal) is replaced at once.
    // A death that is not replaced (respawn = false) delays nothing: a start still spawns every slot.
    if (ownDeath) this.budget.exited(info.atMs - proc.startedMs);
    const wait = this.budget.waitMs();
    if (wait <= 0) log.info(`watcher ${this.host.name}: respawning at once`);
    else {
      const young =
        ownDeath && info.atMs - proc.startedMs < this.budget.quickDeathMs
          ? " (it died within a second of its start)"
          : "";
      log.info(`watcher ${this.host.name}: respawning in ${seconds(wait)}${young}`);
    }
    this.scheduleManage();
  }

  /**
   * A watcher without respawn (or on_demand, or that gave up spawning) stops once its last process is gone — but not while a
   * spawn loop is still starting the others (it yields to the event loop, and quick workers may exit
   * in between).
   */
  private stopIfEmptyWithoutRespawn(): void {
    const cfg = this.host.config;
    if (this.spawning > 0 || this.procs.size > 0 || !this.host.running()) return;
    if (!cfg.respawn || cfg.on_demand || this.gaveUp) this.host.requestStop();
  }

  /** Keep the exit (counted by reason, as the watcher's and its slot's last one) and log it. */
  private record(proc: WorkerProcess, info: ExitInfo, reason: ExitReason, respawned: boolean): void {
    const lastExit = this.ledger.record(
      { pid: proc.pid, wid: proc.wid, history: proc.history, exitCode: info.exitCode, atMs: info.atMs },
      reason,
      respawned,
    );
    // Every exit is told at INFO, the daemon's own stops too: "why did my worker die" starts here.
    const how =
      lastExit.signal !== null ? `killed by ${signalName(lastExit.signal)}` : `exited with status ${lastExit.status}`;
    log.info(
      `watcher ${this.host.name}: process ${proc.pid} ${how} after ${duration(info.atMs - proc.startedMs)} (${reason})`,
    );
  }

  private async reap(proc: WorkerProcess, info: ExitInfo, reason: ExitReason): Promise<void> {
    // What it wrote before dying is stored before anyone hears of the reap (circus#557, #912).
    await this.outputs.drained(proc.pid);
    if (proc.stopReason !== null && !proc.reapOnStop) return;
    const time = epochSeconds(info.atMs);
    await this.host.runHook("before_reap", { pid: proc.pid, time });
    this.host.emit("reap", { process_pid: proc.pid, time, exit_code: info.exitCode, reason });
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
    }, this.budget.waitMs());
  }

  cancelScheduledManage(): void {
    if (this.manageTimer !== null) clearTimeout(this.manageTimer);
    this.manageTimer = null;
  }

  // ---- stopping and signals ----

  /** The stop procedure for one process, resolved once its exit is handled (and reported, if it is). */
  async stopOne(proc: WorkerProcess, request: StopRequest): Promise<void> {
    const cfg = this.host.config;
    if (proc.stopping === null && this.procs.has(proc.pid)) {
      this.stoppingCount++;
      this.readiness.retire(proc);
    }
    // The first request decides the reason; a later one joins the running procedure.
    if (proc.stopping === null && proc.stopReason === null) {
      proc.stopReason = request.reason;
      proc.reapOnStop = request.reap ?? false;
    }
    await stopProcess(
      proc,
      {
        signum: request.signum ?? cfg.stop_signal,
        gracefulTimeoutMs: (request.gracefulTimeout ?? cfg.graceful_timeout) * 1000,
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
    await Promise.all(this.live().map((p) => this.stopOne(p, { reason: "stop", reap: true })));
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

  // ---- daemon upgrade ----

  /**
   * Hand the workers over to the next daemon image: nothing is spawned or answered from now on, every
   * captured channel is paused and given up (fds left open) with its partial line.
   */
  handOver(): Pick<HandedWatcher, "workers" | "ledger" | "budget"> {
    this.frozen = true;
    this.cancelScheduledManage();
    const workers: HandedWorker[] = [];
    for (const p of this.procs.values()) {
      if (!p.alive) continue; // its exit is being handled here: the next image never hears of it
      const start = startTicksOf(p.pid);
      if (start === null) continue; // gone already: the next image starts its replacement
      workers.push({
        pid: p.pid,
        start,
        watcher: this.host.name,
        wid: p.wid,
        startedMs: p.startedMs,
        argv: p.argv,
        history: p.history,
        lastSignalMs: p.lastSignalMs,
        stopping: p.stopping !== null ? p.stopReason : null,
        ready: this.readiness.isReady(p.pid),
        output: this.outputs.handOver(p.pid),
      });
    }
    return { workers, ledger: this.ledger.snapshot(), budget: this.budget.snapshot() };
  }

  /** The exec did not happen: take the workers back (the same readers resume) and handle exits seen meanwhile. */
  thaw(handed: HandedWorker[]): void {
    this.frozen = false;
    for (const w of handed) {
      this.outputs.takeBack(w.pid);
      const proc = this.procs.get(w.pid);
      if (proc?.exit) this.onExit(proc, proc.exit);
    }
  }

  /**
   * The new image after an upgrade: take over the workers the previous one ran (same pids, wids, spawn
   * times, output channels), its counters and spawn budget. Workers that exited during the hand-over
   * are noticed at once (adopted.ts) and replaced like any exit.
   */
  adopt(handed: Pick<HandedWatcher, "workers" | "ledger" | "budget">): WorkerProcess[] {
    this.ledger.restore(handed.ledger);
    this.budget.restore(handed.budget);
    const adopted: WorkerProcess[] = [];
    for (const w of handed.workers) {
      // Only the process that was handed over: one that ended and whose pid went to another is not ours.
      if (startTicksOf(w.pid) !== w.start) {
        log.warning(`watcher ${this.host.name}: process ${w.pid} ended during the upgrade; it is replaced`);
        pollChild(w.pid); // collect it if it is still our zombie
        for (const ch of [w.output.stdout, w.output.stderr]) if (ch) closeFd(ch.fd);
        continue;
      }
      const proc = WorkerProcess.adopt(w);
      this.wids.claim(w.wid);
      proc.history = w.history;
      proc.lastSignalMs = w.lastSignalMs;
      this.attachOutput(w);
      this.outputs.spawned(proc.pid, this.outputs.current);
      this.readiness.adopt(proc, w.ready, this.outputs.current);
      this.procs.set(proc.pid, proc);
      this.ctx.journal?.added(this.host.name, proc);
      proc.exited.then((info) => this.onExit(proc, info));
      adopted.push(proc);
      if (w.stopping !== null) void this.stopOne(proc, { reason: w.stopping });
    }
    return adopted;
  }

  /** Read a handed-over worker's channels again (or close them when nothing can read them). */
  private attachOutput(w: HandedWorker): void {
    const { stdout, stderr } = w.output;
    if (stdout === null && stderr === null) return;
    const sink = this.outputs.current;
    if (!sink.attach) {
      for (const ch of [stdout, stderr]) if (ch) closeFd(ch.fd);
      return;
    }
    sink.attach(
      w.pid,
      { stdout: stdout?.fd ?? null, stderr: stderr?.fd ?? null },
      {
        stdout: stdout ? Buffer.from(stdout.pending, "base64") : undefined,
        stderr: stderr ? Buffer.from(stderr.pending, "base64") : undefined,
      },
    );
  }

  /** Forget every process without stopping it (rm --nostop): they keep running, unmanaged. */
  abandon(): void {
    this.abandonedValue = true;
    this.cancelScheduledManage();
    for (const p of this.procs.values()) {
      p.unref();
      this.readiness.forget(p, "no longer managed");
      this.ctx.journal?.removed(p.pid);
    }
    this.procs.clear();
    this.stoppingCount = 0;
    this.wids.clear();
    this.heldWids.length = 0;
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

/** `status 1` or `signal 9`, from Circus's exit_code. */
function exitText(exitCode: number | null): string {
  if (exitCode === null) return "status unknown";
  return exitCode < 0 ? `signal ${-exitCode}` : `status ${exitCode}`;
}

function randomInt(max: number): number {
  return Math.floor(Math.random() * (Math.max(0, max) + 1));
}

/** `0.4 s`, for delays under a minute. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** How long a process lived, as a person says it: `0.2 s`, `12.3 s`, `3m 12s`, `2h 5m`, `3d 4h`. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
  return `${Math.floor(whole / 86400)}d ${Math.floor((whole % 86400) / 3600)}h`;
}
