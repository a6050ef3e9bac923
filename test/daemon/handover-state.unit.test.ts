// The pieces of an upgrade's hand-over that need no second process: the state file (a memfd read back
// by readHandover, with its format check), close-on-exec, the tail buffer and counters as plain data.

import { describe, expect, test } from "bun:test";
import { HANDOVER_ENV, HANDOVER_FORMAT, readHandover, READABLE_FORMATS } from "../../src/daemon/upgrade.ts";
import { isOpenFd, memoryFileWith, setCloseOnExec } from "../../src/os/handover.ts";
import { closeFd } from "../../src/os/fs.ts";
import { TailBuffer } from "../../src/streams/tail.ts";
import { ExitLedger } from "../../src/arbiter/exits.ts";
import { SpawnBudget } from "../../src/arbiter/backoff.ts";
import { readFileSync } from "node:fs";

function handOver(state: unknown): void {
  process.env[HANDOVER_ENV] = String(memoryFileWith("test", new TextEncoder().encode(JSON.stringify(state))));
}

describe("the hand-over state", () => {
  test("is read back from its memfd, which is then closed, and the variable is gone", () => {
    expect(READABLE_FORMATS).toContain(HANDOVER_FORMAT);
    handOver({ format: HANDOVER_FORMAT, from: "0.0.1", upgrades: 3 });
    const fd = Number(process.env[HANDOVER_ENV]);
    expect(isOpenFd(fd)).toBe(true);
    const state = readHandover();
    expect(state).toMatchObject({ format: HANDOVER_FORMAT, from: "0.0.1", upgrades: 3 });
    expect(process.env[HANDOVER_ENV]).toBeUndefined();
    expect(isOpenFd(fd)).toBe(false);
    expect(readHandover()).toBeNull();
  });

  test("a format this version does not read is refused, naming both", () => {
    handOver({ format: 99 });
    expect(() => readHandover()).toThrow(
      `hand-over format 99 is not one this version reads (${READABLE_FORMATS.join(", ")})`,
    );
  });

  test("close-on-exec is cleared and set again on exactly the fd asked", () => {
    const fd = memoryFileWith("flags", new Uint8Array(0));
    // fdinfo shows the flags in octal.
    const flags = () =>
      Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1]!, 8);
    const O_CLOEXEC = 0o2000000;
    // A memfd made for the next image is inheritable from the start.
    expect(flags() & O_CLOEXEC).toBe(0);
    setCloseOnExec(fd, true);
    expect(flags() & O_CLOEXEC).toBe(O_CLOEXEC);
    setCloseOnExec(fd, false);
    expect(flags() & O_CLOEXEC).toBe(0);
    expect(() => setCloseOnExec(1_000_000, false)).toThrow("EBADF");
    closeFd(fd);
  });
});

describe("state carried as plain data", () => {
  test("a tail buffer keeps its lines and its cursor through JSON", () => {
    const tail = new TailBuffer(3);
    tail.push(new TextEncoder().encode("a\nb\nc\nd\n"), 7, "stdout", 1000);
    const cursor = tail.cursor;
    const copy = new TailBuffer(3);
    copy.restore(JSON.parse(JSON.stringify(tail.snapshot())));
    expect(copy.lines().map((l) => l.line)).toEqual(["b", "c", "d"]);
    expect(copy.cursor).toBe(cursor);
    // A follower's cursor from before goes on where it was.
    copy.push(new TextEncoder().encode("e\n"), 7, "stdout", 2000);
    expect(copy.since(cursor).lines.map((l) => l.line)).toEqual(["e"]);
  });

  test("exit counters and the spawn budget survive the trip", () => {
    const ledger = new ExitLedger();
    ledger.record({ pid: 5, wid: 1, history: { restarts: 0, lastExit: null }, exitCode: 3, atMs: 1000 }, "crash", true);
    const copy = new ExitLedger();
    copy.restore(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(copy.state(null)).toEqual(ledger.state(null));
    expect(copy.slot(1)).toEqual(ledger.slot(1));
    let now = 10_000;
    const budget = new SpawnBudget(
      () => 5000,
      () => now,
    );
    budget.failed(false, 5);
    budget.failed(false, 5);
    const restored = new SpawnBudget(
      () => 5000,
      () => now,
    );
    restored.restore(JSON.parse(JSON.stringify(budget.snapshot())));
    expect(restored.waitMs()).toBe(budget.waitMs());
    expect(restored.failed(false, 3)).toEqual({ kind: "gave_up", failures: 3 });
    now += 60_000;
    expect(restored.waitMs()).toBe(0);
  });
});
