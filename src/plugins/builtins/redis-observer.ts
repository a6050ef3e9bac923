// RedisObserver (circus.plugins.redis_observer.RedisObserver): every `loop_rate` seconds read Redis's
// INFO and send Circus's gauges `redis_stats.<key>`; when Redis cannot be reached count an error and,
// if configured, restart a watcher (typically the one running redis-server).

import { float, optionalText, url } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option } from "../../config/options/spec.ts";
import { RedisError, redisInfo } from "../resp.ts";
import { StatsdObserver, observerOptions } from "./statsd.ts";

export const REDIS_OBSERVER_OPTIONS = {
  ...observerOptions("redis_observer"),
  redis_url: option(url(["redis", "rediss", "unix"]), {
    default: "redis://localhost:6379/0",
    doc: "the Redis to check: `redis://[user:password@]host[:port][/db]`, `rediss://…` or `unix:///path`",
  }),
  timeout: option(float, {
    default: 5,
    range: { min: 0, text: "0 or more seconds" },
    doc: "seconds to wait for Redis's answer",
  }),
  restart_on_timeout: option(optionalText, {
    default: null,
    doc: "watcher to restart when Redis cannot be reached",
  }),
};

/**
 * Circus's gauges (RedisObserver.OBSERVE), each read from INFO; Redis ≥ 5 renamed two of them, so the
 * newer field is used when the old one is absent.
 */
export const REDIS_GAUGES: readonly (readonly [gauge: string, renamed?: string])[] = [
  ["pubsub_channels"],
  ["connected_slaves"],
  ["lru_clock"],
  ["connected_clients"],
  ["keyspace_misses"],
  ["used_memory"],
  ["used_memory_peak"],
  ["total_commands_processed"],
  ["used_memory_rss"],
  ["total_connections_received"],
  ["pubsub_patterns"],
  ["used_cpu_sys"],
  ["used_cpu_sys_children"],
  ["blocked_clients"],
  ["used_cpu_user"],
  ["client_biggest_input_buf", "client_recent_max_input_buffer"],
  ["mem_fragmentation_ratio"],
  ["expired_keys"],
  ["evicted_keys"],
  ["client_longest_output_list", "client_recent_max_output_buffer"],
  ["uptime_in_seconds"],
  ["keyspace_hits"],
];

export class RedisObserver extends StatsdObserver<typeof REDIS_OBSERVER_OPTIONS> {
  static override pluginName = "redis_observer";
  static override options: PluginOptionTable = REDIS_OBSERVER_OPTIONS;

  protected override async lookAfter(): Promise<void> {
    let info: Map<string, string>;
    try {
      info = await redisInfo(this.options.redis_url, this.options.timeout * 1000);
    } catch (err) {
      if (!(err instanceof RedisError)) throw err;
      this.logger.warning(err.message);
      this.statsd.increment("redis_stats.error");
      if (this.options.restart_on_timeout) {
        this.cast("restart", { name: this.options.restart_on_timeout });
        this.statsd.increment("redis_stats.restart_on_error");
      }
      return;
    }
    for (const [gauge, renamed] of REDIS_GAUGES) {
      const text = info.get(gauge) ?? (renamed ? info.get(renamed) : undefined);
      const value = Number(text);
      if (text !== undefined && Number.isFinite(value)) this.statsd.gauge(`redis_stats.${gauge}`, value);
    }
  }
}
