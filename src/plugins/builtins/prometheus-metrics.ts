// What the Prometheus plugin exports: the metric families (README's table is generated from METRICS),
// counters kept from the event stream, and one scrape of the daemon's state.

import { infoBytes } from "../../stats/format.ts";
import { bootTimeSeconds, CLOCK_TICKS, releaseProcFiles, sampleStat } from "../../os/proc.ts";
import type { JsonObject, Reply } from "../../protocol/command.ts";
import type { EventTopic, WatcherEventData } from "../events.ts";
import { ExpositionWriter, type MetricFamily } from "../exposition.ts";

export const METRICS = {
  up: { name: "circus_daemon_up", type: "gauge", help: "1 when the daemon answered this scrape, else 0" },
  watchers: { name: "circus_daemon_watchers", type: "gauge", help: "Watchers the daemon runs (plugins included)" },
  daemonCpu: {
    name: "circus_daemon_cpu_seconds_total",
    type: "counter",
    help: "CPU time (user + system) used by the daemon",
  },
  daemonMemory: {
    name: "circus_daemon_resident_memory_bytes",
    type: "gauge",
    help: "Resident memory of the daemon",
  },
  daemonUptime: { name: "circus_daemon_uptime_seconds", type: "gauge", help: "Seconds since the daemon started" },
  wanted: {
    name: "circus_watcher_processes_wanted",
    labels: ["watcher"],
    type: "gauge",
    help: "Processes the watcher should run (numprocesses)",
  },
  running: {
    name: "circus_watcher_processes_running",
    labels: ["watcher"],
    type: "gauge",
    help: "Processes the watcher runs now",
  },
  status: {
    name: "circus_watcher_status",
    labels: ["watcher", "status"],
    type: "gauge",
    help: "1 for the watcher's current status (active, stopped, starting, stopping), 0 for the others",
  },
  spawns: {
    name: "circus_watcher_spawns_total",
    labels: ["watcher"],
    type: "counter",
    help: "Processes spawned since the plugin started",
  },
  deaths: {
    name: "circus_watcher_deaths_total",
    labels: ["watcher", "cause"],
    type: "counter",
    help: "Processes that exited, by cause (crash, exit, stop, kill, signal, max_age, reload, spawn_failed): the daemon's counts since the watcher was created, or from the events since the plugin started",
  },
  restarts: {
    name: "circus_watcher_restarts_total",
    labels: ["watcher"],
    type: "counter",
    help: "Processes respawned after dying on their own (cause crash or exit): the daemon's count, or from the events since the plugin started",
  },
  cpu: {
    name: "circus_process_cpu_seconds_total",
    labels: ["watcher", "pid", "wid"],
    type: "counter",
    help: "CPU time (user + system) used by the process",
  },
  cpuPercent: {
    name: "circus_process_cpu_percent",
    labels: ["watcher", "pid", "wid"],
    type: "gauge",
    help: "CPU use of the process in % of one core (only when the daemon runs on another host)",
  },
  memory: {
    name: "circus_process_resident_memory_bytes",
    labels: ["watcher", "pid", "wid"],
    type: "gauge",
    help: "Resident memory of the process",
  },
  virtualMemory: {
    name: "circus_process_virtual_memory_bytes",
    labels: ["watcher", "pid", "wid"],
    type: "gauge",
    help: "Virtual memory size of the process",
  },
  uptime: {
    name: "circus_process_uptime_seconds",
    labels: ["watcher", "pid", "wid"],
    type: "gauge",
    help: "Seconds since the process was spawned",
  },
  scrape: {
    name: "circus_scrape_duration_seconds",
    type: "gauge",
    help: "Time the plugin took to collect this scrape",
  },
} as const satisfies Record<string, MetricFamily>;

const STATUSES = ["active", "stopped", "starting", "stopping"];
/** Up to this many new processes in a watcher are asked about one by one, beyond it all at once. */
const FEW_NEW_PROCESSES = 16;

