import { describe, expect, test } from "bun:test";
import { Backoff, RESPAWN_TIMING, SpawnBudget } from "../../src/arbiter/backoff.ts";

describe("Backoff", () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  test("the respawn delay doubles from 100 ms up to check_delay", () => {
    const c = clock();
    const backoff = new Backoff(() => 2000, c.now);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      backoff.record();
      delays.push(backoff.waitMs());
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  test("the cap is never below 1 s, so check_delay = 0.5, 0 or -1 still backs off to a second", () => {
    for (const checkDelayMs of [500, 0, -1000]) {
      const backoff = new Backoff(() => checkDelayMs, clock().now);
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) {
        backoff.record();
        delays.push(backoff.waitMs());
      }
      expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    }
  });

  test("the constants are the daemon's unless a test passes smaller ones", () => {
    expect(RESPAWN_TIMING).toEqual({ firstDelayMs: 100, minCapMs: 1000, quickDeathMs: 1000 });
    const backoff = new Backoff(() => 0, clock().now, { firstDelayMs: 10, minCapMs: 30, quickDeathMs: 50 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      backoff.record();
      delays.push(backoff.waitMs());
    }
    expect(delays).toEqual([10, 20, 30, 30]);
    const budget = new SpawnBudget(
      () => 0,
      () => 0,
      { firstDelayMs: 10, minCapMs: 30, quickDeathMs: 50 },
    );
    budget.exited(60);
    expect(budget.waitMs()).toBe(0);
    budget.exited(40);
    expect(budget.waitMs()).toBe(10);
  });

  test("the wait runs down with time, and a reset starts the next episode at 100 ms", () => {
    const c = clock();
    const backoff = new Backoff(() => 5000, c.now);
    backoff.record();
    backoff.record();
    c.advance(150);
    expect(backoff.waitMs()).toBe(50);
    expect(backoff.active).toBe(true);
    backoff.reset();
    expect([backoff.waitMs(), backoff.active]).toEqual([0, false]);
    backoff.record();
    expect(backoff.waitMs()).toBe(100);
  });
});

describe("SpawnBudget", () => {
  test("permanent failures count toward max_retry, transient ones never do and are reported once per episode", () => {
    const budget = new SpawnBudget(
      () => 1000,
      () => 0,
    );
    expect(budget.failed(true, 2)).toEqual({ kind: "transient", firstOfEpisode: true });
    expect(budget.failed(true, 2)).toEqual({ kind: "transient", firstOfEpisode: false });
    expect(budget.failed(false, 2)).toEqual({ kind: "counted", failures: 1 });
    expect(budget.worked()).toBe(true); // ends the transient episode and the run of failures
    expect(budget.failed(false, 2)).toEqual({ kind: "counted", failures: 1 });
    expect(budget.failed(false, 2)).toEqual({ kind: "gave_up", failures: 2 });
    expect(budget.failed(false, -1)).toEqual({ kind: "counted", failures: 3 });
  });

  test("while spawns fail and are retried, the reason is kept for `spawn_error`; a spawn that works clears it", () => {
    const budget = new SpawnBudget(
      () => 1000,
      () => 0,
    );
    expect(budget.retryingError).toBeNull();
    budget.failed(true, 2, "too many open files");
    expect(budget.retryingError).toBe("too many open files (transient: retrying with backoff, running processes kept)");
    expect(budget.spawnError).toBeNull(); // it has not given up
    budget.worked();
    expect(budget.retryingError).toBeNull();
    budget.failed(false, -1, "no such file");
    budget.failed(false, -1, "no such file");
    expect(budget.retryingError).toBe("no such file (2 failed spawns in a row, retrying forever: max_retry = -1)");
    budget.failed(false, 3, "no such file");
    budget.giveUp("gave up");
    expect(budget.retryingError).toBeNull(); // the reason it gave up is the one to show
    budget.reset();
    expect(budget.retryingError).toBeNull();
  });

  test("a process that died young delays the next spawn; one that lived a second clears the delay", () => {
    const budget = new SpawnBudget(
      () => 5000,
      () => 0,
    );
    budget.exited(200);
    budget.exited(300);
    expect(budget.waitMs()).toBe(200);
    budget.exited(1500);
    expect(budget.waitMs()).toBe(0);
  });

  test("a reset clears the failures, the delays and the reason it gave up", () => {
    const budget = new SpawnBudget(
      () => 1000,
      () => 0,
    );
    budget.failed(false, 1);
    budget.giveUp("no such file");
    expect([budget.spawnError, budget.waitMs()]).toEqual(["no such file", 100]);
    budget.reset();
    expect([budget.spawnError, budget.waitMs()]).toEqual([null, 0]);
    expect(budget.failed(false, 2)).toEqual({ kind: "counted", failures: 1 });
  });
});
