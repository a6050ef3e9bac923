// FullStats (circus.plugins.statsd.FullStats): every `loop_rate` seconds, `stats` of every watcher as
// statsd gauges `_stats.<watcher>.{watchers_num,cpu_max,cpu_sum,mem_pct_max,mem_pct_sum,mem_max,mem_sum}`.

import { infoBytes } from "../../stats/format.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { StatsdObserver, observerOptions } from "./statsd.ts";

export const FULL_STATS_OPTIONS = observerOptions("app");

type Info = Record<string, unknown>;

/** Numbers only: a process whose figure is "N/A" is left out of that figure (Circus would fail the loop). */
function numbers(values: unknown[]): number[] {
  return values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export class FullStats extends StatsdObserver<typeof FULL_STATS_OPTIONS> {
  static override pluginName = "full_stats";
  static override options: PluginOptionTable = FULL_STATS_OPTIONS;

  protected override async lookAfter(): Promise<void> {
    let reply: Record<string, unknown>;
    try {
      reply = await this.call("stats");
    } catch (err) {
      this.logger.warning(`stats: ${(err as Error).message}`);
      reply = { status: "error" };
    }
    if (reply.status === "error") {
      this.statsd.increment("_stats.error");
      return;
    }
    const infos = (reply.infos ?? {}) as Record<string, Record<string, unknown>>;
    for (const [name, processes] of Object.entries(infos)) {
      if (name.startsWith("plugin:")) continue;
      const live = Object.values(processes).filter((p): p is Info => typeof p === "object" && p !== null);
      const spawnCount = processes.spawn_count;
      if (typeof spawnCount === "number") this.statsd.gauge(`_stats.${name}.spawn_count`, spawnCount);
      this.statsd.gauge(`_stats.${name}.watchers_num`, live.length);
      if (live.length === 0) continue;
      const cpus = numbers(live.map((p) => p.cpu));
      const mems = numbers(live.map((p) => p.mem));
      const bytes = live.map((p) => infoBytes(p.mem_info1)).filter((b): b is number => b !== null);
      if (cpus.length) {
        this.statsd.gauge(`_stats.${name}.cpu_max`, Math.max(...cpus));
        this.statsd.gauge(`_stats.${name}.cpu_sum`, sum(cpus));
      }
      if (mems.length) {
        this.statsd.gauge(`_stats.${name}.mem_pct_max`, Math.max(...mems));
        this.statsd.gauge(`_stats.${name}.mem_pct_sum`, sum(mems));
      }
      if (bytes.length) {
        this.statsd.gauge(`_stats.${name}.mem_max`, Math.max(...bytes));
        this.statsd.gauge(`_stats.${name}.mem_sum`, sum(bytes));
      }
    }
  }
}
