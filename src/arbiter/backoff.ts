// The respawn delay of decisions §1: after a failed spawn or a process that died young, the next spawn
// waits 100 ms, doubling up to max(check_delay, 1 s). Counting toward max_retry is the pool's business.

/** A process that dies sooner than this after its spawn is respawned with the backoff delay. */
export const QUICK_DEATH_MS = 1000;
const FIRST_DELAY_MS = 100;
/** The delay never stops below this cap, so check_delay ≤ 0 (Circus test configs use -1) still backs off. */
const MIN_CAP_MS = 1000;

export class Backoff {
  private delayMs = 0;
  /** No spawn before this epoch-ms instant. */
  private notBeforeMs = 0;

  constructor(
    /** The daemon's check_delay in ms, read at each use (reloadconfig may change it). */
    private readonly checkDelayMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** One more failure in a row: the next delay doubles (100 ms first). */
  record(): void {
    const cap = Math.max(MIN_CAP_MS, this.checkDelayMs());
    this.delayMs = this.delayMs === 0 ? FIRST_DELAY_MS : Math.min(this.delayMs * 2, cap);
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
}
