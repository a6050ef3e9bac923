import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { FileStream, WatchedFileStream, type FileStreamOptions } from "../../src/streams/file.ts";
import { entry, logged, tempDir } from "./helpers.ts";

function options(path: string, extra: Partial<FileStreamOptions> = {}): FileStreamOptions {
  return { path, maxBytes: 0, backupCount: 0, timeFormat: null, compress: false, now: Date.now, ...extra };
}

describe("FileStream", () => {
  test("appends to an existing file and creates a missing one", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    writeFileSync(path, "old\n");
    const stream = new FileStream(options(path));
    stream.write(entry("new\n"));
    await stream.close();
    expect(readFileSync(path, "utf8")).toBe("old\nnew\n");
  });

  test("rotates by size only between lines, keeping every file under max_bytes", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path, { maxBytes: 100, backupCount: 50 }));
    const lines = Array.from({ length: 60 }, (_, i) => `line ${String(i).padStart(3, "0")} abcdefgh`);
    // One big entry of many lines and many small ones: both must rotate at line ends.
    stream.write(entry(lines.slice(0, 30).join("\n") + "\n"));
    for (const line of lines.slice(30)) stream.write(entry(line + "\n"));
    await stream.close();
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(10);
    const all: string[] = [];
    for (let i = files.length - 1; i >= 1; i--) all.push(...readFileSync(`${path}.${i}`, "utf8").trimEnd().split("\n"));
    all.push(...readFileSync(path, "utf8").trimEnd().split("\n"));
    expect(all).toEqual(lines);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThan(100);
  });

  test("files rotated while later lines are still queued are filled up to max_bytes, not half", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path, { maxBytes: 1000, backupCount: 50 }));
    const line = "x".repeat(98) + "\n"; // 99 bytes: ten lines fill a file (990 < 1000)
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 25; i++) stream.write(entry(line));
      await Bun.sleep(1); // one burst per tick: rotations happen with lines queued behind them
    }
    await stream.close();
    const rotated = readdirSync(dir).filter((f) => f !== "app.log");
    expect(rotated.length).toBe(49);
    for (const f of rotated) expect(statSync(join(dir, f)).size).toBe(990);
  });

  test("keeps only backup_count rotated files, the newest as .1", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path, { maxBytes: 20, backupCount: 2 }));
    for (let i = 0; i < 6; i++) stream.write(entry(`line number ${i}\n`));
    await stream.close();
    expect(readdirSync(dir).sort()).toEqual(["app.log", "app.log.1", "app.log.2"]);
    expect(readFileSync(path, "utf8")).toBe("line number 5\n");
    expect(readFileSync(`${path}.1`, "utf8")).toBe("line number 4\n");
    expect(readFileSync(`${path}.2`, "utf8")).toBe("line number 3\n");
  });

  test("a line longer than max_bytes gets a file of its own instead of being cut", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path, { maxBytes: 10, backupCount: 5 }));
    stream.write(entry("short\n" + "x".repeat(30) + "\nend\n"));
    await stream.close();
    expect(readFileSync(`${path}.2`, "utf8")).toBe("short\n");
    expect(readFileSync(`${path}.1`, "utf8")).toBe("x".repeat(30) + "\n");
    expect(readFileSync(path, "utf8")).toBe("end\n");
  });

  test("time_format prefixes every line with time and pid, using the entry's timestamp", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path, { timeFormat: "%Y-%m-%d %H:%M:%S.%f" }));
    const ts = new Date(2024, 2, 5, 7, 8, 9, 250).getTime() / 1000;
    stream.write(entry("one\ntwo\n", 1234, "stdout", ts));
    stream.write(entry("partial", 1234, "stdout", ts));
    await stream.close();
    expect(readFileSync(path, "utf8")).toBe(
      "2024-03-05 07:08:09.250000 [1234] | one\n2024-03-05 07:08:09.250000 [1234] | two\n2024-03-05 07:08:09.250000 [1234] | partial\n",
    );
  });

  test("compress = true leaves gzip files that gunzip back to the rotated lines", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path, { maxBytes: 30, backupCount: 3, compress: true }));
    for (let i = 0; i < 4; i++) stream.write(entry(`compressed line ${i}\n`));
    await stream.close();
    expect(readdirSync(dir).sort()).toEqual(["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"]);
    expect(gunzipSync(readFileSync(`${path}.1.gz`)).toString()).toBe("compressed line 2\n");
    const gunzip = Bun.spawnSync(["gunzip", "-c", `${path}.3.gz`]);
    expect(gunzip.stdout.toString()).toBe("compressed line 0\n");
  });

  test("a character device such as /dev/null is written but never rotated", async () => {
    const stream = new FileStream(options("/dev/null", { maxBytes: 5, backupCount: 2 }));
    for (let i = 0; i < 5; i++) stream.write(entry("more than five bytes\n"));
    await stream.close();
    expect(existsSync("/dev/null.1")).toBe(false);
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
  });

  test("write errors on /dev/full are logged once, rate-limited, and the queue keeps draining", async () => {
    const stream = new FileStream(options("/dev/full"));
    for (let i = 0; i < 200; i++) {
      stream.write(entry("lost line\n"));
      if (i % 50 === 0) await stream.flush();
    }
    await stream.close();
    expect(stream.backlog).toBe(0);
    const errors = logged.filter((l) => l.includes("/dev/full"));
    expect(errors.length).toBe(1);
    expect(errors[0]).toContain("[ERROR]");
    expect(errors[0]).toMatch(/ENOSPC|no space/i);
  });

  test("a missing directory is a config error naming the path", () => {
    expect(() => new FileStream(options("/nonexistent-dir/app.log"))).toThrow(/cannot open \/nonexistent-dir\/app.log/);
  });

  test("reopen starts a new file after the old one was moved away", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new FileStream(options(path));
    stream.write(entry("before\n"));
    await stream.flush();
    renameSync(path, `${path}.moved`);
    await stream.reopen();
    stream.write(entry("after\n"));
    await stream.close();
    expect(readFileSync(`${path}.moved`, "utf8")).toBe("before\n");
    expect(readFileSync(path, "utf8")).toBe("after\n");
  });
});

describe("WatchedFileStream", () => {
  test("notices a file moved or deleted by an external tool and writes to a fresh one", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const stream = new WatchedFileStream(options(path));
    stream.write(entry("first\n"));
    await stream.flush();
    renameSync(path, `${path}.1`);
    stream.write(entry("second\n"));
    await stream.flush();
    unlinkSync(path);
    stream.write(entry("third\n"));
    await stream.close();
    expect(readFileSync(`${path}.1`, "utf8")).toBe("first\n");
    expect(readFileSync(path, "utf8")).toBe("third\n");
  });
});
