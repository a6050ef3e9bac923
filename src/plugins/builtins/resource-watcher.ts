// ResourceWatcher (circus.plugins.resource_watcher.ResourceWatcher): every `loop_rate` seconds read the
// `stats` of one watcher; when its CPU or memory stays out of bounds for more than `max_count` checks in
// a row, restart the watcher (or, with `process_children`, signal just the offending child process).

import { human2bytes } from "../../config/scalars.ts";
import { type Amount, amount, bool, float, int, optional, signal, text } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option } from "../../config/options/spec.ts";
import { SIGTERM } from "../../os/signals.ts";
import { StatsdObserver, observerOptions } from "./statsd.ts";

const PERCENT = { min: 0, text: "a percentage of 0 or more" };

export const RESOURCE_WATCHER_OPTIONS = {
  ...observerOptions("app"),
  watcher: option(text, {
    default: "",
    required: true,
    aliases: ["service"],
    doc: "the watcher to look after (`service` is Circus's deprecated name for it)",
  }),
  max_cpu: option(float, { default: 90, range: PERCENT, doc: "highest CPU % of one process; 0 = no limit" }),
  min_cpu: option(optional(float), {
    default: null,
    range: PERCENT,
    doc: "lowest CPU % of one process (at or below is too low)",
  }),
  max_mem: option(amount, {
    default: { kind: "percent", value: 90 },
    doc: "highest memory of one process: a % of RAM (`90`) or a size (`200M`, `1.5G`; powers of 1024)",
  }),
  min_mem: option(optional(amount), { default: null, doc: "lowest memory of one process, % or size as max_mem" }),
  health_threshold: option(float, {
    default: 75,
    range: PERCENT,
    doc: "highest average of max CPU % and max memory %; 0 = off",
  }),
  max_count: option(int, {
    default: 3,
    range: { min: 0, text: "0 or more checks" },
    doc: "bad checks in a row tolerated; one more acts",
  }),
  process_children: option(bool, {
    default: false,
    doc: "also check each child process of the workers and signal an offending child alone",
  }),
  child_signal: option(signal, { default: SIGTERM, doc: "signal sent to an offending child process" }),
};

interface Figures {
  maxCpu: number;
  minCpu: number;
  maxMem: number;
  minMem: number;
  maxBytes: number;
  minBytes: number;
}

const CONDITIONS = ["over_cpu", "under_cpu", "over_memory", "under_memory", "over_health"] as const;
type Condition = (typeof CONDITIONS)[number];
type Counts = Record<Condition, number>;

type Info = Record<string, unknown>;

const zeroCounts = (): Counts => ({ over_cpu: 0, under_cpu: 0, over_memory: 0, under_memory: 0, over_health: 0 });

/** Circus's rules for unreadable figures: "N/A" CPU or memory % counts as 100, N/A size as 0. */
function figuresOf(infos: Info[]): Figures {
  if (infos.length === 0) return { maxCpu: 0, minCpu: 0, maxMem: 0, minMem: 0, maxBytes: 0, minBytes: 0 };
  const pct = (v: unknown) => (typeof v === "number" ? v : Number.isFinite(Number(v)) ? Number(v) : 100);
  const bytes = (v: unknown) => {
    try {
      return typeof v === "string" ? human2bytes(v) : 0;
    } catch {
      return 0;
    }
  };
  const cpus = infos.map((i) => pct(i.cpu));
  const mems = infos.map((i) => pct(i.mem));
  const sizes = infos.map((i) => bytes(i.mem_info1));
  return {
    maxCpu: Math.max(...cpus),
    minCpu: Math.min(...cpus),
    maxMem: Math.max(...mems),
    minMem: Math.min(...mems),
    maxBytes: Math.max(...sizes),
    minBytes: Math.min(...sizes),
  };
}

function over(limit: Amount, f: Figures): boolean {
  return limit.kind === "percent" ? f.maxMem > limit.value : f.maxBytes > limit.value;
}

function under(limit: Amount, f: Figures): boolean {
  return limit.kind === "percent" ? f.minMem < limit.value : f.minBytes < limit.value;
}

export class ResourceWatcher extends StatsdObserver<typeof RESOURCE_WATCHER_OPTIONS> {
  static override pluginName = "resource_watcher";
  static override options: PluginOptionTable = RESOURCE_WATCHER_OPTIONS;
  /** Consecutive bad checks: "parent" for the watcher as a whole, else per child pid. */
  private readonly counts = new Map<string, Counts>();

  private bucket(name: string): string {
    return `_resource_watcher.${this.options.watcher}.${name}`;
  }

  protected override async lookAfter(): Promise<void> {
    const name = this.options.watcher;
    let reply: Record<string, unknown>;
    try {
      reply = await this.call("stats", { name });
    } catch (err) {
      this.logger.warning(`stats ${name}: ${(err as Error).message}`);
      reply = { status: "error" };
    }
    if (reply.status === "error") {
      this.statsd.increment(this.bucket("error"));
      return;
    }
    const processes = Object.entries((reply.info ?? {}) as Record<string, unknown>).filter(
      (e): e is [string, Info] => typeof e[1] === "object" && e[1] !== null,
    );
    this.check("parent", figuresOf(processes.map(([, info]) => info)), null);
    if (!this.options.process_children) return;
    const seen = new Set(["parent"]);
    for (const [pid, info] of processes) {
      for (const child of (info.children ?? []) as Info[]) {
        const childPid = String(child.pid);
        seen.add(childPid);
        this.check(childPid, figuresOf([child]), Number(pid));
      }
    }
    for (const key of [...this.counts.keys()]) if (!seen.has(key)) this.counts.delete(key);
  }

  /** Update the counters of `index`; act when one exceeds max_count. `parentPid` is set for a child. */
  private check(index: string, f: Figures, parentPid: number | null): void {
    const o = this.options;
    const counts = this.counts.get(index) ?? zeroCounts();
    this.counts.set(index, counts);
    const bad: Record<Condition, boolean> = {
      over_cpu: o.max_cpu > 0 && f.maxCpu > o.max_cpu,
      under_cpu: o.min_cpu !== null && f.minCpu <= o.min_cpu,
      over_memory: o.max_mem !== null && over(o.max_mem, f),
      under_memory: o.min_mem !== null && under(o.min_mem, f),
      over_health: o.health_threshold > 0 && (f.maxCpu + f.maxMem) / 2 > o.health_threshold,
    };
    for (const c of CONDITIONS) {
      if (bad[c]) {
        this.statsd.increment(this.bucket(c));
        counts[c] += 1;
      } else counts[c] = 0;
    }
    if (Math.max(...CONDITIONS.map((c) => counts[c])) <= o.max_count) return;
    this.statsd.increment(this.bucket("restarting"));
    const why = CONDITIONS.filter((c) => counts[c] > o.max_count).join(", ");
    if (parentPid === null) {
      this.logger.info(`${o.watcher}: ${why} for more than ${o.max_count} checks: restarting it`);
      this.cast("restart", { name: o.watcher });
    } else {
      this.logger.info(`${o.watcher}: child ${index} of ${parentPid}: ${why}: sending signal ${o.child_signal}`);
      this.cast("signal", { name: o.watcher, pid: parentPid, childpid: Number(index), signum: o.child_signal });
    }
    this.counts.set(index, zeroCounts());
  }
}