/** Topic spelling of a watcher name: lower-cased, spaces as `_` (the `watcher` label everywhere). */
export function topicName(name: string): string {
  return name.toLowerCase().replace(/ /g, "_");
}

interface WatcherCounters {
  spawns: number;
  deaths: Map<string, number>;
  restarts: number;
  /** Deaths on their own not yet followed by a respawn. */
  unplannedDeaths: number;
  /** Pids the daemon signalled (kill events): their reap is a stop, for daemons that send no `reason`. */
  signalled: Set<number>;
}

/** Counters built from the event stream (spawns, deaths by cause, restarts). */
export class EventCounters {
  readonly watchers = new Map<string, WatcherCounters>();

  private of(watcher: string): WatcherCounters {
    let c = this.watchers.get(watcher);
    if (!c) {
      c = { spawns: 0, deaths: new Map(), restarts: 0, unplannedDeaths: 0, signalled: new Set() };
      this.watchers.set(watcher, c);
    }
    return c;
  }

  handle(topic: EventTopic, event: WatcherEventData): void {
    const pid = typeof event.process_pid === "number" ? event.process_pid : null;
    switch (topic.action) {
      case "spawn": {
        const c = this.of(topic.watcher);
        c.spawns += 1;
        if (c.unplannedDeaths > 0) {
          c.unplannedDeaths -= 1;
          c.restarts += 1;
        }
        return;
      }
      case "kill":
        if (pid !== null) this.of(topic.watcher).signalled.add(pid);
        return;
      case "reap": {
        const c = this.of(topic.watcher);
        const cause = causeOf(event, pid !== null && c.signalled.has(pid));
        if (pid !== null) c.signalled.delete(pid);
        c.deaths.set(cause, (c.deaths.get(cause) ?? 0) + 1);
        if (cause === "crash" || cause === "exit") c.unplannedDeaths += 1;
        return;
      }
      case "stop":
        // A stopped watcher respawns nothing: deaths before it are not waiting for a restart.
        this.of(topic.watcher).unplannedDeaths = 0;
        return;
      case "remove":
        this.watchers.delete(topic.watcher);
        return;
    }
  }
}

/**
 * The cause of a death: the daemon's `reason` (decisions §2), else (older daemons) `stop` when the
 * daemon had signalled the process, `exit` for status 0 and `crash` otherwise.
 */
export function causeOf(event: WatcherEventData, signalledByDaemon: boolean): string {
  if (typeof event.reason === "string" && event.reason !== "") return event.reason;
  if (signalledByDaemon) return "stop";
  return event.exit_code === 0 ? "exit" : "crash";
}

/** What our daemon's `status` reply says of a watcher's exits (`details`). */
interface DaemonExitCounts {
  exits?: Record<string, number>;
  restarts?: number;
}

/** The control channel calls a scrape needs. */
export type Call = (command: string, properties?: JsonObject) => Promise<Reply>;

interface ProcessEntry {
  wid: number | null;
}

interface ProcessFigures {
  cpuSeconds: number | null;
  cpuPercent: number | null;
  rss: number | null;
  vsize: number | null;
  uptime: number | null;
}

/** Collects one scrape: daemon state over the control channel, per-process figures from /proc when local. */
export class Collector {
  /** Known processes per watcher (pid → wid), refreshed with `stats <watcher>` when new pids appear. */
  private readonly known = new Map<string, Map<number, ProcessEntry>>();
  private local: { pid: number; startTicks: number } | null = null;

  constructor(
    private readonly call: Call,
    private readonly counters: EventCounters,
  ) {}

