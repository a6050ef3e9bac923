// The stream table: class resolution, and what the loader says about sub-options a class does not read
// or values that do not parse.

import { describe, expect, test } from "bun:test";
import { STREAM_CLASS_NAMES, streamClassOf } from "../../../src/config/options/stream.ts";
import { ctlSetValue } from "../../../src/config/options/watcher-wire.ts";
import { loadText, problemsOf } from "../fixture.ts";

describe("stream sub-options", () => {
  test("a misspelt option of a built-in class warns with the near one and is kept", async () => {
    const c = await loadText(
      "[watcher:w]\ncmd = run\nstdout_stream.class = FileStream\nstdout_stream.filenme = /tmp/x.log\nstderr_stream.class = StdoutStream\nstderr_stream.colour = red\n",
    );
    expect(c.warnings.map((w) => w.message)).toEqual([
      'watcher:w.stdout_stream.filenme: FileStream has no option "filenme", ignored; did you mean "stdout_stream.filename"?',
      'watcher:w.stderr_stream.colour: StdoutStream has no option "colour", ignored',
    ]);
    expect(c.warnings[0]?.location?.line).toBe(4);
    expect(c.watchers[0]!.stdout_stream).toEqual({ class: "FileStream", filenme: "/tmp/x.log" });
  });

  test("without class and filename a misspelt filename is a load error naming the near key", async () => {
    const problems = await problemsOf("[watcher:w]\ncmd = run\nstdout_stream.filenme = /tmp/x.log\n");
    expect(problems).toEqual([
      'circus.ini:3: watcher:w.stdout_stream.filenme: stream configuration invalid: set class or filename; did you mean "stdout_stream.filename"?',
    ]);
  });

  test("a custom class reads any option; refresh_time is deprecated", async () => {
    const c = await loadText(
      "[watcher:w]\ncmd = run\nstdout_stream.class = ./s.ts:make\nstdout_stream.anything = 1\nstdout_stream.refresh_time = 1\n",
    );
    expect(c.warnings.map((w) => w.message)).toEqual([
      "watcher:w.stdout_stream.refresh_time: deprecated by Circus and not needed here; ignored",
    ]);
  });

  test("typed options must parse and be in range, at load, with their line", async () => {
    expect(
      await problemsOf(
        "[watcher:w]\ncmd = run\nstdout_stream.filename = a.log\nstdout_stream.max_bytes = ten\nstdout_stream.backup_count = -1\nstdout_stream.compress = maybe\n",
      ),
    ).toEqual([
      'circus.ini:4: watcher:w.stdout_stream.max_bytes: "ten" is not an integer, expected a whole number like 3',
      "circus.ini:5: watcher:w.stdout_stream.backup_count: -1 is negative, expected 0 or more files",
      'circus.ini:6: watcher:w.stdout_stream.compress: "maybe" is not a boolean, expected true/false, yes/no, on/off or 1/0',
    ]);
  });

  test("circus ctl set checks a typed option by the same kind and sends whole numbers as numbers", () => {
    expect(ctlSetValue("stdout_stream.max_bytes", "100")).toBe(100);
    expect(ctlSetValue("stdout_stream.utc", "yes")).toBe("yes");
    expect(() => ctlSetValue("stdout_stream.utc", "maybe")).toThrow("is not a boolean");
    expect(ctlSetValue("stderr_stream.prefix", "x")).toBe("x");
  });
});

describe("stream classes", () => {
  test("built-in names in any case or Circus's dotted spelling, modules, and mistakes", () => {
    expect(streamClassOf({ class: "circus.stream.file_stream.WatchedFileStream" })).toBe("WatchedFileStream");
    expect(streamClassOf({ class: "nullstream" })).toBe("NullStream");
    expect(streamClassOf({ filename: "x.log" })).toBe("FileStream");
    expect(streamClassOf({ class: "./s.ts" })).toEqual({ module: "./s.ts", exportName: "default" });
    expect(streamClassOf({ class: "constructor" })).toMatchObject({ error: expect.stringContaining("unknown stream") });
    expect(streamClassOf({})).toEqual({ error: "stream configuration invalid: set class or filename" });
    expect(STREAM_CLASS_NAMES).toContain("TimedRotatingFileStream");
  });
});
