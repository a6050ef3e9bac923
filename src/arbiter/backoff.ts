// Crash-loop accounting for one watcher: consecutive failed starts (spawn errors and workers dying
// within a second) against max_retry, and the respawn delay that doubles from 100 ms up to check_delay.

/** A process that dies sooner than this after its spawn counts as a failed start. */
export const QUICK_DEATH_MS = 1000;
const FIRST_DELAY_MS = 100;

export class RetryBudget {
  private failures = 0;
  private delayMs = 0;
  /** No spawn before this epoch-ms instant. */
  notBeforeMs = 0;

  constructor(private readonly capMs: () => number) {}

  get count(): number {
    return this.failures;
  }

  recordFailure(): void {
    this.failures++;
    const cap = Math.max(FIRST_DELAY_MS, this.capMs());
    this.delayMs = this.delayMs === 0 ? FIRST_DELAY_MS : Math.min(this.delayMs * 2, cap);
    this.notBeforeMs = Date.now() + this.delayMs;
  }

  reset(): void {
    this.failures = 0;
    this.delayMs = 0;
    this.notBeforeMs = 0;
  }

  /** Circus's max_retry: -1 = unlimited, 0 = never spawn. */
  mayRetry(maxRetry: number): boolean {
    return maxRetry === -1 || this.failures < maxRetry;
  }

  /** Milliseconds until the next spawn may happen (0 = now). */
  waitMs(): number {
    return Math.max(0, this.notBeforeMs - Date.now());
  }
}
