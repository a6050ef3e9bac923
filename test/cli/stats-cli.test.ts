// `circus stats`'s command line: mistakes are one line and exit 2, never a stack trace.

import { describe, expect, test } from "bun:test";
import { circusCommand } from "../helpers/daemon.ts";

function run(...args: string[]) {
  const r = Bun.spawnSync([...circusCommand(), "stats", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stderr: r.stderr.toString() };
}

describe("circus stats usage errors", () => {
  test("a bad endpoint names it and the expected form", () => {
    expect(run("--endpoint", "bogus")).toEqual({
      code: 2,
      stderr: 'circusd-stats: invalid endpoint "bogus": expected "tcp://host:port" or "ipc://path"\n',
    });
  });

  test("--log-output into a folder that does not exist says so in one line", () => {
    const r = run("--log-output", "/nonexistent/dir/stats.log");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^circusd-stats: --log-output \/nonexistent\/dir\/stats\.log: [^\n]*ENOENT[^\n]*\n$/);
  });

  test("an unknown option, or one without its value", () => {
    expect(run("--statpoint", "tcp://127.0.0.1:1").stderr).toBe(
      "circusd-stats: unknown option --statpoint; did you mean --statspoint? (`circusd-stats --help` lists the options)\n",
    );
    expect(run("--endpoint").code).toBe(2);
  });
});
