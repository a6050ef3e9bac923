import { describe, expect, test } from "bun:test";
import { TailBuffer } from "../../src/streams/tail.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("TailBuffer", () => {
  test("keeps only the last N lines however much is pushed", () => {
    const tail = new TailBuffer(100);
    for (let chunk = 0; chunk < 50; chunk++) {
      const lines = Array.from({ length: 100 }, (_, i) => `line ${chunk * 100 + i}`).join("\n") + "\n";
      tail.push(bytes(lines), 10, "stdout", chunk);
    }
    expect(tail.size).toBe(100);
    const last = tail.lines();
    expect(last[0]!.line).toBe("line 4900");
    expect(last[99]).toEqual({ pid: 10, stream: "stdout", time: 49, line: "line 4999" });
  });

  test("stays bounded while megabytes stream through without readers", () => {
    const tail = new TailBuffer(3);
    const line = "y".repeat(99) + "\n";
    for (let i = 0; i < 300; i++) tail.push(bytes(line.repeat(99) + `chunk ${i}\n`), 1, "stdout");
    expect((tail as unknown as { rawBytes: number }).rawBytes).toBeLessThanOrEqual(1 << 20);
    expect(tail.lines().map((l) => l.line)).toEqual(["y".repeat(99), "y".repeat(99), "chunk 299"]);
  });

  test("filters by channel and count, and truncates very long lines", () => {
    const tail = new TailBuffer(10);
    tail.push(bytes("a\nb\n"), 1, "stdout");
    tail.push(bytes("c\n"), 1, "stderr");
    tail.push(bytes("x".repeat(100_000) + "\n"), 1, "stdout");
    expect(tail.lines(10, "stderr").map((l) => l.line)).toEqual(["c"]);
    expect(tail.lines(2).map((l) => l.line.length)).toEqual([1, 8192]);
  });

  test("subscribers see every live line, including an unterminated last one", () => {
    const tail = new TailBuffer(2);
    const seen: string[] = [];
    const stop = tail.subscribe((l) => seen.push(`${l.pid}/${l.stream}: ${l.line}`));
    tail.push(bytes("1\n2\n3\n"), 5, "stdout");
    tail.push(bytes("no newline"), 5, "stderr");
    stop();
    tail.push(bytes("after\n"), 5, "stdout");
    expect(seen).toEqual(["5/stdout: 1", "5/stdout: 2", "5/stdout: 3", "5/stderr: no newline"]);
    expect(tail.lines().map((l) => l.line)).toEqual(["no newline", "after"]);
  });
});
