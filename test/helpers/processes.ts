// The processes a test starts: spawned and tracked by pid, with their output captured and waited on
// line by line, and killed (with their descendants and process group) after the test, or after the file
// when started outside a test (see ./cleanup.ts). Also the /proc probes tests assert with.

import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { childrenOf, descendantsOf } from "../../src/os/process.ts";
import { readStat } from "../../src/os/proc.ts";
import { signalNumber } from "../../src/os/signals.ts";
import { defer } from "./cleanup.ts";
import { PYTHON, ROOT } from "./paths.ts";
import { until, within } from "./wait.ts";

export { childrenOf, descendantsOf };

/** Whether `pid` runs (a zombie does not count). */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== "Z";
}

/** SIGKILL `pid`, its descendants (found first) and its process group when it leads one. */
export function killTree(pid: number): void {
  if (pid <= 1 || pid === process.pid) return;
  const stat = readStat(pid);
  const tree = descendantsOf(pid);
  const targets = [pid, ...tree];
  if (stat && stat.pgrp === pid && pid !== process.pid) targets.unshift(-pid);
  for (const target of targets) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Kill `pid` and what it started after the current test (or file). The pid is remembered with its start
 * time, so a pid reused by an unrelated process after ours exited is never signalled.
 */
export function trackPid(pid: number): void {
  const startTicks = readStat(pid)?.startTicks;
  if (startTicks === undefined) return; // already gone and reaped: nothing to kill
  defer(() => {
    if (readStat(pid)?.startTicks === startTicks) killTree(pid);
  });
}

/** `Bun.spawn`, with the child tracked by `trackPid`. */
export const spawnTracked = ((...args: Parameters<typeof Bun.spawn>) => {
  const proc = Bun.spawn(...args);
  trackPid(proc.pid);
  return proc;
}) as typeof Bun.spawn;

/** What a command run to its end printed, and its exit status. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cmd` to its end (tracked meanwhile, so a test that gives up on it leaves nothing behind). */
export async function run(
  cmd: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string } = {},
): Promise<RunResult> {
  const proc = spawnTracked(cmd, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/**
 * Run the script `path` (from the repository's root) with this Bun, in a process of its own (a
 * measurement this test worker's leftovers must not touch), and return the JSON of its last stdout line.
 * It must exit 0 and write nothing on stderr; otherwise the error carries the end of its stderr.
 */
export async function runScript<T>(path: string): Promise<T> {
  const { code, stdout, stderr } = await run([process.execPath, join(ROOT, path)]);
  if (code !== 0 || stderr !== "") throw new Error(`${path} exited ${code}, stderr: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

/** Send `signal`, wait up to `graceMs` for the exit, then SIGKILL; resolves with the exit code (-1 if killed). */
export async function stopProcess(
  proc: Subprocess,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 10_000,
): Promise<number> {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  const code = await within(proc.exited, graceMs, "exit").catch(() => null);
  if (code !== null) return code;
  killTree(proc.pid);
  await proc.exited;
  return -1;
}

/**
 * The text a process writes on one or more streams, kept whole and waited on as it arrives: `waitFor`
 * wakes on each chunk rather than polling.
 */
export class Output {
  private captured = "";
  private readonly waiters = new Set<() => void>();
  /** Resolves when every stream has ended. */
  readonly ended: Promise<void>;

  constructor(...streams: ReadableStream<Uint8Array>[]) {
    this.ended = Promise.all(streams.map((s) => this.drain(s))).then(() => this.wake());
  }

  private async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.captured += decoder.decode(chunk, { stream: true });
      this.wake();
    }
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Everything written so far. */
  text(): string {
    return this.captured;
  }

  /**
   * Wait until the text (from `from` on) matches `pattern`; resolves with the match. Rejects after
   * `timeoutMs`, or when the streams end without a match, quoting what was written.
   */
  async waitFor(pattern: RegExp | string, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
    const regexp = typeof pattern === "string" ? new RegExp(RegExp.escape(pattern)) : pattern;
    const find = () => regexp.exec(this.captured.slice(from));
    let ended = false;
    void this.ended.then(() => (ended = true));
    const found = find();
    if (found) return found;
    const { promise, resolve, reject } = Promise.withResolvers<RegExpExecArray>();
    const check = () => {
      const match = find();
      if (match) resolve(match);
      else if (ended) reject(new Error(`output ended without ${regexp}:\n${this.captured}`));
    };
    this.waiters.add(check);
    this.ended.then(check);
    const timer = setTimeout(
      () => reject(new Error(`no ${regexp} in the output within ${timeoutMs} ms:\n${this.captured}`)),
      timeoutMs,
    );
    try {
      return await promise;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(check);
    }
  }
}

/** Pids of this process's zombie children, from /proc. */
export function zombieChildren(parent = process.pid): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.state === "Z" && stat.ppid === parent) out.push(stat.pid);
  }
  return out;
}

/** Wait until `pid` runs `comm` (past Bun's clone and the launcher's re-exec); returns the pid. */
export async function waitExec(pid: number, comm: string, timeoutMs = 5000): Promise<number> {
  // The kernel names the new program (comm) before it sets up the new argv: wait for both, or a
  // cmdline read right after could come back empty.
  const argvReady = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").length > 0;
    } catch {
      return false;
    }
  };
  await until(() => readStat(pid)?.comm === comm && argvReady(), timeoutMs, `${pid} to exec ${comm}`);
  return pid;
}

/** Wait until `pid` has exec'd anything (Bun.spawn may return while the child is between clone and exec). */
export async function execDone(pid: number, timeoutMs = 5000): Promise<void> {
  await until(
    () => {
      try {
        // Before exec the child is still a copy of this Bun process.
        return (
          readFileSync(`/proc/${pid}/cmdline`, "utf8").length > 0 &&
          readlinkSync(`/proc/${pid}/exe`) !== process.execPath
        );
      } catch {
        return false;
      }
    },
    timeoutMs,
    `exec of ${pid}`,
  );
}

/**
 * Wait until `pid` ignores or catches `signal` (its SigIgn or SigCgt mask in /proc/PID/status): a shell's
 * `trap` is in place. Instead of sleeping "long enough for the trap".
 */
export async function waitTrap(pid: number, signal: string | number, timeoutMs = 5000): Promise<void> {
  const bit = 1n << BigInt(signalNumber(signal) - 1);
  const handled = () => {
    try {
      return ((BigInt(`0x${procStatus(pid, "SigIgn")}`) | BigInt(`0x${procStatus(pid, "SigCgt")}`)) & bit) !== 0n;
    } catch {
      return false; // not started yet, or gone
    }
  };
  await until(handled, timeoutMs, `process ${pid} to trap ${signal}`);
}

/** The environment of `pid`, from /proc. */
export function procEnviron(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/** One field of /proc/PID/status ("Umask", "SigIgn", …), trimmed; "" when absent. */
export function procStatus(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(field + ":"));
  return line ? line.slice(field.length + 1).trim() : "";
}

/**
 * Bytes waiting to be read in the pipe or socket `fd` of this process (FIONREAD), asked of a Python
 * child given `fd` as its stdin: how a test knows a pipe nobody reads has filled up.
 */
export function queuedBytes(fd: number): number {
  const probe =
    "import fcntl, struct, termios; print(struct.unpack('i', fcntl.ioctl(0, termios.FIONREAD, b'0000'))[0])";
  const r = Bun.spawnSync([PYTHON, "-c", probe], { stdin: fd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`FIONREAD failed: ${r.stderr.toString()}`);
  return Number(r.stdout.toString().trim());
}
