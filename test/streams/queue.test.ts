import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { openFdQueue } from "../../src/streams/console.ts";
import { AGAIN, WriteQueue } from "../../src/streams/queue.ts";
import { logged, tempDir } from "./helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const numbered = (from: number, to: number, width = 40) =>
  Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(6, "0")} `.padEnd(width, "x"));

/** A device of `room` bytes that fails with ENOSPC once full, until `free()` is called. */
function smallDisk(room: number) {
  let written = "";
  let full = false;
  const enospc = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  return {
    writer: (batch: Uint8Array[]) => {
      if (full) return Promise.reject(enospc());
      const data = decoder.decode(Buffer.concat(batch));
      if (written.length + data.length <= room) {
        written += data;
        return Promise.resolve(data.length);
      }
      // Like write(2) on a nearly full disk: what fits goes out, the next call fails.
      const fits = room - written.length;
      written += data.slice(0, fits);
      full = true;
      return fits > 0 ? Promise.resolve(fits) : Promise.reject(enospc());
    },
    free() {
      full = false;
      room = Infinity;
    },
    get text() {
      return written;
    },
  };
}

describe("WriteQueue", () => {
  test("a write cut by a full disk leaves no spliced line once space returns, and the dropped lines are counted", async () => {
    const disk = smallDisk(1000);
    const queue = new WriteQueue(disk.writer, { what: "/var/log/app.log" });
    // 40-byte lines: the disk fills 25 lines in, in the middle of none — so start it 13 bytes off.
    queue.push(encoder.encode("first line\n1\n"));
    for (const line of numbered(1, 100)) queue.push(encoder.encode(`${line}\n`));
    await queue.barrier();
    expect(disk.text.endsWith("\n")).toBe(false); // the disk holds the start of a cut line
    disk.free();
    for (const line of numbered(101, 110)) queue.push(encoder.encode(`${line}\n`));
    await queue.barrier();
    const lines = disk.text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.slice(0, 2)).toEqual(["first line", "1"]);
    // Every line is whole: the cut one was finished first, the next ones written after it.
    for (const line of lines.slice(2)) expect(line).toMatch(/^line \d{6} x+$/);
    expect(lines.slice(-10)).toEqual(numbered(101, 110));
    const dropped = queue.dropped.lines;
    expect(dropped).toBeGreaterThan(0);
    expect(lines.length - 2 + dropped).toBe(110);
    expect(logged.some((l) => /cannot write \/var\/log\/app\.log: ENOSPC.*lines \(\d+ bytes\) dropped/.test(l))).toBe(
      true,
    );
    expect(logged.some((l) => l.includes("writing /var/log/app.log works again"))).toBe(true);
  });

  test("a target that takes nothing for stallMs drops what is queued, and barrier() stops waiting for it", async () => {
    let open = false;
    const out: string[] = [];
    const queue = new WriteQueue(
      (batch) => {
        if (!open) return AGAIN;
        const text = decoder.decode(Buffer.concat(batch));
        out.push(text);
        return text.length;
      },
      { what: "to stdout", stallMs: 100 },
    );
    const t0 = performance.now();
    for (const line of numbered(1, 50)) queue.push(encoder.encode(`${line}\n`));
    await queue.barrier();
    await queue.idle();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(queue.stalled).toBe(true);
    expect(queue.dropped.lines).toBe(50);
    // While stalled, a new line is tried once and dropped at once.
    queue.push(encoder.encode("still stalled\n"));
    await queue.barrier();
    expect(queue.dropped.lines).toBe(51);
    open = true;
    queue.push(encoder.encode("back\n"));
    await queue.idle();
    expect(out).toEqual(["back\n"]);
    expect(queue.stalled).toBe(false);
    expect(logged.some((l) => l.includes("cannot write to stdout: nothing could be written for 0.1 s"))).toBe(true);
  });

  test("a write that never returns (a blocking fd nobody reads) no longer holds up barrier() and idle()", async () => {
    const queue = new WriteQueue(() => new Promise<number>(() => {}), { what: "to stdout", stallMs: 100 });
    queue.push(encoder.encode("stuck\n"));
    queue.push(encoder.encode("behind it\n"));
    const t0 = performance.now();
    await queue.barrier();
    await queue.idle();
    expect(performance.now() - t0).toBeLessThan(1000);
    // Both lines went out in the write that hangs; what comes after it is dropped at once.
    queue.push(encoder.encode("dropped at once\n"));
    expect(queue.dropped.lines).toBe(1);
  });

  test("a pipe nobody reads is written without blocking: lines beyond its capacity are dropped whole", async () => {
    const fifo = join(tempDir(), "out.fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    // Opened read-write: the pipe stays open with a reader that does not read (until we do, below).
    const fd = openSync(fifo, "r+");
    const readAll = () => {
      const buf = Buffer.alloc(1 << 20);
      return buf.subarray(0, readSync(fd, buf, 0, buf.length, null)).toString();
    };
    try {
      const queue = openFdQueue(fd, { stallMs: 150 });
      const lines = numbered(1, 5000, 100); // 500 KB: far more than the pipe's 64 KiB
      for (const line of lines) queue.push(encoder.encode(`${line}\n`));
      const t0 = performance.now();
      await queue.barrier();
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(queue.dropped.lines).toBeGreaterThan(4000);
      // The reader comes back: the pipe's content, then the end of a line cut by the full pipe (if
      // any) and the next line, read as one text, is whole lines in order.
      let text = readAll();
      queue.push(encoder.encode("after\n"));
      await queue.idle();
      text += readAll();
      const got = text.split("\n");
      expect(got.pop()).toBe("");
      expect(got.pop()).toBe("after");
      expect(got).toEqual(lines.slice(0, got.length));
      expect(got.length + queue.dropped.lines).toBe(5000);
    } finally {
      closeSync(fd);
    }
  });
});
