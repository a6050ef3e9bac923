// The one set of /proc readers: a process's stat line, uid, argv and direct children, plus the
// system figures the stats need. The stop procedure, orphan reaping and the stats all read through
// here. Each read is one small file, through libc (node:fs would cost the daemon ~4.5 MB RSS); files
// sampled over and over stay open and are re-read with pread.

import { Errno, OsError } from "./errors.ts";
import { listDir, readBytes, readText } from "./fs.ts";
import { cstr, errno, libc } from "./libc.ts";
import { getRlimit } from "./rlimit.ts";

/** The fields of /proc/PID/stat the daemon uses (times in clock ticks, sizes in bytes). */
export interface ProcStat {
  pid: number;
  /** Kernel command name (`comm`, at most 15 bytes); changes at exec. */
  comm: string;
  /** Scheduler state letter: R, S, D, Z, … */
  state: string;
  ppid: number;
  /** Process group id (a process leads its group when it equals `pid`). */
  pgrp: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  nice: number;
  /** Start time after boot, in clock ticks: with `pid` it identifies a process across pid reuse. */
  startTicks: number;
  vsize: number;
  rss: number;
  threads: number;
}

/** USER_HZ: 100 on every Linux architecture Bun runs on (the kernel fixes it for /proc). */
export const CLOCK_TICKS = 100;

let bootTime: number | null = null;
let memTotal: number | null = null;
let pageSize: number | null = null;

/** Boot time in epoch seconds (`btime` of /proc/stat), read once. */
export function bootTimeSeconds(): number {
  if (bootTime === null) {
    const m = /^btime (\d+)$/m.exec(readText("/proc/stat"));
    bootTime = m ? Number(m[1]) : 0;
  }
  return bootTime;
}

/** Physical memory in bytes (MemTotal), the base of `mem` % as in psutil.memory_percent(); read once. */
export function memTotalBytes(): number {
  if (memTotal === null) {
    const m = /^MemTotal:\s+(\d+) kB$/m.exec(readText("/proc/meminfo"));
    memTotal = m ? Number(m[1]) * 1024 : 0;
  }
  return memTotal;
}

/** The page size (AT_PAGESZ from /proc/self/auxv: 4 KiB on x86-64, 4–64 KiB on arm64). */
export function pageSizeBytes(): number {
  if (pageSize === null) {
    pageSize = 4096;
    try {
      const auxv = readBytes("/proc/self/auxv");
      const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
      for (let off = 0; off + 16 <= auxv.byteLength; off += 16) {
        const type = Number(view.getBigUint64(off, true));
        if (type === 0) break;
        if (type === 6) pageSize = Number(view.getBigUint64(off + 8, true)); // AT_PAGESZ
      }
    } catch {
      // No auxv to read (a locked-down /proc): 4 KiB is right on x86-64 and the usual arm64 kernels.
    }
  }
  return pageSize;
}

/** Parse the text of /proc/PID/stat (comm may hold spaces and parentheses, so split after the last ')'). */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const f = text.slice(close + 2).split(" ");
  return {
    pid: Number(text.slice(0, open - 1)),
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    nice: Number(f[16]),
    startTicks: Number(f[19]),
    vsize: Number(f[20]),
    rss: Number(f[21]) * pageSizeBytes(),
    threads: Number(f[17]),
  };
}

// Files sampled every round stay open and are re-read with pread at offset 0: that halves the cost
// of a sample (no open/fstat/close). An open /proc/PID file stays bound to its process, so after the
// process exits a read fails (ESRCH) even if the pid was reused; we then reopen once.
const held = new Map<string, number>();
const buffer = new Uint8Array(16384);
const latin1 = new TextDecoder("latin1");
const O_RDONLY_CLOEXEC = 0o2000000;
let maxHeld: number | null = null;

/** Hold at most a quarter of the soft RLIMIT_NOFILE (read when first needed: the daemon raises it at start). */
function heldLimit(): number {
  if (maxHeld === null) {
    let soft = 1024;
    try {
      soft = getRlimit("nofile").soft ?? 1 << 20;
    } catch {
      // getrlimit cannot fail for RLIMIT_NOFILE on Linux; the usual default is a safe guess anyway.
    }
    maxHeld = Math.max(0, Math.min(8192, Math.floor(soft / 4) - 16));
  }
  return maxHeld;
}

/** The file behind `fd` from offset 0, or null when it is too long for the buffer (read it whole). */
function preadText(fd: number, path: string): string | null {
  for (;;) {
    const n = Number(libc().pread(fd, buffer, buffer.length, 0));
    if (n >= 0) return n < buffer.length ? latin1.decode(buffer.subarray(0, n)) : null;
    const code = errno();
    if (code !== Errno.EINTR) throw new OsError("pread", code, path);
  }
}

function closeHeld(path: string): void {
  const fd = held.get(path);
  if (fd === undefined) return;
  libc().close(fd);
  held.delete(path);
}

