// The process-info object of Circus (§2.4) built from /proc, with psutil's semantics for `cpu`:
// the percentage of one core used since the previous sample of the same process by the same
// sampler (psutil's cpu_percent(interval=None)); the first sample of a process gives 0.0.

import { resolveUser } from "../os/users.ts";
import { bytes2human, formatCpuTime } from "./format.ts";
import {
  CLOCK_TICKS,
  bootTimeSeconds,
  childPids,
  memTotalBytes,
  readArgv,
  readUid,
  releaseGoneProcFiles,
  releaseProcFiles,
  sampleStat,
  type ProcStat,
} from "../os/proc.ts";

/** What Circus answers for a process that vanished between listing and sampling. */
export const NO_SUCH_PROCESS = "No such process (stopped?)";

/** Circus's info object; any figure may be "N/A" when /proc denies it. */
export interface ProcessInfo {
  pid: number;
  cmdline: string;
  username: string;
  nice: number | string;
  mem_info1: string;
  mem_info2: string;
  rss: number;
  cpu: number | string;
  mem: number | string;
  ctime: string;
  create_time: number;
  age: number;
  children: ProcessInfo[];
  [extra: string]: unknown;
}

interface CpuSample {
  startTicks: number;
  ticks: number;
  at: number;
}

interface Identity {
  startTicks: number;
  comm: string;
  cmdline: string;
  username: string;
}

const SWEEP_MS = 30_000;
/** How often the files held for processes that exited are closed (a child of a worker that died). */
const GONE_SWEEP_MS = 2_000;
const usernames = new Map<number, string>();

function username(uid: number | null): string {
  if (uid === null) return "N/A";
  let name = usernames.get(uid);
  if (name === undefined) {
    try {
      name = resolveUser(uid).name;
    } catch {
      name = String(uid); // psutil falls back to the number for a uid without a passwd entry
    }
    usernames.set(uid, name);
  }
  return name;
}

/** Basename of the first argv token (Circus shlex-splits argv[0] and keeps the first word's basename). */
export function commandName(argv: string[] | null, comm: string): string {
  if (argv === null) return "N/A";
  const first = (argv[0] ?? "").trim().split(/\s+/)[0] ?? "";
  if (first === "") return comm; // zombies and kernel threads have no argv
  return first.slice(first.lastIndexOf("/") + 1);
}

/**
 * Samples processes and remembers, per pid, the previous CPU reading (for `cpu`) and the argv /
 * user (re-read only when the process execs, i.e. its comm changes, or the pid is reused).
 */
export class ProcessSampler {
  private readonly cpu = new Map<number, CpuSample & { seen: number }>();
  private readonly ids = new Map<number, Identity>();
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private goneSweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    /** How often files held for processes that exited are closed (tests pass a few ms). */
    private readonly goneSweepMs = GONE_SWEEP_MS,
  ) {}

  /** The info object of `pid` with its direct children, or null when it does not exist. */
  info(pid: number, opts: { children?: boolean } = {}): ProcessInfo | null {
    const stat = sampleStat(pid);
    if (stat === null) {
      this.forget(pid);
      return null;
    }
    const info = this.fromStat(stat);
    if (opts.children !== false) {
      for (const child of childPids(pid, stat.threads)) {
        const c = this.info(child, { children: false });
        if (c !== null) info.children.push(c);
      }
    }
    // Forget pids nobody asks about any more (and close their held /proc files), even if no one
    // samples again; unref'd so it never keeps a process alive.
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
      this.sweeper.unref();
      this.goneSweeper = setInterval(() => {
        for (const gone of releaseGoneProcFiles()) this.forget(gone);
      }, this.goneSweepMs);
      this.goneSweeper.unref();
    }
    return info;
  }

  /** Whether `pid` was sampled before (its next `cpu` is a real figure, not the first sample's 0). */
  knows(pid: number): boolean {
    return this.cpu.has(pid);
  }

  /** Drop what is remembered about `pid`. */
  forget(pid: number): void {
    this.cpu.delete(pid);
    this.ids.delete(pid);
    releaseProcFiles(pid);
  }

  /** Number of pids remembered (for tests and leak checks). */
  get size(): number {
    return this.cpu.size;
  }

  private fromStat(stat: ProcStat): ProcessInfo {
    const now = performance.now();
    const prev = this.cpu.get(stat.pid);
    let cpu = 0;
    if (prev !== undefined && prev.startTicks === stat.startTicks && now > prev.at) {
      cpu = Math.round(((((stat.cpuTicks - prev.ticks) / CLOCK_TICKS) * 100_000) / (now - prev.at)) * 10) / 10;
    }
    this.cpu.set(stat.pid, { startTicks: stat.startTicks, ticks: stat.cpuTicks, at: now, seen: Date.now() });
    const id = this.identity(stat);
    const total = memTotalBytes();
    const createTime = bootTimeSeconds() + stat.startTicks / CLOCK_TICKS;
    return {
      pid: stat.pid,
      cmdline: id.cmdline,
      username: id.username,
      nice: stat.state === "Z" ? "Zombie" : stat.nice,
      mem_info1: bytes2human(stat.rss),
      mem_info2: bytes2human(stat.vsize),
      // Beyond Circus: the resident size in bytes, for clients that compute with it (top's RSS in MB).
      rss: stat.rss,
      cpu,
      mem: total > 0 ? Math.round((stat.rss / total) * 100_000) / 1000 : "N/A",
      ctime: formatCpuTime(stat.cpuTicks / CLOCK_TICKS),
      create_time: createTime,
      age: Date.now() / 1000 - createTime,
      children: [],
    };
  }

  private identity(stat: ProcStat): Identity {
    const known = this.ids.get(stat.pid);
    if (known !== undefined && known.startTicks === stat.startTicks && known.comm === stat.comm) return known;
    const id: Identity = {
      startTicks: stat.startTicks,
      comm: stat.comm,
      cmdline: commandName(readArgv(stat.pid), stat.comm),
      username: username(readUid(stat.pid)),
    };
    // A process caught between fork and exec shows its parent's argv; do not cache a zombie's empty one.
    if (stat.state !== "Z") this.ids.set(stat.pid, id);
    return id;
  }

  private sweep(): void {
    const cutoff = Date.now() - SWEEP_MS;
    for (const [pid, s] of this.cpu) if (s.seen < cutoff) this.forget(pid);
  }
}

/** The sampler shared by the daemon's `stats`/`dstats` commands (one CPU baseline per pid, as psutil's cache). */
export const daemonSampler = new ProcessSampler();
