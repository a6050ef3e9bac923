// Process-level primitives the daemon needs beyond Bun's API: sessions, umask, subreaping,
// signalling by number, and walking the process tree (read from /proc by ./proc.ts).

import { libc, errno, cstr, addressOf } from "./libc.ts";
import { OsError, Errno } from "./errors.ts";
import { childPids, descendantPids, readStat } from "./proc.ts";

const WNOHANG = 1;
const PR_SET_NAME = 15;
const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;

/** A child collected by waitpid, with its raw wait status (decode with decodeWaitStatus). */
export interface WaitResult {
  pid: number;
  status: number;
}

const SIG_DFL = 0n;
const SIG_IGN = 1n;

/**
 * Ignore signal `sig` in this process if nothing handles it yet; returns whether it did. A signal the
 * runtime already catches is left alone: JavaScriptCore suspends threads for its collector with
 * SIGPWR, and ignoring that one deadlocks the first garbage collection that needs it. Children started
 * through Bun.spawn (and the launcher) get every signal back at its default, so this never reaches a worker.
 */
export function ignoreSignalIfUnhandled(sig: number): boolean {
  const current = new BigUint64Array(32); // larger than any libc's struct sigaction
  if (libc().sigaction(sig, null, current) !== 0 || current[0] !== SIG_DFL) return false;
  libc().signal(sig, SIG_IGN);
  return true;
}

/** rt_sigaction(2): 13 on x86-64, 134 on aarch64 (the generic table). */
const SYS_RT_SIGACTION = process.arch === "arm64" ? 134 : 13;
/** glibc's SIGSETXID, whose handler glibc installs at start. */
const SIGSETXID = 33;

/**
 * Keep `kill -32` from ending the daemon. glibc reserves 32 (and 33) for its threads and its sigaction
 * refuses to touch them; 33 has glibc's handler, which returns at once for any signal but its own, 32
 * has none, so its default action (terminate) would end the daemon and orphan every worker. Give 32
 * that same handler through the raw system call: unlike SIG_IGN, a caught signal is back at its default
 * in a child after exec, so workers are unaffected. Nothing is done when 32 is handled already or 33
 * has no handler to borrow (another libc). Returns whether it did.
 */
export function guardReservedSignal(): boolean {
  const c = libc();
  const ours = new BigUint64Array(4); // the kernel's struct sigaction: handler first, 32 bytes at most
  const glibcs = new BigUint64Array(4);
  const get = (sig: number, into: BigUint64Array) =>
    Number(c.syscall(SYS_RT_SIGACTION, sig, 0, addressOf(into), 8)) === 0;
  if (!get(32, ours) || ours[0] !== SIG_DFL || !get(SIGSETXID, glibcs)) return false;
  if (glibcs[0] === SIG_DFL || glibcs[0] === SIG_IGN) return false;
  return Number(c.syscall(SYS_RT_SIGACTION, 32, addressOf(glibcs), 0, 8)) === 0;
}

/** Set the process umask; returns the previous one. */
export function umask(mask: number): number {
  return libc().umask(mask);
}

/** Start a new session (and process group) led by this process; returns the session id. */
export function setsid(): number {
  const sid = libc().setsid();
  if (sid < 0) throw new OsError("setsid", errno(), "", "the process already leads a process group");
  return sid;
}

/** Whether `fd` is a terminal (isatty): colour belongs there, not in files, pipes or journald. */
export function isTerminal(fd: number): boolean {
  return libc().isatty(fd) === 1;
}

export function getpid(): number {
  return libc().getpid();
}

/** Become a child subreaper so orphaned grandchildren are re-parented to us, not to init. */
export function prctlSetChildSubreaper(): void {
  if (libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0)
    throw new OsError("prctl", errno(), "PR_SET_CHILD_SUBREAPER");
}

/** True when orphans end up as our children: we are PID 1 (e.g. in a container) or a subreaper. */
export function isSubreaperOrInit(): boolean {
  if (getpid() === 1) return true;
  const flag = new Int32Array(1);
  if (libc().prctl(PR_GET_CHILD_SUBREAPER, addressOf(flag), 0, 0, 0) !== 0) return false;
  return flag[0] !== 0;
}

