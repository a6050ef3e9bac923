// StatsdEmitter (circus.plugins.statsd.StatsdEmitter): a statsd counter per event,
// `circus.<application_name>.watcher.<watcher>.<action>`; and the base of the statsd "observers" that
// look after something every `loop_rate` seconds (FullStats, HttpObserver, RedisObserver, ResourceWatcher).

import { float, int, text } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option, type ValuesOf } from "../../config/options/spec.ts";
import type { EventTopic } from "../events.ts";
import { CircusPlugin, PERIOD, type PluginContext } from "../plugin.ts";
import { StatsdClient } from "../statsd-client.ts";

export const STATSD_OPTIONS = {
  host: option(text, { default: "localhost", doc: "statsd server: host name or address" }),
  port: option(int, { default: 8125, range: { min: 1, text: "a port from 1" }, doc: "statsd server UDP port" }),
  sample_rate: option(float, {
    default: 1.0,
    range: { min: 0, text: "a rate of 0 or more" },
    doc: "sample rate written on counters (`|@rate` when not 1); every event is still sent",
  }),
  application_name: option(text, { default: "app", doc: "bucket prefix: `circus.<application_name>.watcher.…`" }),
};

/** The statsd options with an observer's application name and its period. */
export function observerOptions(applicationName: string) {
  return {
    ...STATSD_OPTIONS,
    application_name: { ...STATSD_OPTIONS.application_name, default: applicationName },
    loop_rate: option(float, { default: 60, range: PERIOD, doc: "seconds between two checks" }),
  };
}

type StatsdValues = ValuesOf<typeof STATSD_OPTIONS>;

function statsdFor(options: StatsdValues, context: PluginContext): StatsdClient {
  return new StatsdClient({
    host: options.host,
    port: options.port,
    prefix: `circus.${options.application_name}.watcher`,
    sampleRate: options.sample_rate,
    logger: context.logger,
  });
}

/** Sends a counter `<watcher>.<action>` for every event. */
export class StatsdEmitter extends CircusPlugin<typeof STATSD_OPTIONS> {
  static override pluginName = "statsd";
  static override options: PluginOptionTable = STATSD_OPTIONS;
  protected readonly statsd: StatsdClient;

  constructor(context: PluginContext<typeof STATSD_OPTIONS>) {
    super(context);
    this.statsd = statsdFor(this.options, context);
  }

  override async handleInit(): Promise<void> {
    await this.statsd.open();
  }

  override handleRecv(topic: EventTopic): void {
    this.statsd.increment(`${topic.watcher}.${topic.action}`);
  }

  override handleStop(): void {
    this.statsd.close();
  }
}

type ObserverSpec = ReturnType<typeof observerOptions>;

/** A plugin that reports to statsd and runs `lookAfter()` every `loop_rate` seconds; events are ignored. */
export abstract class StatsdObserver<S extends PluginOptionTable> extends CircusPlugin<S> {
  protected readonly statsd: StatsdClient;
  private readonly loopRate: number;

  constructor(context: PluginContext<S>) {
    super(context);
    // Every observer spec extends observerOptions(); read those keys through that type.
    const common = this.options as unknown as ValuesOf<ObserverSpec>;
    this.statsd = statsdFor(common, context as PluginContext);
    this.loopRate = common.loop_rate;
  }

  override async handleInit(): Promise<void> {
    await this.statsd.open();
    this.every(this.loopRate, () => this.lookAfter());
  }

  override handleStop(): void {
    this.statsd.close();
  }

  /** One check; runs are never concurrent. */
  protected abstract lookAfter(): void | Promise<void>;
}
