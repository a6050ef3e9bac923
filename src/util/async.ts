// The async primitives every layer uses, written once: a deferred settled from the outside, a delay an
// AbortSignal cuts short, a deadline on a promise, and "does this settle in time". Cancellation travels
// as an AbortSignal rather than as `closed`/`stopping` flags polled in loops.

/** A promise with its resolve and reject in hand, for results that arrive through a callback or an event. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: Error): void;
  /** True once resolve or reject was called (later calls are ignored, as with any promise). */
  readonly settled: boolean;
}

/** A new unsettled `Deferred`. */
export function deferred<T = void>(): Deferred<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  let settled = false;
  return {
    promise,
    resolve(value) {
      settled = true;
      resolve(value);
    },
    reject(reason) {
      settled = true;
      reject(reason);
    },
    get settled() {
      return settled;
    },
  };
}

/** The longest delay a timer holds: past it Bun (as Node) fires after 1 ms, with a warning on stderr. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a timer can hold it: 0 for negative or NaN, at most MAX_TIMER_MS (~24.8 days). Durations from a
 * config (graceful_timeout = 10000000000, ready.timeout = 1e10) mean "practically never", not "now".
 */
export function timerMs(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

/**
 * Wait `ms`: resolves `true` when the time has passed, or `false` as soon as `signal` aborts (at once when
 * it already has). Never rejects, and leaves no timer behind once cut short.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, timerMs(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves when `signal` aborts (at once when it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/**
 * `work`'s outcome if it settles within `ms`; otherwise a rejection with the error `onTimeout` returns
 * (it may also clean up, e.g. forget a pending request). A late outcome of `work` is then ignored.
 */
export function deadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timerMs(ms));
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Whether `work` settles (resolves or rejects) within `ms`; its value or error stays the caller's to read
 * from `work`. No timer is left behind when it settles first.
 */
export function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = work.then(
    () => true,
    () => true,
  );
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timerMs(ms));
  });
  return Promise.race([settled, timedOut]).finally(() => clearTimeout(timer));
}

/**
 * Lets a long loop share the event loop with I/O: `if (pacer.due()) await pacer.pause()` yields to the
 * event loop once `budgetMs` of work has run since the last pause. One pacer shared by several loops
 * bounds how long any of them holds the loop, however many run at once.
 */
export class Pacer {
  private since = performance.now();

  constructor(private readonly budgetMs: number) {}

  /** True when the loop has held the event loop for its budget. */
  due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /** Let timers and I/O run, then start a new budget. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}
