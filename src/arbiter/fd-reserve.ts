// Spawning leaves the daemon fds of its own. Workers that fill the open-files limit would leave the
// control channel unable to accept the very `stop` that fixes it (measured: a start of 10 000 captured
// workers under a 20 000 limit ended at 19 998 fds and no new connection was answered). A spawn that
// would eat into the last RESERVE fds fails as EMFILE does: transient, retried with backoff, running
// workers kept (decisions §1).

import { OsError } from "../os/errors.ts";
import { openFdCount } from "../os/proc.ts";
import { getRlimit } from "../os/rlimit.ts";

/** Fds kept for control connections, log and stream files, plugins and hooks. */
export const FD_RESERVE = 64;
/** Fds at most one worker costs the daemon: a pidfd and a socket end per captured stdout/stderr. */
export const FDS_PER_WORKER = 3;
/** Far from the line the count is estimated; within this many fds of it, it is counted exactly. */
const SLACK = 256;
/** Fds opened outside spawns (connections, files) are not tracked: an estimate is refreshed this often. */
const RECOUNT_MS = 1000;
const EMFILE = 24;

export class FdReserve {
  private estimate = 0;
  private countedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly count: () => number = openFdCount,
    private readonly limit: () => number = () => getRlimit("nofile").soft ?? Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Before a spawn: throws a transient EMFILE OsError when the spawn would eat into the reserve. */
  take(needed = FDS_PER_WORKER): void {
    const line = this.limit() - FD_RESERVE;
    const stale = this.now() - this.countedAtMs >= RECOUNT_MS;
    if (stale || this.estimate + needed > line - SLACK) {
      this.estimate = this.count();
      this.countedAtMs = this.now();
    }
    if (this.estimate + needed > line) {
      throw new OsError(
        "spawn",
        EMFILE,
        "",
        `the open-files limit (${line + FD_RESERVE}) is nearly reached: its last ${FD_RESERVE} fds are kept for the control channel and logs; raise rlimit nofile or lower numprocesses`,
      );
    }
    this.estimate += needed;
  }

  /** A worker is gone: its fds are closed. */
  release(fds = FDS_PER_WORKER): void {
    this.estimate = Math.max(0, this.estimate - fds);
  }
}

/** The daemon's one reserve, shared by every watcher. */
export const fdReserve = new FdReserve();
