// Shared pieces of the stream tests: temp dirs removed after each test, child processes tracked and
// killed, and captured log lines.

import { afterEach } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { closeFd, outputPair } from "../../src/os/capture.ts";
import { setLogSink } from "../../src/util/log.ts";

const dirs: string[] = [];
const children: Subprocess[] = [];
export const logged: string[] = [];

setLogSink((line) => logged.push(line));

afterEach(() => {
  for (const child of children.splice(0)) {
    try {
      child.kill(9);
    } catch {
      // Already gone.
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  logged.length = 0;
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-streams-"));
  dirs.push(dir);
  return dir;
}

/** Spawn `sh -c script` with piped stdout/stderr; killed after the test. */
export function spawnSh(script: string): Subprocess<"ignore", "pipe", "pipe"> {
  const child = Bun.spawn(["sh", "-c", script], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  children.push(child);
  return child;
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
  const child = Bun.spawn(["sh", "-c", script], { stdio: ["ignore", out.workerFd, err.workerFd] });
  closeFd(out.workerFd);
  closeFd(err.workerFd);
  children.push(child);
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
