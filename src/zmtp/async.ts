// Private async primitives for the ZMTP layer: a deferred promise and a cancellable timer, so waits
// end on the event itself (a drain, a reply) rather than on a polling loop.
// TODO(src/util/async.ts): another engineer is adding shared versions; switch to them once merged.

/** A promise together with the functions that settle it. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  /** Whether resolve or reject has been called. */
  readonly settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d = {
    promise,
    settled: false,
    resolve(value: T) {
      d.settled = true;
      resolve(value);
    },
    reject(error: Error) {
      d.settled = true;
      reject(error);
    },
  };
  return d;
}

/** A timer as a promise that resolves after `ms`; `cancel()` clears it (the promise then never settles). */
export interface Delay {
  readonly promise: Promise<void>;
  cancel(): void;
}

export function delay(ms: number): Delay {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
