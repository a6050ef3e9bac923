import { describe, expect, test } from "bun:test";
import { Backoff } from "../../src/arbiter/backoff.ts";

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