/** Set the name shown by ps/top (/proc/PID/comm); the kernel keeps at most 15 bytes. */
export function setProcessTitle(title: string): void {
  const name = cstr(title);
  if (libc().prctl(PR_SET_NAME, addressOf(name), 0, 0, 0) !== 0) throw new OsError("prctl", errno(), "PR_SET_NAME");
}

/** Collect `pid` if it has exited; null if it is still running or is not our child. */
export function waitpidNoHang(pid: number): WaitResult | null {
  const status = new Int32Array(1);
  for (;;) {
    const got = libc().waitpid(pid, status, WNOHANG);
    if (got > 0) return { pid: got, status: status[0]! };
    if (got === 0) return null;
    const code = errno();
    if (code === Errno.EINTR) continue;
    if (code === Errno.ECHILD) return null;
    throw new OsError("waitpid", code, `pid ${pid}`);
  }
}

const P_ALL = 0;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
/** sizeof(siginfo_t) on Linux; si_pid sits at byte 16 on 64-bit targets. */
const SIGINFO_BYTES = 128;
const SI_PID_OFFSET = 16;

/**
 * Whether some child of ours has exited and waits to be collected (waitid with WNOWAIT: nothing is
 * collected, so Bun still gets the status of its own). Lets orphan reaping skip scanning /proc for
 * children on the many ticks where none has exited.
 */
export function hasExitedChild(): boolean {
  const info = new Int32Array(SIGINFO_BYTES / 4);
  for (;;) {
    if (libc().waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) === 0) return info[SI_PID_OFFSET / 4] !== 0;
    const code = errno();
    if (code === Errno.EINTR) continue;
    if (code === Errno.ECHILD) return false;
    throw new OsError("waitid", code, "exited children");
  }
}

/** Split a raw wait status into exit code (normal exit) or terminating signal. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal: number | null } {
  const low = status & 0x7f;
  if (low === 0) return { exitCode: (status >> 8) & 0xff, signal: null };
  if (low !== 0x7f) return { exitCode: null, signal: low };
  return { exitCode: null, signal: null }; // stopped, not terminated
}

/**
 * Reap exited children that nobody else will: orphans re-parented to us as PID 1 or subreaper.
 * Only pids outside `known` are waited for, because Bun must still collect the exit status of every
 * process it spawned itself — so `known` has to hold all of those. Returns the reaped pids.
 */
export function reapOrphans(known: Set<number>): number[] {
  const reaped: number[] = [];
  // Without children files the list below is a scan of /proc, long with thousands of processes.
  if (!hasExitedChild()) return reaped;
  for (const child of childrenOf(getpid())) {
    if (known.has(child)) continue;
    const result = waitpidNoHang(child);
    if (result) reaped.push(result.pid);
  }
  return reaped;
}

/** Direct children of `pid` (empty if it does not exist). */
export function childrenOf(pid: number): number[] {
  return childPids(pid);
}

/** All descendants of `pid`, parents before their children. */
export function descendantsOf(pid: number): number[] {
  return descendantPids(pid);
}

/** Whether a process with this pid exists (zombies included; EPERM still means it exists). */
export function processExists(pid: number): boolean {
  if (pid <= 0) return false;
  if (libc().kill(pid, 0) === 0) return true;
  return errno() !== Errno.ESRCH;
}

/** Scheduler state letter from /proc/PID/stat ("R", "S", "Z", …), or null if the process is gone. */
export function processState(pid: number): string | null {
  return readStat(pid)?.state ?? null;
}

/** Send signal number `sig`; false if the process no longer exists, throws for other failures. */
export function kill(pid: number, sig: number): boolean {
  return sendSignal(pid, sig, `pid ${pid}`);
}

/** Signal every process of group `pgid` (a negative pid for kill(2) means the whole group). */
export function killProcessGroup(pgid: number, sig: number): boolean {
  if (pgid <= 1) throw new RangeError(`refusing to signal process group ${pgid}`);
  return sendSignal(-pgid, sig, `process group ${pgid}`);
}

function sendSignal(target: number, sig: number, subject: string): boolean {
  if (libc().kill(target, sig) === 0) return true;
  const code = errno();
  if (code === Errno.ESRCH) return false;
  throw new OsError("kill", code, `${subject} (signal ${sig})`);
}
