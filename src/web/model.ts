// What the console knows about one daemon: its watchers and their state, CPU and memory series per
// watcher, per process, for the daemon itself and per socket, and the recent events. Fed by the
// stats stream (`stat.*`), by polled `stats`/`dstats` replies when there is no stream, and by the
// control channel; read by the live stream (snapshots and ticks). Pure data: no sockets here.

import type { Json, JsonObject } from "../protocol/command.ts";
import { infoBytes } from "../stats/format.ts";
import { UsageSeries, Series } from "./series.ts";

/** Samples kept per watcher, for the daemon and per socket (5 min at circusd-stats' 1 s). */
export const WATCHER_SAMPLES = 300;
/** Samples kept per process. */
export const PROCESS_SAMPLES = 120;
/** Samples of each sparkline sent with a dashboard snapshot. */
export const SPARK_SAMPLES = 60;
const FEED_SIZE = 200;
const WATCHER_FEED_SIZE = 50;
/** A process series not fed for this many ms is dropped (the process is gone). */
const PROCESS_FORGET_MS = 30_000;

/** The state of one watcher as the control channel reports it. */
export interface WatcherState {
  name: string;
  status: string;
  /** The target from `options`; null until read. */
  numprocesses: number | null;
  pids: number[];
  singleton: boolean;
  /** Every option as `options` returns it; null until read. */
  options: JsonObject | null;
}

/** One process as shown on a watcher page (from `stats <name>`). */
export interface ProcessRow {
  pid: number;
  wid: number | null;
  /** Epoch seconds of the spawn, when known. */
  started: number | null;
  cpu: number | null;
  rss: number | null;
}

export interface SocketState {
  fd: number;
  name: string;
  address: string;
  backlog: number | null;
  reads: Series;
}

/** One event of the pub/sub stream, as the feed shows it. */
export interface FeedEvent {
  /** Epoch ms. */
  time: number;
  /** The watcher's configured name when known, else the name in the topic. */
  watcher: string;
  event: string;
  /** Payload without `time` (shown as the event's time). */
  detail: JsonObject;
}

/** What changed since the last tick: new samples, ready to send. */
export interface Tick {
  /** Epoch ms when the first message of these samples reached the console. */
  t: number;
  /** watcher → [cpu, rss, processes]. */
  watchers: Map<string, [number | null, number | null, number]>;
  daemon: [number | null, number | null] | null;
  /** pid → [cpu, rss, watcher]. */
  pids: Map<number, [number | null, number | null, string]>;
  sockets: Record<string, number>;
}

interface Sample {
  cpu: number | null;
  rss: number | null;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function sampleOf(info: unknown): Sample {
  const i = (typeof info === "object" && info !== null ? info : {}) as Record<string, unknown>;
  return { cpu: num(i.cpu), rss: infoBytes(i.mem_info1) };
}

function sum(samples: Sample[], key: keyof Sample): number | null {
  let total = 0;
  for (const s of samples) {
    const v = s[key];
    if (v === null) return null;
    total += v;
  }
  return Math.round(total * 10) / 10;
}

/** `watcher.<name>.<event>` names: lower-cased, spaces as underscores (Circus's topic form). */
export function topicName(name: string): string {
  return name.toLowerCase().replaceAll(" ", "_");
}

export class ConsoleModel {
  readonly watchers = new Map<string, WatcherState>();
  readonly watcherUsage = new Map<string, UsageSeries>();
  readonly processUsage = new Map<number, { usage: UsageSeries; watcher: string; seenAt: number }>();
  readonly processes = new Map<string, ProcessRow[]>();
  readonly daemonUsage = new UsageSeries(WATCHER_SAMPLES);
  daemonPid: number | null = null;
  readonly sockets = new Map<number, SocketState>();
  readonly feed: FeedEvent[] = [];
  readonly watcherFeed = new Map<string, FeedEvent[]>();
  /** Lower-cased name (and topic form) → configured name. */
  private readonly names = new Map<string, string>();
  /** This round's per-process samples, per group, until the group's aggregate closes it. */
  private readonly pending = new Map<string, Map<number, Sample>>();
  /** Groups whose processes the stream reports inside `stat.circus` (circusd-stats, circushttpd). */
  private readonly circusGroups = new Set<string>();
  private tick: Tick | null = null;

  /** The configured name for a name as a topic or `list` spells it; the text itself when unknown. */
  resolveName(name: string): string {
    return this.names.get(name) ?? this.names.get(name.toLowerCase()) ?? name;
  }

  /** Replace the watcher list with `status` output (name → state); returns names added and removed. */
  setStatuses(statuses: Record<string, string>): { added: string[]; removed: string[] } {
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of [...this.watchers.keys()]) {
      if (!Object.hasOwn(statuses, name)) {
        this.removeWatcher(name);
        removed.push(name);
      }
    }
    for (const [name, status] of Object.entries(statuses)) {
      const w = this.watchers.get(name);
      if (w) w.status = status;
      else {
        this.addWatcher(name, status);
        added.push(name);
      }
    }
    return { added, removed };
  }

