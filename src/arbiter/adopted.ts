// Exits of workers this daemon image did not spawn: after an upgrade (execve keeps the pid, so they are
// still our children) Bun has no Subprocess for them. Each gets a pidfd; one poll(2) over all of them on
// a short timer tells which exited (one system call per tick however many are adopted), and exactly
// those are collected with waitpid(pid, WNOHANG) — never waitpid(-1), so Bun's own children (spawned
// after the upgrade) keep their status for Bun, and the orphan reaper skips these pids because they are
// registered in children.ts like Bun's. Without pidfds (Linux < 5.3) each pid is asked every tick.

import { decodeWaitStatus } from "../os/process.ts";
import { pidfdOpen, pollChild } from "../os/handover.ts";
import { closeFd } from "../os/fs.ts";
import { pollReadable } from "../os/sockets.ts";
import { getLogger } from "../util/log.ts";
import { trackChild } from "./children.ts";

const log = getLogger("circus.process");

/** How an adopted worker ended: its wait status decoded, or unknown when someone else collected it. */
export interface AdoptedExit {
  exitCode: number | null;
  signal: number | null;
  atMs: number;
}

/** How often the adopted pids are looked at: an exit is noticed within this, and costs nothing when none exited. */
export const ADOPTED_POLL_MS = 20;

interface Watched {
  resolve: (exit: AdoptedExit) => void;
  /** Readable once the process exited; null without pidfd support. */
  pidfd: number | null;
}

const watched = new Map<number, Watched>();
let timer: ReturnType<typeof setInterval> | null = null;

/** Watch child `pid` (not spawned by this image); resolves once it has exited and been reaped. */
export function watchAdopted(pid: number): Promise<AdoptedExit> {
  const exited = new Promise<AdoptedExit>((resolve) => watched.set(pid, { resolve, pidfd: pidfdOpen(pid) }));
  trackChild(pid, exited);
  timer ??= setInterval(pollAll, ADOPTED_POLL_MS);
  // Look at once: a worker that exited during the hand-over is noticed without waiting a tick.
  queueMicrotask(() => poll(pid));
  return exited;
}

/** Pids still watched (tests and `stats`). */
export function adoptedPids(): number[] {
  return [...watched.keys()];
}

function pollAll(): void {
  const byFd = new Map<number, number>();
  for (const [pid, w] of watched) {
    if (w.pidfd === null) poll(pid);
    else byFd.set(w.pidfd, pid);
  }
  let exited: number[] = [];
  try {
    exited = pollReadable([...byFd.keys()], 0);
  } catch (err) {
    log.warning(`cannot poll the adopted processes: ${(err as Error).message}`);
    exited = [...byFd.keys()]; // ask each one directly this time
  }
  for (const fd of exited) poll(byFd.get(fd)!);
  if (watched.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

function poll(pid: number): void {
  const entry = watched.get(pid);
  if (!entry) return;
  const { resolve, pidfd } = entry;
  let child: ReturnType<typeof pollChild>;
  try {
    child = pollChild(pid);
  } catch (err) {
    log.warning(`cannot look at adopted process ${pid}: ${(err as Error).message}`);
    return;
  }
  if (child.state === "running") return;
  watched.delete(pid);
  if (pidfd !== null) closeFd(pidfd);
  if (child.state === "gone") {
    // Collected before this image could (by the previous one, during the hand-over): it is gone, its
    // status with it.
    resolve({ exitCode: null, signal: null, atMs: Date.now() });
    return;
  }
  const { exitCode, signal } = decodeWaitStatus(child.status);
  resolve({ exitCode, signal, atMs: Date.now() });
}
