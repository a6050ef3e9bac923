// --log-level / --log-output of circusd-stats, circus-plugin and circushttpd (src/cli/shared/tool-logging.ts).

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startToolLogging, ToolLoggingError, toolLogLevel } from "../../src/cli/shared/tool-logging.ts";
import { getLogger, type LogSink, setLogLevel, setLogSink } from "../../src/util/log.ts";

const HELPER = new URL("../../src/cli/shared/tool-logging.ts", import.meta.url).pathname;
const LOG = new URL("../../src/util/log.ts", import.meta.url).pathname;

let dir: string | null = null;
let restoreSink: LogSink | null = null;
afterEach(() => {
  if (restoreSink) setLogSink(restoreSink);
  restoreSink = null;
  setLogLevel("info");
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe("tool logging", () => {
  test("an unknown level is a one-line error naming the levels, also for prototype names", async () => {
    for (const bad of ["verbose", "constructor"]) {
      expect(() => toolLogLevel(bad)).toThrow(
        new ToolLoggingError(`unknown log level "${bad}"; use critical, error, warning, info or debug`),
      );
      await expect(startToolLogging(bad, "-")).rejects.toBeInstanceOf(ToolLoggingError);
    }
  });

  test("a file output gets the tool's lines at its level, flushed by close()", async () => {
    dir = mkdtempSync(join(tmpdir(), "tool-logging-"));
    const file = join(dir, "tool.log");
    const previous = setLogSink(() => {});
    restoreSink = previous;
    const output = await startToolLogging("warning", file);
    const log = getLogger("circus.test");
    log.info("not at this level");
    log.warning("written");
    await output.close();
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d circus\.test\[\d+\] \[WARNING\] written\n$/);
  });

  test("a file that cannot be opened is a ToolLoggingError naming --log-output", async () => {
    dir = mkdtempSync(join(tmpdir(), "tool-logging-"));
    const error = await startToolLogging("info", join(dir, "missing", "tool.log")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolLoggingError);
    expect((error as Error).message).toStartWith(`--log-output ${join(dir, "missing", "tool.log")}: `);
  });

  test("`--log-output -` as cac hands it over (true) is stdout, not a file named true", async () => {
    dir = mkdtempSync(join(tmpdir(), "tool-logging-"));
    const script =
      `import { startToolLogging } from ${JSON.stringify(HELPER)};` +
      `import { getLogger } from ${JSON.stringify(LOG)};` +
      `const out = await startToolLogging("info", true); getLogger("circus.test").info("to stdout"); await out.close();`;
    const proc = Bun.spawnSync([process.execPath, "-e", script], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    expect(proc.stderr.toString()).toBe("");
    expect(proc.stdout.toString()).toMatch(/circus\.test\[\d+\] \[INFO\] to stdout\n$/);
    expect(existsSync(join(dir, "true"))).toBe(false);
  });
});
