// The /proc readers against real processes: stat lines (held and one-off), argv, uid and children.

import { afterEach, describe, expect, test } from "bun:test";
import { childPids, parseStat, readArgv, readStat, readUid, releaseProcFiles, sampleStat } from "../../src/os/proc.ts";

const started: Bun.Subprocess[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    for (const pid of childPids(child.pid)) process.kill(pid, "SIGKILL");
    child.kill("SIGKILL");
    await child.exited;
    releaseProcFiles(child.pid);
  }
});

/** A shell running `script`, resolved once it prints "ready" (so it has exec'd: /proc shows sh, not bun). */
async function readyShell(script: string): Promise<Bun.Subprocess<"ignore", "pipe", "inherit">> {
  const shell = Bun.spawn(["sh", "-c", script], { stdio: ["ignore", "pipe", "inherit"] });
  started.push(shell);
  const reader = shell.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toBe("ready\n");
  return shell;
}

/** A shell with two sleeping children, resolved once both are started. */
const shellWithTwoChildren = () => readyShell("sleep 30 & sleep 30 & echo ready; wait");

describe("stat lines", () => {
  test("a comm with spaces and parentheses parses", () => {
    const s = parseStat(
      "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 5 1 0 12345 1048576 10 18446744073709551615",
    );
    expect(s).toMatchObject({
      pid: 42,
      comm: "a (b) c",
      state: "S",
      ppid: 1,
      cpuTicks: 300,
      nice: 5,
      threads: 1,
      startTicks: 12345,
      vsize: 1048576,
    });
  });

  test("readStat and sampleStat read a live process and give null once it is gone", async () => {
    const child = await readyShell("echo ready; sleep 30");
    const once = readStat(child.pid);
    expect(once).toMatchObject({ pid: child.pid, ppid: process.pid, comm: "sh" });
    // Sampled twice: the second read goes through the file held open by the first.
    expect(sampleStat(child.pid)).toMatchObject({ pid: child.pid, startTicks: once!.startTicks });
    expect(sampleStat(child.pid)?.pid).toBe(child.pid);
    child.kill("SIGKILL");
    await child.exited;
    expect(sampleStat(child.pid)).toBeNull();
    expect(readStat(child.pid)).toBeNull();
  });
});

describe("argv and uid", () => {
  test("argv comes back word by word, the uid is the real one", async () => {
    const child = await readyShell("echo ready; sleep 30");
    expect(readArgv(child.pid)).toEqual(["sh", "-c", "echo ready; sleep 30"]);
    expect(readUid(child.pid)).toBe(process.getuid!());
    expect(readArgv(999999999)).toBeNull();
    expect(readUid(999999999)).toBeNull();
  });
});

describe("childPids", () => {
  test("lists a process's direct children, through its tasks or its single thread's file", async () => {
    const shell = await shellWithTwoChildren();
    const children = childPids(shell.pid);
    expect(children).toHaveLength(2);
    for (const pid of children) expect(readStat(pid)?.ppid).toBe(shell.pid);
    expect(childPids(shell.pid, 1).sort()).toEqual([...children].sort());
    expect(childPids(process.pid)).toContain(shell.pid);
  });

  test("a process that does not exist has no children", () => {
    expect(childPids(999999999)).toEqual([]);
    expect(childPids(999999999, 1)).toEqual([]);
  });
});
