// The daemon's record of the workers it runs, kept in a file so that a daemon restarted after a
// `kill -9` can find what its predecessor left (decisions §10): one JSON line per spawn and per exit,
// each written with a single write(2), compacted now and then. A worker is identified by its pid,
// its start time (from /proc, in clock ticks since boot) and its command line; a restarted daemon acts
// only on a process that matches all three, so it never signals an unrelated one that reused a pid.
// The records are plain data, also what a daemon upgrade hands to its successor.

import { AppendFile, exists, readText, rename, unlink, writeText } from "../os/fs.ts";
import { processExists, killProcessGroup } from "../os/process.ts";
import { readArgv, readStat } from "../os/proc.ts";
import { getLogger } from "../util/log.ts";

const log = getLogger("circus.arbiter");

/** One worker as the journal knows it. */
export interface WorkerRecord {
  pid: number;
  /** Start time from /proc/PID/stat (clock ticks since boot): with the pid, unique for the boot. */
  start: number;
  /** The command line the worker runs (after exec), as /proc/PID/cmdline shows it. */
  argv: string[];
  watcher: string;
  wid: number;
  /** Spawn time, epoch ms. */
  startedMs: number;
}

/** The daemon that wrote a journal, identified like its workers. */
interface DaemonRecord {
  pid: number;
  start: number;
}

type Line = { daemon: DaemonRecord } | { add: WorkerRecord } | { argv: [number, string[]] } | { del: number };

/** What a journal holds: the daemon that wrote it and its workers still running when it last wrote. */
export interface JournalContents {
  daemon: DaemonRecord | null;
  workers: WorkerRecord[];
}

/** Start time of `pid` from /proc, or null when it does not exist. */
export function startTicksOf(pid: number): number | null {
  return readStat(pid)?.startTicks ?? null;
}

/** Read a journal; an absent file is an empty one, a damaged line (a write cut by a crash) is skipped. */
export function readJournal(path: string): JournalContents {
  const contents: JournalContents = { daemon: null, workers: [] };
  if (!exists(path)) return contents;
  const workers = new Map<number, WorkerRecord>();
  for (const text of readText(path).split("\n")) {
    if (text.trim() === "") continue;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      continue;
    }
    if (Object.hasOwn(line, "daemon") && "daemon" in line) contents.daemon = line.daemon;
    else if (Object.hasOwn(line, "add") && "add" in line) workers.set(line.add.pid, line.add);
    else if (Object.hasOwn(line, "del") && "del" in line) workers.delete(line.del);
    else if (Object.hasOwn(line, "argv") && "argv" in line) {
      const known = workers.get(line.argv[0]);
      if (known) known.argv = line.argv[1];
    }
  }
  contents.workers = [...workers.values()];
  return contents;
}

/** The journal this daemon writes while it runs. */
export class WorkerJournal {
  private file: AppendFile;
  private readonly live = new Map<number, WorkerRecord>();
  private lines = 0;
  /** Workers whose command line is read again once they had time to exec (a shell, the launcher). */
  private unconfirmed: { pid: number; at: number }[] = [];
  private confirmTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly path: string,
    /** How long after its spawn a worker's command line is read again (tests pass a few ms). */
    private readonly confirmAfterMs = CONFIRM_AFTER_MS,
  ) {
    this.file = new AppendFile(path, { truncate: true });
    this.writeLine({ daemon: { pid: process.pid, start: startTicksOf(process.pid) ?? 0 } });
  }

  /** Record a new worker (call right after its spawn). */
  added(watcher: string, worker: { pid: number; wid: number; argv: string[]; startedMs: number }): void {
    const start = startTicksOf(worker.pid);
    if (start === null) return; // already gone: nothing to find later
    const record: WorkerRecord = {
      pid: worker.pid,
      start,
      argv: worker.argv,
      watcher,
      wid: worker.wid,
      startedMs: worker.startedMs,
    };
    this.live.set(worker.pid, record);
    this.writeLine({ add: record });
    this.unconfirmed.push({ pid: worker.pid, at: Date.now() });
    this.confirmTimer ??= setTimeout(() => this.confirmArgv(), this.confirmAfterMs);
    this.confirmTimer.unref?.();
  }

  /** Forget a worker: it exited, or it is no longer managed (`rm --nostop`). */
  removed(pid: number): void {
    if (!this.live.delete(pid)) return;
    this.writeLine({ del: pid });
    if (this.lines > 2 * this.live.size + COMPACT_SLACK) this.compact();
  }

  /** Every worker recorded as running. */
  records(): WorkerRecord[] {
    return [...this.live.values()];
  }

  /** The daemon exits having stopped its workers: nothing is left to find (unless `keep`). */
  close(options: { keep?: boolean } = {}): void {
    if (this.confirmTimer !== null) clearTimeout(this.confirmTimer);
    this.file.close();
    // Workers still run that nobody stopped (an upgraded image that could not start): the next daemon needs it.
    if (options.keep) return;
    try {
      unlink(this.path);
    } catch (err) {
      log.warning(`cannot remove the worker journal: ${(err as Error).message}`);
    }
  }

  private writeLine(line: Line): void {
    try {
      this.file.append(`${JSON.stringify(line)}\n`);
      this.lines++;
    } catch (err) {
      log.error(`cannot write the worker journal: ${(err as Error).message}`);
    }
  }

  /**
   * A shell or the launcher execs the real program after the spawn: read each young worker's command
   * line again, so the journal holds what a restarted daemon will find in /proc.
   */
  private confirmArgv(): void {
    this.confirmTimer = null;
    const now = Date.now();
    const due = this.unconfirmed.filter((u) => now - u.at >= this.confirmAfterMs);
    this.unconfirmed = this.unconfirmed.filter((u) => now - u.at < this.confirmAfterMs);
    for (const { pid } of due) {
      const record = this.live.get(pid);
      const argv = record ? readArgv(pid) : null;
      if (!record || argv === null || argv.length === 0 || sameArgv(argv, record.argv)) continue;
      record.argv = argv;
      this.writeLine({ argv: [pid, argv] });
    }
    if (this.unconfirmed.length > 0) this.confirmTimer = setTimeout(() => this.confirmArgv(), this.confirmAfterMs);
  }

  /** Rewrite the journal with only the live workers (a new file renamed over the old one). */
  private compact(): void {
    const lines = [
      JSON.stringify({ daemon: { pid: process.pid, start: startTicksOf(process.pid) ?? 0 } }),
      ...[...this.live.values()].map((record) => JSON.stringify({ add: record })),
    ];
    try {
      writeText(`${this.path}.new`, `${lines.join("\n")}\n`, 0o600);
      rename(`${this.path}.new`, this.path);
      this.file.close();
      this.file = new AppendFile(this.path);
      this.lines = lines.length;
    } catch (err) {
      log.error(`cannot compact the worker journal: ${(err as Error).message}`);
    }
  }
}