  async scrape(): Promise<string> {
    const started = performance.now();
    const out = new ExpositionWriter();
    let statuses: Record<string, string>;
    let details: Record<string, DaemonExitCounts>;
    let daemonInfo: Record<string, unknown>;
    try {
      const [status, dstats] = await Promise.all([this.call("status"), this.call("dstats")]);
      statuses = (status.statuses ?? {}) as Record<string, string>;
      // Our daemon counts every exit by reason, including those it reports without a reap event
      // (decr, reload, kill, max_age, as circusd does); a real circusd sends no `details`.
      details = (status.details ?? {}) as Record<string, DaemonExitCounts>;
      daemonInfo = (dstats.info ?? {}) as Record<string, unknown>;
    } catch {
      out.sample(METRICS.up, null, 0);
      out.sample(METRICS.scrape, null, (performance.now() - started) / 1000);
      return out.text();
    }
    const names = Object.keys(statuses).sort();
    const local = this.isLocal(daemonInfo);
    const watchers = await Promise.all(names.map((name) => this.watcher(name, local)));

    out.sample(METRICS.up, null, 1);
    out.sample(METRICS.watchers, null, names.length);
    this.daemonFigures(out, daemonInfo, local);

    const labels = names.map((n) => ({ watcher: topicName(n) }));
    for (const [i, w] of watchers.entries()) out.sample(METRICS.wanted, labels[i]!, w.wanted);
    for (const [i, w] of watchers.entries()) out.sample(METRICS.running, labels[i]!, w.processes.length);
    for (const [i, name] of names.entries()) {
      const current = statuses[name]!;
      const all = STATUSES.includes(current) ? STATUSES : [...STATUSES, current];
      for (const s of all) out.sample(METRICS.status, { ...labels[i]!, status: s }, s === current ? 1 : 0);
    }
    const counters = labels.map((l) => this.counters.watchers.get(l.watcher));
    for (const [i, c] of counters.entries()) out.sample(METRICS.spawns, labels[i]!, c?.spawns ?? 0);
    out.begin(METRICS.deaths);
    for (const [i, c] of counters.entries()) {
      const counted = details[names[i]!]?.exits;
      const deaths = counted ? Object.entries(counted) : [...(c?.deaths ?? [])];
      for (const [cause, n] of deaths.sort()) out.sample(METRICS.deaths, { ...labels[i]!, cause }, n);
    }
    for (const [i, c] of counters.entries()) {
      const counted = details[names[i]!]?.restarts;
      out.sample(METRICS.restarts, labels[i]!, typeof counted === "number" ? counted : (c?.restarts ?? 0));
    }

    const perProcess: [keyof typeof METRICS, keyof ProcessFigures][] = local
      ? [
          ["cpu", "cpuSeconds"],
          ["memory", "rss"],
          ["virtualMemory", "vsize"],
          ["uptime", "uptime"],
        ]
      : [
          ["cpuPercent", "cpuPercent"],
          ["memory", "rss"],
          ["uptime", "uptime"],
        ];
    for (const [metric, field] of perProcess) {
      out.begin(METRICS[metric]);
      for (const [i, w] of watchers.entries()) {
        for (const p of w.processes) {
          const value = p.figures[field];
          if (value === null) continue;
          const l = { watcher: labels[i]!.watcher, pid: String(p.pid), wid: p.wid === null ? "" : String(p.wid) };
          out.sample(METRICS[metric], l, value);
        }
      }
    }
    out.sample(METRICS.scrape, null, (performance.now() - started) / 1000);
    return out.text();
  }

  /** True when the daemon runs on this host: its pid here has the start time it reports. */
  private isLocal(info: Record<string, unknown>): boolean {
    const pid = Number(info.pid);
    if (!Number.isInteger(pid)) return false;
    if (this.local?.pid === pid) return sampleStat(pid)?.startTicks === this.local.startTicks;
    const stat = sampleStat(pid);
    const created = Number(info.create_time);
    if (!stat || !Number.isFinite(created)) return false;
    if (Math.abs(bootTimeSeconds() + stat.startTicks / CLOCK_TICKS - created) > 2) return false;
    this.local = { pid, startTicks: stat.startTicks };
    return true;
  }

