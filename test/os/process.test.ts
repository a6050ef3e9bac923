// Process primitives against real processes: sessions, subreaping, the /proc tree, signalling.

import { describe, expect, test } from "bun:test";
import {
  childrenOf,
  decodeWaitStatus,
  descendantsOf,
  hasExitedChild,
  kill,
  killProcessGroup,
  processExists,
  processState,
  umask,
} from "../../src/os/process.ts";
import { readStat } from "../../src/os/proc.ts";
import { spawnTracked, zombieChildren } from "../helpers/processes.ts";
import { until } from "../helpers/wait.ts";
import { inChild } from "./child.ts";

/** A child with piped stdout, killed with its descendants (and group, when detached) after the test. */
function spawn(cmd: string[], options: { detached?: boolean } = {}): Bun.Subprocess {
  return spawnTracked(cmd, { stdio: ["ignore", "pipe", "inherit"], ...options });
}

describe("process", () => {
  test("umask sets the mask and returns the previous one", () => {
    const before = umask(0o027);
    try {
      expect(umask(0o027)).toBe(0o027);
    } finally {
      umask(before);
    }
  });

  test("setsid makes a process lead a new session", () => {
    const out = inChild(
      { proc: "process" },
      `
      const sid = proc.setsid();
      const session = Number(require("fs").readFileSync("/proc/self/stat", "latin1").split(") ")[1].split(" ")[3]);
      console.log(sid === proc.getpid(), session === sid);
    `,
    );
    expect(out).toBe("true true");
  });

  test("childrenOf and descendantsOf follow the /proc process tree", async () => {
    const shell = spawn(["sh", "-c", "sleep 30 & sleep 30 & wait"]);
    await until(() => childrenOf(shell.pid).length === 2);
    const sleepers = childrenOf(shell.pid);
    expect(childrenOf(process.pid)).toContain(shell.pid);
    const descendants = descendantsOf(process.pid);
    expect(descendants).toEqual(expect.arrayContaining([shell.pid, ...sleepers]));
    // Parents before their children (a kill walks the list in this order).
    for (const sleeper of sleepers) expect(descendants.indexOf(shell.pid)).toBeLessThan(descendants.indexOf(sleeper));
    expect(descendantsOf(shell.pid).sort()).toEqual([...sleepers].sort());
    expect(descendantsOf(999999999)).toEqual([]);
    expect(childrenOf(999999999)).toEqual([]);
  });

  test("hasExitedChild sees a child that exited and was not collected, and collects nothing itself", async () => {
    const child = spawn(["sleep", "30"]);
    await until(() => readStat(child.pid)?.state === "S");
    // Children of earlier tests, killed after them, may still wait for Bun to collect them.
    await until(() => zombieChildren().length === 0, 5000, "earlier children collected");
    expect(hasExitedChild()).toBe(false);
    process.kill(child.pid, "SIGKILL");
    // Bun collects its children from the event loop: until this synchronous loop ends it cannot.
    const deadline = Date.now() + 5000;
    while (readStat(child.pid)?.state !== "Z" && Date.now() < deadline) {}
    expect(readStat(child.pid)?.state).toBe("Z");
    expect(hasExitedChild()).toBe(true);
    expect(hasExitedChild()).toBe(true); // WNOWAIT: still there for Bun
    expect(await child.exited).toBe(137);
  });

  test("kill returns false once the process is gone, and processExists agrees", async () => {
    const child = spawn(["sleep", "30"]);
    expect(processExists(child.pid)).toBe(true);
    expect(kill(child.pid, 9)).toBe(true);
    await child.exited;
    expect(processExists(child.pid)).toBe(false);
    expect(kill(child.pid, 9)).toBe(false);
  });

  test("killProcessGroup signals every member of a detached worker's group", async () => {
    const shell = spawn(["sh", "-c", "sleep 30 & sleep 30 & wait"], { detached: true });
    await until(() => childrenOf(shell.pid).length === 2);
    const sleepers = childrenOf(shell.pid);
    expect(killProcessGroup(shell.pid, 9)).toBe(true);
    await shell.exited;
    await until(() => sleepers.every((pid) => processState(pid) === null || processState(pid) === "Z"));
  });

  test("decodeWaitStatus tells exit codes from terminating signals", () => {
    expect(decodeWaitStatus(3 << 8)).toEqual({ exitCode: 3, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: null, signal: 9 });
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: null });
  });

  test("a subreaper reaps orphaned grandchildren but leaves Bun's own children to Bun", () => {
    const out = inChild(
      { proc: "process" },
      `
      proc.prctlSetChildSubreaper();
      const subreaper = proc.isSubreaperOrInit();
      const own = Bun.spawn(["sh", "-c", "exit 4"]);
      const parent = Bun.spawnSync(["sh", "-c", "(sleep 0.05; exit 3) >/dev/null 2>&1 & echo $!"]);
      const orphan = Number(parent.stdout.toString().trim());
      for (const end = Date.now() + 5000; proc.processState(orphan) !== "Z" && Date.now() < end; ) await Bun.sleep(2);
      const zombie = proc.processState(orphan);
      const reaped = proc.reapOrphans(new Set([own.pid]));
      const ownCode = await own.exited;
      console.log(JSON.stringify({ subreaper, zombie, reaped: reaped.includes(orphan), ownReaped: reaped.includes(own.pid), ownCode, stillExists: proc.processExists(orphan) }));
    `,
    );
    expect(JSON.parse(out)).toEqual({
      subreaper: true,
      zombie: "Z",
      reaped: true,
      ownReaped: false,
      ownCode: 4,
      stillExists: false,
    });
  });

  test("an ordinary process is neither PID 1 nor a subreaper", () => {
    expect(inChild({ proc: "process" }, "console.log(proc.isSubreaperOrInit())")).toBe("false");
  });

  test("waitpidNoHang returns null while a child runs, then its status exactly once", () => {
    const out = inChild(
      { proc: "process" },
      `
      proc.prctlSetChildSubreaper();
      const orphan = (cmd) => Number(Bun.spawnSync(["sh", "-c", cmd + " >/dev/null 2>&1 & echo $!"]).stdout.toString());
      const exiter = orphan("(sleep 0.1; exit 3)");
      const killed = orphan("(sleep 0.05; exec sh -c 'kill -9 $$')");
      const early = proc.waitpidNoHang(exiter);
      const exited = (pid) => proc.processState(pid) === "Z";
      for (const end = Date.now() + 5000; !(exited(exiter) && exited(killed)) && Date.now() < end; ) await Bun.sleep(2);
      const first = proc.waitpidNoHang(exiter);
      const again = proc.waitpidNoHang(exiter);
      const signalled = proc.waitpidNoHang(killed);
      console.log(JSON.stringify({
        early, again, first: first && proc.decodeWaitStatus(first.status), pid: first?.pid === exiter,
        signalled: signalled && proc.decodeWaitStatus(signalled.status),
      }));
    `,
    );
    expect(JSON.parse(out)).toEqual({
      early: null,
      again: null,
      first: { exitCode: 3, signal: null },
      pid: true,
      signalled: { exitCode: null, signal: 9 },
    });
  });

  test("setProcessTitle renames the process as ps shows it", () => {
    const out = inChild(
      { proc: "process" },
      `
      proc.setProcessTitle("circusd-test-name");
      console.log(require("fs").readFileSync("/proc/self/comm", "utf8").trim());
    `,
    );
    expect(out).toBe("circusd-test-na"); // 15 bytes kept
  });
});
