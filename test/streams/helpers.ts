// Shared pieces of the stream tests: captured log lines, shell children (killed after the test by
// ../helpers/processes.ts) and reading what a stream wrote.

import { afterEach } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { closeFd, outputPair } from "../../src/os/capture.ts";
import { setLogSink } from "../../src/util/log.ts";
import { spawnTracked } from "../helpers/processes.ts";
import { tempDir as freshDir } from "../helpers/temp.ts";

export const logged: string[] = [];

setLogSink((line) => logged.push(line));

afterEach(() => {
  logged.length = 0;
});

/** A temp dir removed after the test. */
export function tempDir(): string {
  return freshDir("circus-streams-");
}

/** Spawn `sh -c script` with piped stdout/stderr; killed after the test. */
export function spawnSh(script: string): Subprocess<"ignore", "pipe", "pipe"> {
  return spawnTracked(["sh", "-c", script], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

/** A child writing into daemon-made socket pairs, as captured workers do: `stdout`/`stderr` are our ends. */
export interface CapturedChild {
  child: Subprocess;
  stdout: number;
  stderr: number;
}

/** Spawn `sh -c script` with its stdout and stderr captured through socket pairs; killed after the test. */
export function spawnCaptured(script: string): CapturedChild {
  const out = outputPair();
  const err = outputPair();
  const child = spawnTracked(["sh", "-c", script], { stdio: ["ignore", out.workerFd, err.workerFd] });
  closeFd(out.workerFd);
  closeFd(err.workerFd);
  return { child, stdout: out.daemonFd, stderr: err.daemonFd };
}

/** Lines of every file in `dir` whose name starts with `prefix` (rotated ones included). */
export function linesOf(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.startsWith(prefix))) {
    const text = readFileSync(join(dir, name), "utf8");
    if (text) out.push(...text.replace(/\n$/, "").split("\n"));
  }
  return out;
}

export function entry(text: string, pid = 42, name: "stdout" | "stderr" = "stdout", timestamp?: number) {
  return { data: new TextEncoder().encode(text), pid, name, timestamp };
}
