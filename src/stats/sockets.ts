// Read-readiness counts of the daemon's listening sockets, as circusd-stats counts them: every 10 ms,
// each socket with a pending connection (or datagram) adds one "read". Not a connection count: a
// connection that waits 30 ms before being accepted counts 3, one accepted within 10 ms may count 0.
//
// Two ways to see a socket:
// * inherited (the daemon runs us as the `circusd-stats` watcher with use_sockets): we hold a copy
//   of the socket, matched to the daemon's fd by inode, and poll(2) it like Circus's select();
// * standalone: we read the accept-queue length of TCP listeners from /proc/net/tcp{,6} (rx_queue of
//   a LISTEN row is the number of connections waiting), which is the same readiness test. Unix and
//   UDP sockets cannot be seen that way and report 0 reads (logged once).

import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { getLogger } from "../log.ts";
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
  port: number | null;
  /** Our own fd for the same socket, when inherited. */
  local: number | null;
  reads: number;
}

function socketInode(path: string): string | null {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(path));
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

/** Our fds that are sockets, by inode. */
function ownSocketFds(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const name of readdirSync("/proc/self/fd")) {
      const inode = socketInode(`/proc/self/fd/${name}`);
      if (inode !== null) out.set(inode, Number(name));
    }
  } catch {
    // no /proc/self/fd: nothing inherited that we can identify
  }
  return out;
}

/** Accept-queue lengths of LISTEN TCP sockets, by inode and by local port. */
function listenQueues(): { byInode: Map<string, number>; byPort: Map<number, number> } {
  const byInode = new Map<string, number>();
  const byPort = new Map<number, number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // 0A = LISTEN
      const queued = parseInt(f[4]!.split(":")[1]!, 16);
      byInode.set(f[9]!, queued);
      const port = parseInt(f[1]!.split(":")[1]!, 16);
      byPort.set(port, Math.max(byPort.get(port) ?? 0, queued));
    }
  }
  return { byInode, byPort };
}

/** Counts read-ready samples per daemon socket; `take()` returns and resets them (once per second). */
export class SocketReadCounter {
  private readonly watched: Watched[];
  private timer: ReturnType<typeof setInterval> | null = null;

  /** `daemonPid` lets us read the daemon's socket inodes (to find inherited copies and /proc rows). */
  constructor(sockets: ListedSocket[], daemonPid: number | null) {
    const own = ownSocketFds();
    this.watched = sockets.map((s) => {
      const inode = daemonPid === null ? null : socketInode(`/proc/${daemonPid}/fd/${s.fd}`);
      const address = s.path ? s.path : `${s.host}:${s.port}`;
      return { fd: s.fd, address, inode, port: s.port ?? null, local: inode === null ? null : (own.get(inode) ?? null), reads: 0 };
    });
    const unseen = this.watched.filter((w) => w.local === null && (w.port === null || w.port === undefined));
    if (unseen.length > 0) {
      log.info(`not inherited, cannot count reads of ${unseen.map((w) => w.address).join(", ")} (run as the circusd-stats watcher: statsd = true)`);
    }
  }

  /** "inherited" when every socket is polled directly, "proc" when some are read from /proc/net/tcp. */
  get mode(): "inherited" | "proc" | "none" {
    if (this.watched.length === 0) return "none";
    return this.watched.every((w) => w.local !== null) ? "inherited" : "proc";
  }

  start(): void {
    if (this.timer !== null || this.watched.length === 0) return;
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
        ready = pollReadable(local.map((w) => w.local!), 0);
      } catch {
        // EBADF and friends: count nothing this round, as Circus does
      }
      for (const w of local) if (ready.includes(w.local!)) w.reads++;
    }
    const viaProc = this.watched.filter((w) => w.local === null && w.port !== null);
    if (viaProc.length > 0) {
      const q = listenQueues();
      for (const w of viaProc) {
        const queued = (w.inode !== null ? q.byInode.get(w.inode) : undefined) ?? q.byPort.get(w.port!) ?? 0;
        if (queued > 0) w.reads++;
      }
    }
  }

  /** The per-socket payloads and the total, resetting the counters; null when there are no sockets. */
  take(): { sockets: SocketStat[]; total: { addresses: string[]; reads: number } } | null {
    if (this.watched.length === 0) return null;
    const sockets = this.watched.map((w) => ({ fd: w.fd, subtopic: w.fd, reads: w.reads, address: w.address }));
    for (const w of this.watched) w.reads = 0;
    return { sockets, total: { addresses: sockets.map((s) => s.address), reads: sockets.reduce((n, s) => n + s.reads, 0) } };
  }
}
