import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { colorFor, FancyStdoutStream, PassthroughStream, StdoutStream } from "../../src/streams/console.ts";
import { entry, tempDir } from "./helpers.ts";

const at = new Date(2024, 5, 1, 13, 14, 15).getTime() / 1000;

function withFd<T>(fn: (fd: number, path: string) => Promise<T>): Promise<string> {
  const path = join(tempDir(), "out.txt");
  const fd = openSync(path, "a");
  return fn(fd, path).then(() => {
    closeSync(fd);
    return readFileSync(path, "utf8");
  });
}

describe("FancyStdoutStream", () => {
  test("colours each non-empty line with the configured colour and a time/pid prefix", async () => {
    const text = await withFd(async (fd) => {
      const stream = new FancyStdoutStream({ fd, color: "Green", watcher: "web", env: {}, terminal: true });
      stream.write(entry("one\n\ntwo\n", 7, "stdout", at));
      await stream.close();
    });
    expect(text).toBe(
      "\x1b[0;32;40m2024-06-01 13:14:15 [7] | one\x1b[0m\n\x1b[0;32;40m2024-06-01 13:14:15 [7] | two\x1b[0m\n",
    );
  });

  test("a file, a pipe or journald gets no colour escapes: colour only on a terminal", async () => {
    const text = await withFd(async (fd) => {
      const stream = new FancyStdoutStream({ fd, color: "green", watcher: "web", env: {} });
      expect(stream.colored).toBe(false);
      stream.write(entry("plain\n", 7, "stdout", at));
      await stream.close();
    });
    expect(text).toBe("2024-06-01 13:14:15 [7] | plain\n");
  });

  test("NO_COLOR turns colours off and time_format is honoured", async () => {
    const text = await withFd(async (fd) => {
      const stream = new FancyStdoutStream({ fd, watcher: "web", timeFormat: "%H:%M", env: { NO_COLOR: "1" } });
      expect(stream.colored).toBe(false);
      stream.write(entry("plain\n", 9, "stderr", at));
      await stream.close();
    });
    expect(text).toBe("13:14 [9] | plain\n");
  });

  test("without a valid colour each watcher gets a stable colour of its own", () => {
    expect(new FancyStdoutStream({ watcher: "web", color: "purple", env: {} }).color).toBe(colorFor("web"));
    expect(colorFor("web")).toBe(colorFor("web"));
    const colours = new Set(["web", "worker", "redis", "celery", "api", "db"].map(colorFor));
    expect(colours.size).toBeGreaterThan(2);
  });
});

describe("StdoutStream and PassthroughStream", () => {
  test("StdoutStream writes both channels unchanged to one fd", async () => {
    const text = await withFd(async (fd) => {
      const stream = new StdoutStream({ fd });
      stream.write(entry("out\n", 1, "stdout"));
      stream.write(entry("err\n", 1, "stderr"));
      await stream.close();
    });
    expect(text).toBe("out\nerr\n");
  });

  test("the passthrough keeps stdout and stderr apart, like an inherited fd", async () => {
    const dir = tempDir();
    const outFd = openSync(join(dir, "o"), "a");
    const errFd = openSync(join(dir, "e"), "a");
    const stream = new PassthroughStream({ stdoutFd: outFd, stderrFd: errFd });
    stream.write(entry("to out\n", 1, "stdout"));
    stream.write(entry("to err\n", 1, "stderr"));
    await stream.close();
    closeSync(outFd);
    closeSync(errFd);
    expect(readFileSync(join(dir, "o"), "utf8")).toBe("to out\n");
    expect(readFileSync(join(dir, "e"), "utf8")).toBe("to err\n");
  });

  test("with a prefix (output_prefix) every line starts with name.pid | , empty ones too", async () => {
    const text = await withFd(async (fd) => {
      const stream = new PassthroughStream({ stdoutFd: fd, stderrFd: fd, prefix: "web" });
      stream.write(entry("one\n\ntwo\n", 42, "stdout"));
      stream.write(entry("oops\n", 43, "stderr"));
      await stream.close();
    });
    expect(text).toBe("web.42 | one\nweb.42 | \nweb.42 | two\nweb.43 | oops\n");
  });
});