  private daemonFigures(out: ExpositionWriter, info: Record<string, unknown>, local: boolean): void {
    const stat = local ? sampleStat(Number(info.pid)) : null;
    if (stat) {
      out.sample(METRICS.daemonCpu, null, stat.cpuTicks / CLOCK_TICKS);
      out.sample(METRICS.daemonMemory, null, stat.rss);
      out.sample(METRICS.daemonUptime, null, uptimeOf(stat.startTicks));
      return;
    }
    const rss = infoBytes(info.mem_info1);
    if (rss !== null) out.sample(METRICS.daemonMemory, null, rss);
    if (typeof info.create_time === "number")
      out.sample(METRICS.daemonUptime, null, Date.now() / 1000 - info.create_time);
  }

  /** One watcher's wanted count and its processes with their figures. */
  private async watcher(name: string, local: boolean) {
    const [get, list] = await Promise.all([
      this.call("get", { name, keys: ["numprocesses"] }),
      this.call("list", { name }),
    ]);
    const wanted = Number(((get.options ?? {}) as Record<string, unknown>).numprocesses ?? 0);
    const pids = ((list.pids ?? []) as number[]).slice().sort((a, b) => a - b);
    const known = this.known.get(name) ?? new Map<number, ProcessEntry>();
    this.known.set(name, known);
    const live = new Set(pids);
    for (const pid of known.keys())
      if (!live.has(pid)) {
        known.delete(pid);
        releaseProcFiles(pid);
      }
    let infos: Record<string, Record<string, unknown>> | null = null;
    const unknown = pids.filter((pid) => !known.has(pid));
    if (!local || unknown.length > FEW_NEW_PROCESSES) {
      const stats = await this.call("stats", { name });
      infos = (stats.info ?? {}) as Record<string, Record<string, unknown>>;
    } else if (unknown.length > 0) {
      // A few respawns: ask about them alone rather than make the daemon sample the whole watcher.
      const replies = await Promise.all(unknown.map((pid) => this.call("stats", { name, process: pid })));
      infos = {};
      for (const r of replies)
        if (typeof r.process === "number") infos[String(r.process)] = r.info as Record<string, unknown>;
    }
    for (const [pid, info] of Object.entries(infos ?? {})) {
      if (typeof info !== "object" || info === null) continue;
      known.set(Number(pid), { wid: typeof info.wid === "number" ? info.wid : null });
    }
    const processes = pids.map((pid) => ({
      pid,
      wid: known.get(pid)?.wid ?? null,
      figures: local ? localFigures(pid) : remoteFigures(infos?.[String(pid)]),
    }));
    return { wanted: Number.isFinite(wanted) ? wanted : 0, processes };
  }
}

function uptimeOf(startTicks: number): number {
  return Math.max(0, Date.now() / 1000 - (bootTimeSeconds() + startTicks / CLOCK_TICKS));
}

const NONE: ProcessFigures = { cpuSeconds: null, cpuPercent: null, rss: null, vsize: null, uptime: null };

function localFigures(pid: number): ProcessFigures {
  const stat = sampleStat(pid);
  if (!stat) return NONE;
  return {
    cpuSeconds: stat.cpuTicks / CLOCK_TICKS,
    cpuPercent: null,
    rss: stat.rss,
    vsize: stat.vsize,
    uptime: uptimeOf(stat.startTicks),
  };
}

/** From a `stats` info object (the daemon on another host): memory is rounded as Circus prints it. */
function remoteFigures(info: Record<string, unknown> | undefined): ProcessFigures {
  if (typeof info !== "object" || info === null) return NONE;
  return {
    cpuSeconds: null,
    cpuPercent: typeof info.cpu === "number" ? info.cpu : null,
    rss: infoBytes(info.mem_info1),
    vsize: null,
    uptime: typeof info.age === "number" ? info.age : null,
  };
}