  private addWatcher(name: string, status: string): void {
    this.watchers.set(name, { name, status, numprocesses: null, pids: [], singleton: false, options: null });
    this.watcherUsage.set(name, new UsageSeries(WATCHER_SAMPLES));
    this.names.set(name.toLowerCase(), name);
    this.names.set(topicName(name), name);
  }

  removeWatcher(name: string): void {
    this.watchers.delete(name);
    this.watcherUsage.delete(name);
    this.processes.delete(name);
    this.watcherFeed.delete(name);
    for (const [pid, p] of this.processUsage) if (p.watcher === name) this.processUsage.delete(pid);
  }

  /** Merge what the control channel said about one watcher. */
  updateWatcher(name: string, update: Partial<Omit<WatcherState, "name">>): WatcherState | null {
    const w = this.watchers.get(name);
    if (!w) return null;
    Object.assign(w, update);
    if (update.options) {
      const n = update.options.numprocesses;
      w.numprocesses = typeof n === "number" ? n : w.numprocesses;
      w.singleton = update.options.singleton === true;
    }
    return w;
  }

  /** Replace the socket list with a `listsockets` reply; true when it changed. */
  setSockets(list: JsonObject[]): boolean {
    const seen = new Set<number>();
    let changed = false;
    for (const s of list) {
      const fd = Number(s.fd);
      seen.add(fd);
      const address = typeof s.path === "string" ? s.path : `${s.host}:${s.port}`;
      const name = String(s.name ?? "");
      const existing = this.sockets.get(fd);
      if (existing && existing.name === name && existing.address === address) continue;
      changed = true;
      this.sockets.set(fd, { fd, name, address, backlog: num(s.backlog), reads: new Series(WATCHER_SAMPLES) });
    }
    for (const fd of [...this.sockets.keys()]) {
      if (!seen.has(fd)) {
        this.sockets.delete(fd);
        changed = true;
      }
    }
    return changed;
  }

  private openTick(now: number): Tick {
    this.tick ??= { t: now, watchers: new Map(), daemon: null, pids: new Map(), sockets: {} };
    return this.tick;
  }

  /** True when samples are waiting to be sent. */
  get hasTick(): boolean {
    return this.tick !== null;
  }

  /** Hand out what changed since the last call (null when nothing did). */
  takeTick(): Tick | null {
    const t = this.tick;
    this.tick = null;
    return t;
  }

  /**
   * One message of the stats stream. Returns "round" when it ends a round of circus (the circus
   * group or the socket total, sent last by circusd-stats), so the caller can send at once.
   */
  ingestStat(topic: string, payload: unknown, now: number): "sample" | "round" | "ignored" {
    if (typeof payload !== "object" || payload === null) return "ignored";
    const parts = topic.split(".");
    if (parts[0] !== "stat" || parts.length < 2) return "ignored";
    const whole = parts.slice(1).join(".");
    const last = parts[parts.length - 1]!;
    // `stat.web.2` is process 2 of "web" unless a watcher is called "web.2".
    const isProcess = parts.length >= 3 && /^\d+$/.test(last) && !this.names.has(whole);
    const group = isProcess ? parts.slice(1, -1).join(".") : whole;
    const body = payload as Record<string, unknown>;
    if (group === "sockets") {
      if (!isProcess) return "round";
      const s = this.sockets.get(Number(last));
      const reads = num(body.reads);
      if (s && reads !== null) {
        s.reads.push(reads);
        this.openTick(now).sockets[String(s.fd)] = reads;
      }
      return "sample";
    }
    if (group === "circus") {
      if (!isProcess) {
        for (const g of this.circusGroups) this.closeRound(g, null, now);
        return "round";
      }
      const pid = Number(last);
      const role = typeof body.name === "string" ? body.name : null;
      if (role === "circusd" || role === null) {
        this.daemonPid = pid;
        const s = sampleOf(body);
        this.daemonUsage.push(s.cpu, s.rss);
        this.openTick(now).daemon = [s.cpu, s.rss];
        return "sample";
      }
      const name = this.resolveName(role);
      this.circusGroups.add(name);
      this.processSample(name, pid, sampleOf(body), now);
      return "sample";
    }
    const name = this.resolveName(group);
    if (isProcess) {
      this.processSample(name, Number(last), sampleOf(body), now);
      return "sample";
    }
    const pids = Array.isArray(body.pid) ? (body.pid as unknown[]).map(Number) : null;
    this.closeRound(name, pids, now);
    return "sample";
  }

  private processSample(watcher: string, pid: number, sample: Sample, now: number): void {
    let round = this.pending.get(watcher);
    if (!round) {
      round = new Map();
      this.pending.set(watcher, round);
    }
    round.set(pid, sample);
    let p = this.processUsage.get(pid);
    if (!p || p.watcher !== watcher) {
      p = { usage: new UsageSeries(PROCESS_SAMPLES), watcher, seenAt: now };
      this.processUsage.set(pid, p);
    }
    p.usage.push(sample.cpu, sample.rss);
    p.seenAt = now;
    this.openTick(now).pids.set(pid, [sample.cpu, sample.rss, watcher]);
  }

