import { describe, expect, test } from "bun:test";
import { deadline, deferred, delay, MAX_TIMER_MS, settlesWithin, timerMs, whenAborted } from "../../src/util/async.ts";

const never = new Promise<never>(() => {});

describe("deferred", () => {
  test("settles from the outside, once, and says so", async () => {
    const d = deferred<number>();
    expect(d.settled).toBe(false);
    d.resolve(1);
    d.resolve(2);
    d.reject(new Error("late"));
    expect(d.settled).toBe(true);
    expect(await d.promise).toBe(1);
  });

  test("a rejection reaches whoever awaits the promise", async () => {
    const d = deferred();
    d.reject(new Error("boom"));
    await expect(d.promise).rejects.toThrow("boom");
  });
});

describe("delay", () => {
  test("resolves true once the time has passed", async () => {
    const started = performance.now();
    expect(await delay(20)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  test("an abort ends a long delay at once with false", async () => {
    const controller = new AbortController();
    const waiting = delay(60_000, controller.signal);
    const started = performance.now();
    controller.abort();
    expect(await waiting).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("an already aborted signal means no wait at all", async () => {
    expect(await delay(60_000, AbortSignal.abort())).toBe(false);
  });
});

describe("whenAborted", () => {
  test("resolves on abort, or at once when already aborted", async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = whenAborted(controller.signal).then(() => (done = true));
    await delay(1);
    expect(done).toBe(false);
    controller.abort();
    await waiting;
    expect(done).toBe(true);
    await whenAborted(AbortSignal.abort());
  });
});

describe("deadline", () => {
  test("passes a result that arrives in time through", async () => {
    expect(await deadline(Promise.resolve("ok"), 1000, () => new Error("late"))).toBe("ok");
  });

  test("passes a failure that arrives in time through", async () => {
    await expect(deadline(Promise.reject(new Error("own")), 1000, () => new Error("late"))).rejects.toThrow("own");
  });

  test("rejects with the timeout's error, built when the time runs out", async () => {
    let built = 0;
    const late = deadline(never, 5, () => {
      built++;
      return new RangeError("timed out");
    });
    expect(built).toBe(0);
    await expect(late).rejects.toThrow(RangeError);
    expect(built).toBe(1);
  });

  test("a work that fails after its deadline causes no unhandled rejection", async () => {
    const work = deferred<void>();
    await deadline(work.promise, 1, () => new Error("late")).catch(() => {});
    work.reject(new Error("too late to matter"));
    await delay(1);
  });
});

describe("settlesWithin", () => {
  test("true for work that resolves or rejects in time", async () => {
    expect(await settlesWithin(Promise.resolve(1), 1000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error("x")), 1000)).toBe(true);
  });

  test("false for work still pending when the time is up", async () => {
    expect(await settlesWithin(never, 5)).toBe(false);
  });
});

describe("durations past what a timer holds (graceful_timeout = 10000000000)", () => {
  test("timerMs keeps them at the longest timer, never the 1 ms a timer turns them into", () => {
    expect(timerMs(1e13)).toBe(MAX_TIMER_MS);
    expect(timerMs(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
    expect(timerMs(-5)).toBe(0);
    expect(timerMs(Number.NaN)).toBe(0);
    expect(timerMs(250)).toBe(250);
  });

  test("delay, deadline and settlesWithin wait instead of firing at once", async () => {
    const stop = new AbortController();
    const waited = delay(1e13, stop.signal);
    const late = deadline(never, 1e13, () => new Error("fired"));
    late.catch(() => {});
    const within = settlesWithin(never, 1e13);
    const first = await Promise.race([
      waited.then(() => "delay"),
      late.then(
        () => "deadline",
        () => "deadline",
      ),
      within.then(() => "settlesWithin"),
      Bun.sleep(100).then(() => "none"),
    ]);
    expect(first).toBe("none");
    stop.abort();
    expect(await waited).toBe(false);
  });
});
