// When the next spawn may happen (decisions §1): after a failed spawn or a process that died young it
// waits 100 ms, doubling up to max(check_delay, 1 s); permanent spawn failures in a row count toward
// max_retry, transient ones never do.

/** The constants of the respawn delays; tests pass smaller ones so a crash loop need not take seconds. */
export interface RespawnTiming {
  /** The first delay after a failed spawn or a quick death; each further one doubles. */
  firstDelayMs: number;
  /** The delay never stops below this cap, so check_delay ≤ 0 (Circus test configs use -1) still backs off. */
  minCapMs: number;
  /** A process that dies sooner than this after its spawn is respawned with the backoff delay. */
  quickDeathMs: number;
}

/** The daemon's respawn delays (decisions §1). */
export const RESPAWN_TIMING: Readonly<RespawnTiming> = { firstDelayMs: 100, minCapMs: 1000, quickDeathMs: 1000 };

export class Backoff {
  private delayMs = 0;
  /** No spawn before this epoch-ms instant. */
  private notBeforeMs = 0;

  constructor(
    /** The daemon's check_delay in ms, read at each use (reloadconfig may change it). */
    private readonly checkDelayMs: () => number,
    private readonly now: () => number = Date.now,
    private readonly timing: Readonly<RespawnTiming> = RESPAWN_TIMING,
  ) {}

  /** One more failure in a row: the next delay doubles (100 ms first). */
  record(): void {
    const cap = Math.max(this.timing.minCapMs, this.checkDelayMs());
    this.delayMs = this.delayMs === 0 ? this.timing.firstDelayMs : Math.min(this.delayMs * 2, cap);
    this.notBeforeMs = this.now() + this.delayMs;
  }

  /** The episode is over: the next failure waits 100 ms again. */
  reset(): void {
    this.delayMs = 0;
    this.notBeforeMs = 0;
  }

  /** True while failures are being backed off (since the last reset). */
  get active(): boolean {
    return this.delayMs > 0;
  }

  /** Milliseconds until the next spawn may happen (0 = now). */
  waitMs(): number {
    return Math.max(0, this.notBeforeMs - this.now());
  }

  /** Plain data for a daemon upgrade (epoch ms survive the exec). */
  snapshot(): BackoffState {
    return { delayMs: this.delayMs, notBeforeMs: this.notBeforeMs };
  }

  restore(state: BackoffState): void {
    this.delayMs = state.delayMs;
    this.notBeforeMs = state.notBeforeMs;
  }
}

export interface BackoffState {
  delayMs: number;
  notBeforeMs: number;
}

/** A spawn budget as plain data, handed to the next daemon image by an upgrade. */
export interface SpawnBudgetState {
  spawn: BackoffState;
  death: BackoffState;
  failures: number;
  transientEpisode: boolean;
  error: string | null;
}

/** What a failed spawn did to the budget. */
export type FailureVerdict =
  | { kind: "transient"; firstOfEpisode: boolean }
  | { kind: "counted"; failures: number }
  | { kind: "gave_up"; failures: number };

/**
 * One watcher's spawn budget (decisions §1): permanent spawn failures in a row against max_retry,
 * transient ones (EMFILE, …) never counted, the delays after failed spawns and after processes that
 * died young, and why spawning gave up once max_retry ran out.
 */
export class SpawnBudget {
  private readonly spawnBackoff: Backoff;
  private readonly deathBackoff: Backoff;
  private failures = 0;
  private transientEpisode = false;
  private errorValue: string | null = null;
  /** What the spawns fail with since the last one that worked (null while spawning works). */
  private failingValue: string | null = null;

  constructor(
    checkDelayMs: () => number,
    now: () => number = Date.now,
    private readonly timing: Readonly<RespawnTiming> = RESPAWN_TIMING,
  ) {
    this.spawnBackoff = new Backoff(checkDelayMs, now, timing);
    this.deathBackoff = new Backoff(checkDelayMs, now, timing);
  }

  /** A process that lived less than this died young: its replacement waits out the backoff. */
  get quickDeathMs(): number {
    return this.timing.quickDeathMs;
  }

  /** Why spawning gave up, or null while it has not. */
  get spawnError(): string | null {
    return this.errorValue;
  }

  /**
   * Why spawning fails right now while it is still retried (EMFILE, or max_retry = -1 with a missing
   * program), or null: `spawn_error` shows it so `status` never says all is well with 0 processes.
   */
  get retryingError(): string | null {
    return this.errorValue === null ? this.failingValue : null;
  }

  /** A transient failure happened and no spawn has worked since. */
  get inTransientEpisode(): boolean {
    return this.transientEpisode;
  }

  /** Milliseconds before the next spawn may happen (0 = now). */
  waitMs(): number {
    return Math.max(this.spawnBackoff.waitMs(), this.deathBackoff.waitMs());
  }

  /** The delay after failed spawns only (a death's delay holds up its replacement, not other slots). */
  spawnWaitMs(): number {
    return this.spawnBackoff.waitMs();
  }

  /** A spawn failed (with `message`); `transient` ones back off without counting. */
  failed(transient: boolean, maxRetry: number, message = "spawn failed"): FailureVerdict {
    this.spawnBackoff.record();
    this.failingValue = transient
      ? `${message} (transient: retrying with backoff, running processes kept)`
      : `${message} (${this.failures + 1} failed spawns in a row, retrying${maxRetry === -1 ? " forever: max_retry = -1" : ""})`;
    if (transient) {
      const firstOfEpisode = !this.transientEpisode;
      this.transientEpisode = true;
      return { kind: "transient", firstOfEpisode };
    }
    this.failures++;
    return maxRetry !== -1 && this.failures >= maxRetry
      ? { kind: "gave_up", failures: this.failures }
      : { kind: "counted", failures: this.failures };
  }

  /** A spawn worked (the program runs): the failures in a row end; true when a transient episode ended. */
  worked(): boolean {
    const ended = this.transientEpisode;
    this.transientEpisode = false;
    this.failingValue = null;
    this.failures = 0;
    this.spawnBackoff.reset();
    return ended;
  }

  /** Stop spawning, for `why`, until reset. */
  giveUp(why: string): void {
    this.errorValue = why;
  }

  /** A process that ran exited on its own after `livedMs`: one that died young delays the next spawn. */
  exited(livedMs: number): void {
    if (livedMs < this.timing.quickDeathMs) this.deathBackoff.record();
    else this.deathBackoff.reset();
  }

  snapshot(): SpawnBudgetState {
    return {
      spawn: this.spawnBackoff.snapshot(),
      death: this.deathBackoff.snapshot(),
      failures: this.failures,
      transientEpisode: this.transientEpisode,
      error: this.errorValue,
    };
  }

  restore(state: SpawnBudgetState): void {
    this.spawnBackoff.restore(state.spawn);
    this.deathBackoff.restore(state.death);
    this.failures = state.failures;
    this.transientEpisode = state.transientEpisode;
    this.errorValue = state.error;
  }

  /** A fresh start (start, reload, restart, incr): failures no longer count, spawning resumes at once. */
  reset(): void {
    this.failures = 0;
    this.errorValue = null;
    this.failingValue = null;
    this.spawnBackoff.reset();
    this.deathBackoff.reset();
  }
}