/** Text of a /proc file that is read repeatedly, or null when it cannot be read (process gone). */
export function readProcFile(path: string): string | null {
  const fd = held.get(path);
  if (fd !== undefined) {
    try {
      const text = preadText(fd, path);
      if (text !== null) return text;
    } catch {
      // The process behind this fd is gone (ESRCH); the pid may be in use again, so reopen below.
    }
    closeHeld(path);
  }
  const fresh = libc().open(cstr(path), O_RDONLY_CLOEXEC, 0);
  if (fresh < 0) return null;
  try {
    const text = preadText(fresh, path) ?? readText(path, "latin1");
    if (held.size < heldLimit()) {
      held.set(path, fresh);
      return text;
    }
    libc().close(fresh);
    return text;
  } catch {
    libc().close(fresh);
    return null; // gone between open and read
  }
}

/**
 * Close the held files of processes that are gone (a read of an open /proc file fails once its
 * process has exited), so a sampler never keeps fds of the dead; returns their pids.
 */
export function releaseGoneProcFiles(): number[] {
  const gone = new Set<number>();
  for (const [path, fd] of held) {
    if (Number(libc().pread(fd, buffer, 1, 0)) >= 0) continue;
    closeHeld(path);
    gone.add(Number(path.split("/")[2]));
  }
  return [...gone];
}

/** Number of /proc files held open for sampling (for leak checks). */
export function heldProcFiles(): number {
  return held.size;
}

/** Close the files held for `pid` (call when it is forgotten). */
export function releaseProcFiles(pid: number): void {
  closeHeld(`/proc/${pid}/stat`);
  closeHeld(`/proc/${pid}/task/${pid}/children`);
}

/**
 * /proc/PID/stat for a process sampled again and again (its file stays open until releaseProcFiles),
 * or null once the process is gone (or the pid was never there).
 */
export function sampleStat(pid: number): ProcStat | null {
  const text = readProcFile(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text);
}

/** /proc/PID/stat read once (nothing stays open), or null when the process is gone. */
export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readText(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return null; // gone
  }
}

/** Real uid from /proc/PID/status, or null when unreadable (hidepid, gone). */
export function readUid(pid: number): number | null {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readText(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // gone, or hidden by hidepid: the caller shows N/A
  }
}

/** argv of the process (empty for kernel threads and zombies), or null when unreadable. */
export function readArgv(pid: number): string[] | null {
  let text: string;
  try {
    text = readText(`/proc/${pid}/cmdline`);
  } catch {
    return null; // gone, or hidden by hidepid: the caller shows N/A
  }
  if (text === "") return [];
  return (text.endsWith("\0") ? text.slice(0, -1) : text).split("\0");
}

/**
 * Direct children of `pid` (empty when it is gone): the union of /proc/PID/task/TID/children over its
 * threads. `threads` (from its stat line) lets a single-threaded process skip listing its tasks; a kernel
 * without those files (no CONFIG_PROC_CHILDREN) is answered by scanning every process's parent.
 */
export function childPids(pid: number, threads = 0): number[] {
  if (threads === 1) {
    const text = readProcFile(`/proc/${pid}/task/${pid}/children`);
    if (text !== null) return splitPids(text);
  }
  let tids: string[];
  try {
    tids = listDir(`/proc/${pid}/task`);
  } catch {
    return []; // the process is gone
  }
  const found = new Set<number>();
  let sawFile = false;
  for (const tid of tids) {
    let text: string;
    try {
      text = readText(`/proc/${pid}/task/${tid}/children`, "latin1");
    } catch {
      continue; // thread exited meanwhile, or no such file on this kernel
    }
    sawFile = true;
    for (const child of splitPids(text)) found.add(child);
  }
  return sawFile ? [...found] : childrenByScan(pid);
}

/**
 * All descendants of `pid`, parents before their children. Through the children files where the kernel
 * has them; else from one scan of /proc (asking childPids for each process found would scan it once per
 * descendant: a daemon's tree of 40 workers on a machine running 10 000 processes took seconds).
 */
export function descendantPids(pid: number): number[] {
  const viaFiles = readProcFile(`/proc/${pid}/task/${pid}/children`) !== null;
  const byParent = viaFiles ? null : parentMap();
  const childrenOf = (parent: number) => (byParent ? (byParent.get(parent) ?? []) : childPids(parent));
  const found: number[] = [];
  const queue = [pid];
  const seen = new Set([pid]);
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift() as number)) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Every process's children from one scan of /proc, kept until the current synchronous job ends: a
 * sampling pass over many workers (stats, top) asks for the children of each, and would otherwise scan
 * /proc once per worker. Nothing awaits in between, so the answers are those of one scan at that moment.
 */
let scanned: Map<number, number[]> | null = null;

function parentMap(): Map<number, number[]> {
  if (scanned !== null) return scanned;
  const byParent = new Map<number, number[]>();
  for (const entry of listDir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(stat.pid);
    else byParent.set(stat.ppid, [stat.pid]);
  }
  scanned = byParent;
  queueMicrotask(() => {
    scanned = null;
  });
  return byParent;
}

function childrenByScan(pid: number): number[] {
  return [...(parentMap().get(pid) ?? [])];
}

function splitPids(text: string): number[] {
  const out: number[] = [];
  for (const word of text.split(" ")) if (word.trim() !== "") out.push(Number(word));
  return out;
}

/** How many fds this process holds now (the directory listing's own fd not counted). */
export function openFdCount(): number {
  return listDir("/proc/self/fd").length - 1;
}
