import { describe, expect, test } from "bun:test";
import { RetryBudget } from "../../src/arbiter/backoff.ts";

describe("RetryBudget", () => {
  test("the respawn delay doubles from 100 ms and stops at check_delay", () => {
    const budget = new RetryBudget(() => 700);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      budget.recordFailure();
      delays.push(Math.round(budget.waitMs() / 10) * 10);
    }
    expect(delays).toEqual([100, 200, 400, 700, 700, 700]);
    expect(budget.count).toBe(6);
  });

  test("a success resets both the count and the delay", () => {
    const budget = new RetryBudget(() => 5000);
    budget.recordFailure();
    budget.recordFailure();
    budget.reset();
    expect([budget.count, budget.waitMs()]).toEqual([0, 0]);
    budget.recordFailure();
    expect(Math.round(budget.waitMs() / 10) * 10).toBe(100);
  });

  test("max_retry -1 never runs out, 0 never allows a start, N allows N failures", () => {
    const budget = new RetryBudget(() => 1000);
    expect(budget.mayRetry(0)).toBe(false);
    for (let i = 0; i < 50; i++) budget.recordFailure();
    expect(budget.mayRetry(-1)).toBe(true);
    budget.reset();
    budget.recordFailure();
    budget.recordFailure();
    expect([budget.mayRetry(3), budget.mayRetry(2)]).toEqual([true, false]);
  });
});