  /** A watcher's round is complete: its usage is the sum over its processes. */
  private closeRound(watcher: string, pids: number[] | null, now: number): void {
    const round = this.pending.get(watcher) ?? new Map<number, Sample>();
    this.pending.delete(watcher);
    const usage = this.watcherUsage.get(watcher);
    if (!usage) return;
    const samples: Sample[] = [];
    for (const pid of pids ?? [...round.keys()]) {
      const s = round.get(pid) ?? lastSample(this.processUsage.get(pid)?.usage);
      if (s) samples.push(s);
    }
    const cpu = sum(samples, "cpu");
    const rss = sum(samples, "rss");
    usage.push(cpu, rss);
    this.openTick(now).watchers.set(watcher, [cpu, rss, samples.length]);
  }

  /**
   * A polled `stats` reply (`infos`: watcher → pid → info) and `dstats` info, when no stream runs:
   * the same samples the stream would have given.
   */
  ingestPolled(infos: Record<string, unknown>, daemon: unknown, now: number): void {
    for (const [listed, perPid] of Object.entries(infos)) {
      const name = this.resolveName(listed);
      if (!this.watcherUsage.has(name) || typeof perPid !== "object" || perPid === null) continue;
      const pids: number[] = [];
      for (const info of Object.values(perPid as Record<string, unknown>)) {
        if (typeof info !== "object" || info === null) continue; // "No such process (stopped?)"
        const pid = Number((info as { pid?: unknown }).pid);
        if (!(pid > 0)) continue;
        pids.push(pid);
        this.processSample(name, pid, sampleOf(info), now);
      }
      this.closeRound(name, pids, now);
    }
    if (typeof daemon === "object" && daemon !== null) {
      const pid = Number((daemon as { pid?: unknown }).pid);
      if (pid > 0) this.daemonPid = pid;
      const s = sampleOf(daemon);
      this.daemonUsage.push(s.cpu, s.rss);
      this.openTick(now).daemon = [s.cpu, s.rss];
    }
  }

  /** Forget process series that stopped receiving samples. */
  pruneProcesses(now: number): void {
    for (const [pid, p] of this.processUsage) if (now - p.seenAt > PROCESS_FORGET_MS) this.processUsage.delete(pid);
  }

  /** Replace a watcher's process rows with a `stats <name>` reply's `info` (pid → info). */
  setProcesses(name: string, info: unknown): ProcessRow[] {
    const rows: ProcessRow[] = [];
    if (typeof info === "object" && info !== null) {
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        const i = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
        const pid = Number(i.pid ?? key);
        if (!(pid > 0)) continue;
        const s = sampleOf(i);
        rows.push({ pid, wid: num(i.wid), started: num(i.started) ?? num(i.create_time), cpu: s.cpu, rss: s.rss });
      }
    }
    rows.sort((a, b) => (a.wid ?? a.pid) - (b.wid ?? b.pid) || a.pid - b.pid);
    this.processes.set(name, rows);
    return rows;
  }

  /** Record a pub/sub event (`watcher.<name>.<event>`); returns it, or null for other topics. */
  addEvent(topic: string, payload: unknown, now: number): FeedEvent | null {
    const parts = topic.split(".");
    if (parts[0] !== "watcher" || parts.length < 3) return null;
    const watcher = this.resolveName(parts.slice(1, -1).join("."));
    let detail: JsonObject = {};
    let time = now;
    if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) {
      const entries = Object.entries(payload as JsonObject);
      const at = entries.find(([k]) => k === "time")?.[1];
      if (typeof at === "number") time = Math.round(at * 1000);
      // fromEntries defines own keys: a payload key named __proto__ stays a key.
      detail = Object.fromEntries(
        entries.filter(([k, v]) => !(k === "time" && typeof v === "number")).map(([k, v]) => [k, clipJson(v)]),
      );
    } else if (payload !== undefined && payload !== "") detail.payload = clipJson(payload as Json);
    const event: FeedEvent = { time, watcher, event: parts[parts.length - 1]!, detail };
    pushCapped(this.feed, event, FEED_SIZE);
    let own = this.watcherFeed.get(watcher);
    if (!own) {
      own = [];
      this.watcherFeed.set(watcher, own);
    }
    pushCapped(own, event, WATCHER_FEED_SIZE);
    return event;
  }
}

function lastSample(usage: UsageSeries | undefined): Sample | null {
  return usage ? { cpu: usage.cpu.last(), rss: usage.rss.last() } : null;
}

function pushCapped<T>(list: T[], item: T, cap: number): void {
  list.push(item);
  if (list.length > cap) list.splice(0, list.length - cap);
}

/** Long strings in event payloads (hook errors) are cut so one event cannot bloat every snapshot. */
function clipJson(v: Json): Json {
  if (typeof v === "string") return v.length > 500 ? `${v.slice(0, 500)}…` : v;
  if (Array.isArray(v)) return v.slice(0, 50).map(clipJson);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .slice(0, 50)
        .map(([k, x]) => [k, clipJson(x)]),
    );
  }
  return v;
}
