// Prometheus (ours; `use = prometheus`): serves the daemon's watchers, processes and its own figures in
// the Prometheus text format at http://host:port/path. Run from a config, the daemon binds the listening
// socket and passes it (`--fd`), so a restart of the plugin never meets EADDRINUSE (decisions §5).

import type { EventTopic, WatcherEventData } from "../events.ts";
import { EXPOSITION_CONTENT_TYPE } from "../exposition.ts";
import { listenHttp, type HttpListener } from "../http-listener.ts";
import { int, text } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option, type ValuesOf } from "../../config/options/spec.ts";
import { CircusPlugin, type ListenAddress, PORT } from "../plugin.ts";
import { Collector, EventCounters } from "./prometheus-metrics.ts";

export const PROMETHEUS_OPTIONS = {
  host: option(text, { default: "127.0.0.1", doc: "address to serve on (`0.0.0.0` for every interface)" }),
  port: option(int, { default: 9180, range: PORT, doc: "TCP port to serve on" }),
  path: option(text, { default: "/metrics", doc: "URL path of the metrics" }),
};

export class Prometheus extends CircusPlugin<typeof PROMETHEUS_OPTIONS> {
  static override pluginName = "prometheus";
  static override options: PluginOptionTable = PROMETHEUS_OPTIONS;
  readonly counters = new EventCounters();
  private readonly collector = new Collector((command, props) => this.call(command, props), this.counters);
  private listener: HttpListener | null = null;

  static listenAddress(options: Record<string, unknown>): ListenAddress {
    const o = options as ValuesOf<typeof PROMETHEUS_OPTIONS>;
    return { type: "tcp", host: o.host, port: o.port };
  }

  /** The port served (null when the daemon passed the socket). */
  get port(): number | null {
    return this.listener?.port ?? null;
  }

  override handleInit(): void {
    const path = this.options.path.startsWith("/") ? this.options.path : `/${this.options.path}`;
    this.listener = listenHttp({
      fd: this.listenFd,
      hostname: this.options.host,
      port: this.options.port,
      logger: this.logger,
      handler: async (_method, requested) => {
        if (requested === path)
          return {
            status: 200,
            headers: { "Content-Type": EXPOSITION_CONTENT_TYPE },
            body: await this.collector.scrape(),
          };
        if (requested === "/")
          return { status: 200, headers: { "Content-Type": "text/plain" }, body: `circus metrics: ${path}\n` };
        return { status: 404, headers: { "Content-Type": "text/plain" }, body: "not found\n" };
      },
    });
    this.logger.info(
      this.listenFd !== null
        ? `serving metrics on the daemon's socket (fd ${this.listenFd}) at ${path}`
        : `serving metrics at http://${this.options.host}:${this.listener.port}${path}`,
    );
  }

  override handleRecv(topic: EventTopic, event: WatcherEventData): void {
    this.counters.handle(topic, event);
  }

  /** One scrape's text, as served (tests and benchmarks). */
  scrape(): Promise<string> {
    return this.collector.scrape();
  }

  override handleStop(): void {
    this.listener?.stop();
    this.listener = null;
  }
}