/** Young workers' command lines are read again after this long (they have exec'd by then). */
const CONFIRM_AFTER_MS = 1000;
/** The journal is compacted when it holds this many more lines than twice the live workers. */
const COMPACT_SLACK = 1000;

function sameArgv(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/** Is `record` still the process it describes: same pid, same start time, same command line? */
export function stillRunning(record: { pid: number; start: number; argv: string[] }): boolean {
  if (startTicksOf(record.pid) !== record.start) return false;
  const argv = readArgv(record.pid);
  return argv !== null && sameArgv(argv, record.argv);
}

export interface LeftoverPolicy {
  /** The stop signal and graceful timeout for a worker of `watcher` (its config, or the defaults). */
  stopOf(watcher: string): { signum: number; gracefulTimeoutMs: number };
}

/**
 * Stop the workers a previous daemon left running (found in its journal), before this one starts its
 * own: the stop signal to each worker's process group, SIGKILL after the graceful timeout. Records
 * whose process is gone or is another process now (pid reused) are left alone. Returns the pids stopped.
 */
export async function stopLeftovers(found: JournalContents, policy: LeftoverPolicy): Promise<number[]> {
  const owner = liveOwner(found);
  if (owner !== null) {
    log.warning(`the worker journal belongs to a daemon that still runs (pid ${owner}); its workers are left alone`);
    return [];
  }
  const ours = found.workers.filter(stillRunning);
  const strangers = found.workers.length - ours.length;
  if (ours.length === 0) return [];
  log.warning(
    `${ours.length} workers of a previous daemon (pid ${found.daemon?.pid ?? "?"}) still run: stopping them before starting` +
      (strangers > 0 ? ` (${strangers} other entries are gone or are other processes now, left alone)` : ""),
  );
  const deadline = new Map<number, number>();
  for (const record of ours) {
    const { signum, gracefulTimeoutMs } = policy.stopOf(record.watcher);
    deadline.set(record.pid, Date.now() + gracefulTimeoutMs);
    signalGroup(record.pid, signum);
  }
  let waiting = ours;
  while (waiting.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const now = Date.now();
    waiting = waiting.filter((record) => {
      if (!stillRunning(record)) return false;
      if (now >= deadline.get(record.pid)!) {
        signalGroup(record.pid, SIGKILL);
        deadline.set(record.pid, Infinity);
      }
      return true;
    });
  }
  return ours.map((r) => r.pid);
}

const POLL_MS = 20;
const SIGKILL = 9;

/**
 * The pid of the other daemon that wrote this journal and still runs (same pid and start time), or
 * null: a daemon started on the same config must not start beside it, nor take its journal over.
 */
export function liveOwner(found: JournalContents): number | null {
  return found.daemon && found.daemon.pid !== process.pid && stillAlive(found.daemon) ? found.daemon.pid : null;
}

function stillAlive(daemon: DaemonRecord): boolean {
  return processExists(daemon.pid) && startTicksOf(daemon.pid) === daemon.start;
}

/** Workers lead their own process group (setsid at spawn): the group takes their children along. */
function signalGroup(pid: number, signum: number): void {
  try {
    killProcessGroup(pid, signum);
  } catch (err) {
    log.warning(`cannot signal the process group of ${pid}: ${(err as Error).message}`);
  }
}
