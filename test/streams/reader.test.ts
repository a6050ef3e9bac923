import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createStream } from "../../src/streams/create.ts";
import { FileStream } from "../../src/streams/file.ts";
import { QueueStream } from "../../src/streams/memory.ts";
import type { OutputStream } from "../../src/streams/types.ts";
import { CaptureReader } from "../../src/streams/reader.ts";
import { TailBuffer } from "../../src/streams/tail.ts";
import { until } from "../helpers/wait.ts";
import { linesOf, logged, spawnCaptured, tempDir } from "./helpers.ts";

const decode = (data: Uint8Array) => new TextDecoder().decode(data);

describe("CaptureReader", () => {
  test("output still in the pipe when a worker was killed is read and written in full", async () => {
    const dir = tempDir();
    const path = join(dir, "out.log");
    const stream = new FileStream({
      path,
      maxBytes: 0,
      backupCount: 0,
      timeFormat: null,
      compress: false,
      now: Date.now,
    });
    // 48 894 bytes fit in the socket, then the shell SIGKILLs itself in the middle of an unterminated line.
    const { child, stdout } = spawnCaptured("seq 1 10000; printf 'partial line'; kill -9 $$");
    expect(await child.exited).toBe(137);
    // The reader starts only now: everything it sees was left in the socket by a dead process.
    const reader = new CaptureReader(stdout, { pid: child.pid, channel: "stdout", stream, tail: null });
    await reader.done;
    expect(reader.eof).toBe(true);
    await stream.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.slice(0, 10000)).toEqual(Array.from({ length: 10000 }, (_, i) => String(i + 1)));
    expect(lines[10000]).toBe("partial line");
  });

  test("chunks are reassembled into whole lines for the stream and the tail buffer", async () => {
    const queue = new QueueStream();
    const tail = new TailBuffer(10);
    const { child, stdout } = spawnCaptured("printf 'ab'; sleep 0.05; printf 'c\\nde'; sleep 0.05; printf 'f\\ng\\n'");
    const reader = new CaptureReader(stdout, { pid: child.pid, channel: "stdout", stream: queue, tail });
    await reader.done;
    // Entries hold whole lines only (a completed held-back line may travel on its own).
    const entries = queue.drain().map((e) => decode(e.data));
    expect(entries.every((e) => e.endsWith("\n"))).toBe(true);
    expect(entries.join("")).toBe("abc\ndef\ng\n");
    expect(tail.lines().map((l) => l.line)).toEqual(["abc", "def", "g"]);
  });

  test("stdout and stderr sharing one file never interleave mid-line", async () => {
    const dir = tempDir();
    const ctx = { watcher: "w", configDir: dir, cwd: dir };
    const out = await createStream({ filename: "both.log" }, ctx);
    const err = await createStream({ filename: "both.log" }, ctx);
    // 5 000-byte lines are longer than what one read returns at times, so chunks end mid-line.
    const { child, stdout, stderr } = spawnCaptured(
      `awk 'BEGIN { s = sprintf("%5000s", ""); gsub(/ /, "x", s); for (i = 0; i < 300; i++) { print "out " i " " s; fflush(); print "err " i " " s > "/dev/stderr"; fflush("/dev/stderr") } }'`,
    );
    const readers = [
      new CaptureReader(stdout, { pid: child.pid, channel: "stdout", stream: out, tail: null }),
      new CaptureReader(stderr, { pid: child.pid, channel: "stderr", stream: err, tail: null }),
    ];
    await Promise.all(readers.map((r) => r.done));
    await out.close();
    await err.close();
    const lines = readFileSync(join(dir, "both.log"), "utf8").trimEnd().split("\n");
    expect(lines.length).toBe(600);
    for (const line of lines) expect(line).toMatch(/^(out|err) \d+ x{5000}$/);
  });

  test("a stream that cannot write (/dev/full) logs and keeps draining, so the worker finishes", async () => {
    const stream = new FileStream({
      path: "/dev/full",
      maxBytes: 0,
      backupCount: 0,
      timeFormat: null,
      compress: false,
      now: Date.now,
    });
    // 4 MB is far more than a socket holds: the worker would block forever if the reader stopped.
    const { child, stdout } = spawnCaptured("head -c 4000000 /dev/zero | tr '\\0' 'a' | fold -w 99");
    const reader = new CaptureReader(stdout, { pid: child.pid, channel: "stdout", stream, tail: null });
    expect(await child.exited).toBe(0);
    await reader.done;
    await stream.close();
    expect(logged.some((l) => l.includes("/dev/full") && l.includes("[ERROR]"))).toBe(true);
  });

  test("100 000 numbered lines from 10 workers through one rotating FileStream: none lost or duplicated", async () => {
    const dir = tempDir();
    const stream = await createStream(
      { filename: "app.log", max_bytes: "262144", backup_count: "100" },
      { watcher: "w", configDir: dir, cwd: dir },
    );
    const readers: CaptureReader[] = [];
    for (let w = 0; w < 10; w++) {
      const { child, stdout } = spawnCaptured(`seq -f 'worker ${w} line %06g padding-padding-padding' 1 10000`);
      readers.push(new CaptureReader(stdout, { pid: child.pid, channel: "stdout", stream, tail: null }));
    }
    await Promise.all(readers.map((r) => r.done));
    await stream.close();
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThan(262144);
    const lines = linesOf(dir, "app.log");
    expect(lines.length).toBe(100_000);
    expect(new Set(lines).size).toBe(100_000);
    for (const line of lines)
      if (!/^worker \d line \d{6} padding-padding-padding$/.test(line)) throw new Error(`damaged line ${line}`);
  });

  test("a paused channel loses no byte: the worker waits, and every line arrives once reading resumes", async () => {
    const queue = new QueueStream();
    const { child, stdout } = spawnCaptured("seq 1 200000");
    const reader = new CaptureReader(stdout, { pid: child.pid, channel: "stdout", stream: queue, tail: null });
    reader.pause();
    // 200 000 lines are ~1.3 MB, far more than the socket holds: the worker is blocked while paused.
    await Bun.sleep(300);
    expect(child.exitCode).toBeNull();
    expect(queue.size).toBe(0);
    reader.resume();
    expect(await child.exited).toBe(0);
    await reader.done;
    const text = queue
      .drain()
      .map((e) => decode(e.data))
      .join("");
    expect(text).toBe(Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join(""));
  });

  test("a stream that stays behind holds the worker at most output_block_timeout, then drops whole lines and counts them", async () => {
    // A sink that accepts entries but never finishes writing them (a disk that has stopped).
    const written: Uint8Array[] = [];
    let backlog = 0;
    const stuck: OutputStream = {
      kind: "StuckStream",
      get backlog() {
        return backlog;
      },
      write(entry) {
        written.push(entry.data);
        backlog += entry.data.length;
      },
      flush: () => new Promise<void>(() => {}),
      reopen: async () => {},
      close: async () => {},
    };
    const { child, stdout } = spawnCaptured("seq -f 'line %06g padding' 1 100000");
    const t0 = performance.now();
    const reader = new CaptureReader(stdout, {
      pid: child.pid,
      channel: "stdout",
      stream: stuck,
      tail: null,
      highWater: 64 * 1024,
      blockTimeoutMs: () => 200,
    });
    expect(await child.exited).toBe(0);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(3000);
    // The worker's exit leaves its last output in the socket: the reader reports the dropped lines once it
    // has read to the end (its `done` waits for a flush this stream never finishes).
    await until(
      () =>
        logged.some((l) =>
          /\d+ lines of stdout of process \d+ dropped: StuckStream took longer than output_block_timeout/.test(l),
        ),
      5000,
      "the report of the dropped lines",
    );
    expect(reader.dropped.lines).toBeGreaterThan(0);
    // What reached the stream and what was dropped are whole lines adding up to everything written.
    const text = written.map(decode).join("");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n").length - 1 + reader.dropped.lines).toBe(100000);
  });
});
