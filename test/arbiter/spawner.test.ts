import { describe, expect, test } from "bun:test";
import { WidSlots } from "../../src/arbiter/spawner.ts";

describe("WidSlots", () => {
  test("hands out the smallest free slot in 1…2×numprocesses, reusing released ones first", () => {
    const slots = new WidSlots();
    expect([1, 2, 3].map(() => slots.take(2))).toEqual([1, 2, 3]);
    slots.release(2);
    expect(slots.take(2)).toBe(2);
    expect(slots.take(2)).toBe(4);
    expect(slots.take(2)).toBeNull(); // 2 × numprocesses are taken
    slots.release(1);
    slots.release(3);
    expect(slots.take(2)).toBe(1);
    expect(slots.take(2)).toBe(3);
  });

  test("filling 10 000 slots in order takes constant time per slot", () => {
    const slots = new WidSlots();
    const before = process.cpuUsage();
    for (let i = 1; i <= 10_000; i++) expect(slots.take(10_000)).toBe(i);
    // A scan from slot 1 for each take (the former freeWid) is 50 million steps: seconds, not this. Timed
    // in CPU time: a loaded machine may set this process aside mid-loop, which wall time would count.
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(500);
  });
});
