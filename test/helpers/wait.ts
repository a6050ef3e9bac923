// Waiting in tests: on a condition polled until a deadline, or on a promise with a deadline. Tests
// wait for what they need (a line, an event, a state) rather than sleeping for a guessed time: a sleep
// is too long on an idle machine and too short on a loaded one.

import { deadline } from "../../src/util/async.ts";

/** Polls start fast (a condition that is almost there costs ~1 ms) and back off to this interval. */
const MAX_POLL_MS = 25;

/**
 * Poll `check` until it returns a truthy value and resolve with that value; reject after `timeoutMs`
 * naming `what`. An error thrown by `check` ends the wait at once (e.g. "the daemon exited").
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (let pause = 1; ; pause = Math.min(MAX_POLL_MS, pause * 2)) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(pause);
  }
}

/** `waitFor` for a plain yes/no condition. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  await waitFor(cond, timeoutMs, what);
}

/** `work`'s outcome, or a rejection naming `what` when it has not settled within `timeoutMs`. */
export function within<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return deadline(work, timeoutMs, () => new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
}

/**
 * Check that `cond` holds during the whole of `ms` (polled), for assertions that something does NOT
 * happen: the only wait that has to last a fixed time. Rejects as soon as it fails, naming `what`.
 */
export async function holdsFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (!(await cond())) throw new Error(`${what} stopped holding after ${ms - (end - Date.now())} ms`);
    if (Date.now() >= end) return;
    await Bun.sleep(Math.min(MAX_POLL_MS, Math.max(1, end - Date.now())));
  }
}

/** The body of `url` once something serves it (a connection refused is retried until `timeoutMs`). */
export function servedText(url: string, timeoutMs = 5000): Promise<string> {
  return waitFor(
    () =>
      fetch(url, { headers: { connection: "close" } }).then(
        (r) => r.text(),
        () => "",
      ),
    timeoutMs,
    `an answer from ${url}`,
  );
}
