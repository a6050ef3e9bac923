import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createStream, openStreamPaths, reopenAllStreams, resolveStreamClass } from "../../src/streams/create.ts";
import type { QueueStream } from "../../src/streams/memory.ts";
import { entry, tempDir } from "./helpers.ts";

describe("createStream", () => {
  test("Circus's class spellings map to our built-ins", () => {
    expect(resolveStreamClass({ class: "circus.stream.FileStream" })).toBe("FileStream");
    expect(resolveStreamClass({ class: "circus.stream.file_stream.WatchedFileStream" })).toBe("WatchedFileStream");
    expect(resolveStreamClass({ class: "FancyStdoutStream" })).toBe("FancyStdoutStream");
    expect(resolveStreamClass({ class: "stdoutstream" })).toBe("StdoutStream");
    expect(resolveStreamClass({ filename: "x.log" })).toBe("FileStream");
    expect(resolveStreamClass({ class: "./my.ts:make" })).toEqual({ module: "./my.ts", exportName: "make" });
  });

  test("an unknown class is refused with the list of valid classes", () => {
    expect(() => resolveStreamClass({ class: "Nope" })).toThrow(
      'unknown stream class "Nope"; use FileStream, WatchedFileStream, TimedRotatingFileStream, QueueStream, StdoutStream, FancyStdoutStream, NullStream or ./module.ts:factory',
    );
    expect(() => resolveStreamClass({ class: "mypkg.streams.Custom" })).toThrow(/Python classes cannot be loaded/);
    expect(() => resolveStreamClass({})).toThrow(/stream configuration invalid/);
  });

  test("bad numbers are refused naming the option", async () => {
    const dir = tempDir();
    await expect(
      createStream({ filename: "a.log", max_bytes: "ten" }, { watcher: "w", configDir: dir, cwd: dir }),
    ).rejects.toThrow('max_bytes: "ten" is not an integer, expected a whole number like 3');
  });

  test("a custom class is a module factory resolved against the config directory", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "mystream.ts"),
      `export function create(config, ctx) {
         const seen = [];
         globalThis.__customSeen = seen;
         return { write(e) { seen.push(ctx.watcher + ":" + config.prefix + new TextDecoder().decode(e.data)); } };
       }`,
    );
    const stream = await createStream(
      { class: "./mystream.ts:create", prefix: ">" },
      { watcher: "web", configDir: dir, cwd: dir },
    );
    stream.write(entry("hello\n"));
    await stream.flush();
    await stream.close();
    expect((globalThis as Record<string, unknown>).__customSeen).toEqual(["web:>hello\n"]);
    await expect(
      createStream({ class: "./mystream.ts:missing" }, { watcher: "web", configDir: dir, cwd: dir }),
    ).rejects.toThrow(/no exported function "missing"/);
  });

  test("stdout and stderr naming the same file share one writer until both are closed", async () => {
    const dir = tempDir();
    const ctx = { watcher: "web", configDir: dir, cwd: dir };
    const out = await createStream({ filename: "both.log" }, ctx);
    const err = await createStream({ class: "FileStream", filename: join(dir, "both.log") }, ctx);
    expect(openStreamPaths().filter((p) => p === join(dir, "both.log")).length).toBe(1);
    out.write(entry("from stdout\n", 1, "stdout"));
    err.write(entry("from stderr\n", 1, "stderr"));
    await out.close();
    err.write(entry("still open\n", 1, "stderr"));
    await reopenAllStreams();
    await err.close();
    expect(openStreamPaths()).not.toContain(join(dir, "both.log"));
    expect(readFileSync(join(dir, "both.log"), "utf8")).toBe("from stdout\nfrom stderr\nstill open\n");
  });

  test("QueueStream keeps every entry unchanged", async () => {
    const stream = (await createStream(
      { class: "circus.stream.QueueStream" },
      { watcher: "w", configDir: "/" },
    )) as QueueStream;
    const e = entry("x");
    stream.write(e);
    expect(stream.shift()).toBe(e);
  });

  test("opening the same file again with other options re-tunes its one writer (set stdout_stream.max_bytes)", async () => {
    const dir = tempDir();
    const first = await createStream(
      { filename: "app.log", max_bytes: "2000", backup_count: "3" },
      { watcher: "w", configDir: dir, cwd: dir },
    );
    const second = await createStream(
      { filename: "app.log", max_bytes: "20000", backup_count: "3" },
      { watcher: "w", configDir: dir, cwd: dir },
    );
    await first.close(); // the old output drains and lets go, as `set` does after the swap
    for (let i = 0; i < 100; i++) second.write(entry("y".repeat(99) + "\n")); // 10 000 bytes
    await second.close();
    // With the old max_bytes (2000) this would have rotated four times.
    expect(readdirSync(dir).sort()).toEqual(["app.log"]);
  });
});
