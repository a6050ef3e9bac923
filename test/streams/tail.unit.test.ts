import { describe, expect, test } from "bun:test";
import { TailBuffer } from "../../src/streams/tail.ts";
import { logged } from "./helpers.ts";

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

  test("a follower that throws is dropped with an error logged; capture and other followers go on", () => {
    const tail = new TailBuffer(10);
    const seen: string[] = [];
    let calls = 0;
    tail.subscribe(() => {
      calls++;
      throw new Error("socket gone");
    });
    tail.subscribe((l) => seen.push(l.line));
    tail.push(bytes("a\nb\n"), 5, "stdout");
    expect(calls).toBe(1);
    expect(seen).toEqual(["a", "b"]);
    expect(tail.lines().map((l) => l.line)).toEqual(["a", "b"]);
    expect(logged.filter((l) => l.includes("[ERROR]"))).toEqual([
      expect.stringContaining("a follower of stdout output failed and was dropped: socket gone"),
    ]);
  });

  test("since(cursor) gives only the lines after it, and a new cursor", () => {
    const tail = new TailBuffer(10);
    tail.push(bytes("a\nb\n"), 1, "stdout");
    const first = tail.since(0);
    expect(first.lines.map((l) => l.line)).toEqual(["a", "b"]);
    expect(first.truncated).toBe(false);
    expect(tail.since(first.cursor).lines).toEqual([]);
    tail.push(bytes("c\n"), 1, "stderr");
    tail.push(bytes("d\n"), 1, "stdout");
    const next = tail.since(first.cursor);
    expect(next.lines.map((l) => l.line)).toEqual(["c", "d"]);
    expect(tail.since(first.cursor, 10, "stdout").lines.map((l) => l.line)).toEqual(["d"]);
    expect(next.cursor).toBeGreaterThan(first.cursor);
  });

  test("a cursor the buffer has moved past is reported as truncated, also when lines were dropped undecoded", () => {
    const tail = new TailBuffer(5);
    tail.push(bytes("1\n2\n"), 1, "stdout");
    const cursor = tail.cursor;
    tail.push(bytes("3\n4\n5\n6\n7\n8\n"), 1, "stdout");
    expect(tail.since(cursor)).toMatchObject({
      truncated: true,
      lines: [{ line: "4" }, { line: "5" }, { line: "6" }, { line: "7" }, { line: "8" }],
    });
    // Far over the raw budget with nobody reading: old output is dropped without being decoded.
    const c2 = tail.cursor;
    for (let i = 0; i < 3000; i++) tail.push(bytes(`${"z".repeat(1000)} ${i}\n`), 1, "stdout");
    const after = tail.since(c2);
    expect(after.truncated).toBe(true);
    expect(after.lines.map((l) => l.line.split(" ")[1])).toEqual(["2995", "2996", "2997", "2998", "2999"]);
    expect(tail.since(after.cursor)).toMatchObject({ lines: [], truncated: false });
  });

  test("a cursor from another buffer (ahead of this one) counts as truncated", () => {
    const tail = new TailBuffer(5);
    tail.push(bytes("x\n"), 1, "stdout");
    expect(tail.since(1000)).toMatchObject({ truncated: true, lines: [{ line: "x" }] });
  });
});

describe("TailBuffer memory bound", () => {
  test("kept text is bounded by bytes as well as lines: long lines push the oldest out", () => {
    const tail = new TailBuffer(1000, 64 * 1024);
    const long = "y".repeat(8000);
    for (let i = 0; i < 200; i++) tail.push(new TextEncoder().encode(`${i} ${long}\n`), 1, "stdout");
    const lines = tail.lines();
    // 64 KiB hold 8 of these 8 KB lines (the newest), not 200 — nor 1000.
    expect(lines.length).toBe(8);
    expect(lines.at(-1)!.line.startsWith("199 ")).toBe(true);
    expect(tail.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  test("a follower sees every line while the buffer keeps only what fits", () => {
    const tail = new TailBuffer(1000, 10_000);
    const seen: string[] = [];
    tail.subscribe((l) => seen.push(l.line));
    for (let i = 0; i < 50; i++) tail.push(new TextEncoder().encode(`${i} ${"z".repeat(1000)}\n`), 1, "stdout");
    expect(seen.length).toBe(50);
    expect(tail.lines().length).toBeLessThanOrEqual(10);
    expect(tail.since(0).truncated).toBe(true);
  });

  test("50 watchers printing 8 KB lines hold a bounded amount of memory", () => {
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const tails = Array.from({ length: 50 }, () => new TailBuffer());
    const chunk = new TextEncoder().encode(`${"w".repeat(8191)}\n`.repeat(8));
    for (let round = 0; round < 200; round++) for (const tail of tails) tail.push(chunk, 1, "stdout");
    for (const tail of tails) tail.lines();
    Bun.gc(true);
    const grown = (process.memoryUsage().rss - before) / 1048576;
    // 1 MiB of text each: 50 MB plus overhead, where the line bound alone allowed 400 MB (641 MB measured).
    expect(grown).toBeLessThan(120);
    for (const tail of tails) expect(tail.bytes).toBeLessThanOrEqual(1 << 20);
  });
});
