// What `circus top` shows, fed by stat.* messages (or by polled `stats` replies) and by the daemon's
// `status`: the latest figures per group and pid, each watcher's state, and the socket hit counts.
// Pids without a fresh sample age out.

/** One pid's row. `role` is set in the circus group (circusd, circusd-stats, circushttpd). */
export interface PidRow {
  pid: number;
  cpu: number | string;
  mem: number | string;
  /** Resident memory in bytes; null when the sample did not carry it (an older daemon). */
  rss: number | null;
  age: number | string;
  role: string | null;
  seenAt: number;
}

export interface SocketRow {
  fd: number;
  address: string;
  /** null when unknown (polling the control channel cannot count reads). */
  reads: number | null;
  seenAt: number;
}

/** A watcher as `status` describes it; restarts when the daemon counts them. */
export interface WatcherSummary {
  state: string;
  restarts: number | null;
}

/** The daemon's own tools: never a group of their own, their processes appear in the `circus` group. */
export const CIRCUS_TOOL_WATCHERS: ReadonlySet<string> = new Set(["circusd-stats", "circushttpd"]);

export class TopModel {
  readonly groups = new Map<string, Map<number, PidRow>>();
  readonly sockets = new Map<number, SocketRow>();
  /** Watchers by name, from the control channel (empty when it cannot be reached). */
  readonly watchers = new Map<string, WatcherSummary>();
  /** When the last message of any kind arrived (0 = never). */
  lastData = 0;

  /** Take one stat.* message. */
  ingest(topic: string, body: unknown, now = Date.now()): void {
    if (typeof body !== "object" || body === null) return;
    const b = body as Record<string, unknown>;
    const parts = topic.split(".");
    if (parts[0] !== "stat" || parts.length < 2) return;
    this.lastData = now;
    const last = parts[parts.length - 1]!;
    const hasSub = parts.length >= 3 && /^\d+$/.test(last);
    const group = parts.slice(1, hasSub ? -1 : undefined).join(".");
    if (group === "sockets") {
      if (hasSub)
        this.sockets.set(Number(last), {
          fd: Number(last),
          address: String(b.address ?? ""),
          reads: typeof b.reads === "number" ? b.reads : null,
          seenAt: now,
        });
      return;
    }
    if (!hasSub || CIRCUS_TOOL_WATCHERS.has(group)) return; // aggregates are recomputed from the rows shown
    this.setRow(group, rowOf(Number(last), b, typeof b.name === "string" ? b.name : null, now));
  }

  setRow(group: string, row: PidRow): void {
    let rows = this.groups.get(group);
    if (!rows) {
      rows = new Map();
      this.groups.set(group, rows);
    }
    rows.set(row.pid, row);
  }

  /** Drop pids and sockets not refreshed within `timeoutMs` (circus-top's --process-timeout). */
  prune(timeoutMs: number, now = Date.now()): void {
    for (const [name, rows] of this.groups) {
      for (const [pid, row] of rows) if (now - row.seenAt > timeoutMs) rows.delete(pid);
      if (rows.size === 0) this.groups.delete(name);
    }
    for (const [fd, s] of this.sockets) if (now - s.seenAt > timeoutMs) this.sockets.delete(fd);
  }

  clear(): void {
    this.groups.clear();
    this.sockets.clear();
    this.watchers.clear();
  }
}

function fig(v: unknown): number | string {
  return typeof v === "number" ? v : typeof v === "string" ? v : "N/A";
}

/** A row from one process-info object (a stat.* payload or an entry of a `stats` reply). */
export function rowOf(pid: number, info: Record<string, unknown>, role: string | null, now: number): PidRow {
  return {
    pid,
    cpu: fig(info.cpu),
    mem: fig(info.mem),
    rss: typeof info.rss === "number" ? info.rss : null,
    age: fig(info.age),
    role,
    seenAt: now,
  };
}
