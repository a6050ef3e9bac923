import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJournal, stillRunning, WorkerJournal } from "../../src/arbiter/worker-journal.ts";
import { execDone, waitExec } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function journalPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-journal-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "workers.jsonl");
}

function spawn(argv: string[]) {
  const proc = Bun.spawn(argv, { stdio: ["ignore", "ignore", "ignore"] });
  cleanups.push(() => proc.kill(9));
  return proc;
}

describe("WorkerJournal", () => {
  test("records spawns and exits so a reader finds exactly the workers still running", async () => {
    const path = journalPath();
    const journal = new WorkerJournal(path);
    const a = spawn(["sleep", "300"]);
    const b = spawn(["sleep", "301"]);
    journal.added("w", { pid: a.pid, wid: 1, argv: ["sleep", "300"], startedMs: Date.now() });
    journal.added("w", { pid: b.pid, wid: 2, argv: ["sleep", "301"], startedMs: Date.now() });
    journal.removed(b.pid);
    // A crash in the middle of a write leaves a cut line: it is skipped.
    appendFileSync(path, '{"add":{"pid":1');
    const found = readJournal(path);
    expect(found.daemon?.pid).toBe(process.pid);
    expect(found.workers.map((w) => w.pid)).toEqual([a.pid]);
    // Until its exec the child's command line is still this Bun's.
    await execDone(a.pid);
    expect(stillRunning(found.workers[0]!)).toBe(true);
    journal.close();
    expect(existsSync(path)).toBe(false);
  });

  test("is compacted as workers come and go: its size follows the live workers, not the history", () => {
    const path = journalPath();
    const journal = new WorkerJournal(path);
    const keep = spawn(["sleep", "300"]);
    journal.added("w", { pid: keep.pid, wid: 1, argv: ["sleep", "300"], startedMs: Date.now() });
    // Churn: each record is written and removed again (the pid of this process stands in for a worker).
    for (let i = 0; i < 3000; i++) {
      journal.added("w", { pid: process.pid, wid: 2, argv: ["x"], startedMs: Date.now() });
      journal.removed(process.pid);
    }
    expect(readFileSync(path, "utf8").split("\n").length).toBeLessThan(1100);
    expect(readJournal(path).workers.map((w) => w.pid)).toEqual([keep.pid]);
    journal.close();
  });

  test("a worker whose shell execs the program is recorded with the program's command line once it ran", async () => {
    const path = journalPath();
    // The command line is read again 300 ms after the spawn here (1 s in the daemon); the shell's exec of
    // sleep is awaited first, since a re-read before it would find nothing new.
    const journal = new WorkerJournal(path, 300);
    const sh = spawn(["/bin/sh", "-c", "exec sleep 302"]);
    await waitExec(sh.pid, "sleep");
    journal.added("w", { pid: sh.pid, wid: 1, argv: ["/bin/sh", "-c", "exec sleep 302"], startedMs: Date.now() });
    expect(readJournal(path).workers[0]!.argv).toEqual(["/bin/sh", "-c", "exec sleep 302"]);
    const record = await waitFor(
      () => {
        const [found] = readJournal(path).workers;
        return found?.argv[0] === "sleep" ? found : null;
      },
      5000,
      "the journal to hold the program's command line",
    );
    expect(record!.argv).toEqual(["sleep", "302"]);
    expect(stillRunning(record!)).toBe(true);
    journal.close();
  });

  test("a record matches only the same pid with the same start time and command line", async () => {
    const proc = spawn(["sleep", "303"]);
    // Until its exec the child's command line is still this Bun's.
    await execDone(proc.pid);
    const start = Number(readFileSync(`/proc/${proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]);
    expect(stillRunning({ pid: proc.pid, start, argv: ["sleep", "303"] })).toBe(true);
    expect(stillRunning({ pid: proc.pid, start: start + 1, argv: ["sleep", "303"] })).toBe(false);
    expect(stillRunning({ pid: proc.pid, start, argv: ["sleep", "304"] })).toBe(false);
  });
});
