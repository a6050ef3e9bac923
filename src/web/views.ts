// The JSON the browser receives: snapshots (everything a page needs to draw at once) and the small
// updates that follow. One place, so the live stream and /api/state say the same thing.

import type { Json, JsonObject } from "../protocol/command.ts";
import type { FollowedDaemon } from "./link.ts";
import { type ConsoleModel, SPARK_SAMPLES, type Tick, type WatcherState } from "./model.ts";
import { editableOptions, type WebRole } from "./roles.ts";

/** Watchers the daemon runs for itself; pages mark them. */
const INTERNAL_WATCHERS = new Set(["circusd-stats", "circushttpd"]);

export interface Viewer {
  user: string | null;
  role: WebRole;
}

export function connectionView(link: FollowedDaemon | null): JsonObject {
  if (!link) return { endpoint: null, state: "disconnected", error: null, stats: null };
  return {
    endpoint: link.endpoint,
    state: link.state,
    error: link.error,
    stats: link.statsSource,
    statsEndpoint: link.statsEndpoint,
    pubsubEndpoint: link.pubsubEndpoint,
  };
}

/** One dashboard row; `samples` limits the series sent (sparklines need only the last minute). */
export function watcherView(model: ConsoleModel, w: WatcherState, samples = SPARK_SAMPLES): JsonObject {
  const usage = model.watcherUsage.get(w.name);
  return {
    name: w.name,
    status: w.status,
    numprocesses: w.numprocesses,
    processes: w.pids.length,
    singleton: w.singleton,
    internal: INTERNAL_WATCHERS.has(w.name.toLowerCase()),
    usage: usage ? usage.toJSON(samples) : { cpu: [], rss: [] },
  };
}

function socketsView(model: ConsoleModel): JsonObject[] {
  return [...model.sockets.values()]
    .sort((a, b) => a.fd - b.fd)
    .map((s) => ({
      fd: s.fd,
      name: s.name,
      address: s.address,
      backlog: s.backlog,
      reads: s.reads.values(SPARK_SAMPLES),
    }));
}

/** The detail of one watcher for its page: options, processes with their series, events, output. */
export function detailView(link: FollowedDaemon, name: string): JsonObject | null {
  const model = link.model;
  const w = model.watchers.get(name);
  if (!w) return null;
  const tail = link.tailOf(name);
  return {
    watcher: watcherView(model, w, Number.POSITIVE_INFINITY),
    options: w.options,
    editable: editableOptions(),
    processes: processesView(model, name),
    events: (model.watcherFeed.get(name) ?? []) as unknown as Json,
    logs: (tail?.lines ?? []) as unknown as Json,
    logsError: tail?.error ?? null,
  };
}

export function processesView(model: ConsoleModel, name: string): JsonObject[] {
  const pids = new Set(model.watchers.get(name)?.pids ?? []);
  const rows = model.processes.get(name) ?? [];
  const known = new Set(rows.map((r) => r.pid));
  // A process spawned since the last `stats` read is listed too, without wid yet.
  const all = rows.filter((r) => pids.has(r.pid));
  for (const pid of pids) if (!known.has(pid)) all.push({ pid, wid: null, started: null, cpu: null, rss: null });
  return all.map((r) => ({
    pid: r.pid,
    wid: r.wid,
    started: r.started,
    usage: model.processUsage.get(r.pid)?.usage.toJSON() ?? { cpu: [r.cpu], rss: [r.rss] },
  }));
}

/** Everything a page draws first. `watcher` adds that watcher's detail. */
export function snapshotView(link: FollowedDaemon | null, viewer: Viewer, watcher: string | null): JsonObject {
  const base: JsonObject = {
    now: Date.now(),
    user: viewer.user,
    role: viewer.role,
    connection: connectionView(link),
  };
  if (!link) return { ...base, watchers: [], sockets: [], daemon: null, feed: [], detail: null };
  const model = link.model;
  const watchers = [...model.watchers.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((w) => watcherView(model, w));
  return {
    ...base,
    watchers,
    sockets: socketsView(model),
    daemon: { pid: model.daemonPid, usage: model.daemonUsage.toJSON() },
    feed: model.feed.slice(-50) as unknown as Json,
    detail: watcher === null ? null : detailView(link, watcher),
  };
}

/** The part of a tick every page receives, serialized once. */
export function tickCommon(tick: Tick): string {
  const watchers = Object.fromEntries(tick.watchers);
  return JSON.stringify({ t: tick.t, watchers, daemon: tick.daemon, sockets: tick.sockets });
}

/** The per-process samples of `watcher` in a tick, as JSON (`{}` when none). */
export function tickProcesses(tick: Tick, watcher: string): string {
  const out: Record<string, [number | null, number | null]> = {};
  for (const [pid, [cpu, rss, w]] of tick.pids) if (w === watcher) out[String(pid)] = [cpu, rss];
  return JSON.stringify(out);
}
