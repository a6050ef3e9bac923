import { describe, expect, test } from "bun:test";
import { SerialQueue } from "../../src/arbiter/queue.ts";

describe("SerialQueue", () => {
  test("tasks run one at a time in submission order", async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await Bun.sleep(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([q.run(task("a", 20)), q.run(task("b", 1)), q.run(task("c", 5))]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  test("a failing task rejects its caller and the queue goes on", async () => {
    const q = new SerialQueue();
    const failed = q.run(() => {
      throw new Error("nope");
    });
    expect(failed).rejects.toThrow("nope");
    expect(await q.run(() => 42)).toBe(42);
    expect(q.size).toBe(0);
  });
});
