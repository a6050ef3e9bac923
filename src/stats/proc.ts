// Raw readers over /proc for one process: its stat line, uid, argv and direct children. Each read is
// one small file; nothing here scans /proc, so sampling a pid costs the same with 10 or 10 000 processes.

// node:fs on first sample: the daemon loads this module but samples only when asked (`stats`), and
// a static node:fs import costs ~4.5 MB RSS in the compiled daemon.
import { nodeFs } from "../util/node.ts";

/** The fields of /proc/PID/stat the stats use (times in clock ticks, sizes in bytes). */
export interface ProcStat {
  pid: number;
  /** Kernel command name (`comm`, at most 15 bytes); changes at exec. */
  comm: string;
  /** Scheduler state letter: R, S, D, Z, … */
  state: string;
  ppid: number;
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
    const m = /^btime (\d+)$/m.exec(nodeFs().readFileSync("/proc/stat", "utf8"));
    bootTime = m ? Number(m[1]) : 0;
  }
  return bootTime;
}

/** Physical memory in bytes (MemTotal), the base of `mem` % as in psutil.memory_percent(); read once. */
export function memTotalBytes(): number {
  if (memTotal === null) {
    const m = /^MemTotal:\s+(\d+) kB$/m.exec(nodeFs().readFileSync("/proc/meminfo", "utf8"));
    memTotal = m ? Number(m[1]) * 1024 : 0;
  }
  return memTotal;
}

/** The page size (AT_PAGESZ from /proc/self/auxv: 4 KiB on x86-64, 4–64 KiB on arm64). */
export function pageSizeBytes(): number {
  if (pageSize === null) {
    pageSize = 4096;
    try {
      const auxv = nodeFs().readFileSync("/proc/self/auxv");
      const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
      for (let off = 0; off + 16 <= auxv.byteLength; off += 16) {
        const type = Number(view.getBigUint64(off, true));
        if (type === 0) break;
        if (type === 6) pageSize = Number(view.getBigUint64(off + 8, true)); // AT_PAGESZ
      }
    } catch {
      // keep 4096
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
const buffer = Buffer.allocUnsafe(16384);
let maxHeld: number | null = null;

/** Hold at most a quarter of the soft RLIMIT_NOFILE (read when first needed: the daemon raises it at start). */
function heldLimit(): number {
  if (maxHeld === null) {
    let soft = 1024;
    try {
      const m = /^Max open files\s+(\d+|unlimited)/m.exec(nodeFs().readFileSync("/proc/self/limits", "latin1"));
      if (m) soft = m[1] === "unlimited" ? 1 << 20 : Number(m[1]);
    } catch {
      // keep the usual default
    }
    maxHeld = Math.max(0, Math.min(8192, Math.floor(soft / 4) - 16));
  }
  return maxHeld;
}

function preadText(fd: number): string | null {
  const n = nodeFs().readSync(fd, buffer, 0, buffer.length, 0);
  return n < buffer.length ? buffer.toString("latin1", 0, n) : null; // too long for the buffer: read it whole
}

/** Text of a /proc file that is read repeatedly, or null when it cannot be read (process gone). */
export function readProcFile(path: string): string | null {
  const fd = held.get(path);
  if (fd !== undefined) {
    try {
      const text = preadText(fd);
      if (text !== null) return text;
    } catch {
      // the process behind this fd is gone; the pid may be in use again
    }
    nodeFs().closeSync(fd);
    held.delete(path);
  }
  let fresh: number;
  try {
    fresh = nodeFs().openSync(path, "r");
  } catch {
    return null;
  }
  try {
    const text = preadText(fresh) ?? nodeFs().readFileSync(path, "latin1");
    if (held.size < heldLimit()) held.set(path, fresh);
    else nodeFs().closeSync(fresh);
    return text;
  } catch {
    nodeFs().closeSync(fresh);
    return null;
  }
}

/** Close the files held for `pid` (call when it is forgotten). */
export function releaseProcFiles(pid: number): void {
  for (const path of [`/proc/${pid}/stat`, `/proc/${pid}/task/${pid}/children`]) {
    const fd = held.get(path);
    if (fd !== undefined) {
      nodeFs().closeSync(fd);
      held.delete(path);
    }
  }
}

/** /proc/PID/stat, or null once the process is gone (or the pid was never there). */
export function readStat(pid: number): ProcStat | null {
  const text = readProcFile(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text);
}

/** Real uid from /proc/PID/status, or null when unreadable (hidepid, gone). */
export function readUid(pid: number): number | null {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(nodeFs().readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** argv of the process (empty for kernel threads and zombies), or null when unreadable. */
export function readArgv(pid: number): string[] | null {
  try {
    const text = nodeFs().readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (text === "") return [];
    return (text.endsWith("\0") ? text.slice(0, -1) : text).split("\0");
  } catch {
    return null;
  }
}

/**
 * Direct children: the union of /proc/PID/task/TID/children over its threads (empty when gone).
 * `threads` (from the stat line) lets a single-threaded process skip listing its tasks.
 */
export function childPids(pid: number, threads = 0): number[] {
  if (threads === 1) {
    const text = readProcFile(`/proc/${pid}/task/${pid}/children`);
    return text === null ? [] : splitPids(text);
  }
  let tids: string[];
  try {
    tids = nodeFs().readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = nodeFs().readFileSync(`/proc/${pid}/task/${tid}/children`, "latin1");
    } catch {
      continue; // thread exited meanwhile
    }
    out.push(...splitPids(text));
  }
  return out;
}

function splitPids(text: string): number[] {
  const out: number[] = [];
  for (const c of text.split(" ")) if (c !== "" && c !== "\n") out.push(Number(c));
  return out;
}
