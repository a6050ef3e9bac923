// Read-readiness counts of the daemon's listening sockets, as circusd-stats counts them: every 10 ms,
// each socket with a pending connection (or datagram) adds one "read". Not a connection count: a
// connection that waits 30 ms before being accepted counts 3, one accepted within 10 ms may count 0.
//
// We can only poll a socket we hold: the daemon runs us as the `circusd-stats` watcher with
// use_sockets, and we match each inherited copy to the daemon's fd by socket inode (the child's fd
// numbers differ from the daemon's). Run standalone, we hold none: reads stay 0 and we say so once.
// (Reading accept queues from /proc/net/tcp instead costs ~5 ms per read on a busy host — a whole
// core at Circus's 100 samples/s — so it is not done.)

// node:fs on first sample: the daemon loads this module but samples only when asked (`stats`), and
// a static node:fs import costs ~4.5 MB RSS in the compiled daemon.
import { nodeFs } from "../util/node.ts";
import { getLogger } from "../util/log.ts";
import { pollReadable } from "../os/sockets.ts";

const log = getLogger("circus.stats");

/** How often readiness is sampled (Circus's _LOOP_RES). */
export const SOCKET_POLL_MS = 10;

/** A socket as `listsockets` reports it (fd is the daemon's). */
export interface ListedSocket {
  fd: number;
  name?: string;
  host?: string | null;
  port?: number | null;
  path?: string | null;
}

/** One `stat.sockets.<fd>` payload. */
export interface SocketStat {
  fd: number;
  subtopic: number;
  reads: number;
  address: string;
}

interface Watched {
  fd: number;
  address: string;
  inode: string | null;
  /** Our own fd for the same socket, when inherited. */
  local: number | null;
  reads: number;
}

function socketInode(path: string): string | null {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(nodeFs().readlinkSync(path));
    return m ? m[1]! : null;
  } catch {
    return null; // the fd was closed meanwhile: nothing to count
  }
}

/** Our fds that are sockets, by inode. */
function ownSocketFds(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const name of nodeFs().readdirSync("/proc/self/fd")) {
      const inode = socketInode(`/proc/self/fd/${name}`);
      if (inode !== null) out.set(inode, Number(name));
    }
  } catch {
    // no /proc/self/fd: nothing inherited that we can identify
  }
  return out;
}

/** Counts read-ready samples per daemon socket; `take()` returns and resets them (once per second). */
export class SocketReadCounter {
  private readonly watched: Watched[];
  private timer: ReturnType<typeof setInterval> | null = null;

  /** `daemonPid` lets us read the daemon's socket inodes, to find our inherited copies. */
  constructor(sockets: ListedSocket[], daemonPid: number | null) {
    const own = ownSocketFds();
    this.watched = sockets.map((s) => {
      const inode = daemonPid === null ? null : socketInode(`/proc/${daemonPid}/fd/${s.fd}`);
      const address = s.path ? s.path : `${s.host}:${s.port}`;
      return { fd: s.fd, address, inode, local: inode === null ? null : (own.get(inode) ?? null), reads: 0 };
    });
    const unseen = this.watched.filter((w) => w.local === null);
    if (unseen.length > 0) {
      log.info(
        `reads of ${unseen.map((w) => w.address).join(", ")} stay 0: their sockets are not inherited (run as the circusd-stats watcher: statsd = true)`,
      );
    }
  }

  /** How many sockets are really polled, e.g. "2 of 2 inherited". */
  get mode(): string {
    return `${this.watched.filter((w) => w.local !== null).length} of ${this.watched.length} inherited`;
  }

  start(): void {
    if (this.timer !== null || !this.watched.some((w) => w.local !== null)) return;
    this.timer = setInterval(() => this.sample(), SOCKET_POLL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One readiness sample of every socket. */
  sample(): void {
    const local = this.watched.filter((w) => w.local !== null);
    if (local.length > 0) {
      let ready: number[] = [];
      try {
        ready = pollReadable(
          local.map((w) => w.local!),
          0,
        );
      } catch {
        // EBADF and friends: count nothing this round, as Circus does
      }
      for (const w of local) if (ready.includes(w.local!)) w.reads++;
    }
  }

  /** The per-socket payloads and the total, resetting the counters; null when there are no sockets. */
  take(): { sockets: SocketStat[]; total: { addresses: string[]; reads: number } } | null {
    if (this.watched.length === 0) return null;
    const sockets = this.watched.map((w) => ({ fd: w.fd, subtopic: w.fd, reads: w.reads, address: w.address }));
    for (const w of this.watched) w.reads = 0;
    return {
      sockets,
      total: { addresses: sockets.map((s) => s.address), reads: sockets.reduce((n, s) => n + s.reads, 0) },
    };
  }
}
