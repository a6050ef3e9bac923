// Runs one plugin: parse its options, connect the control channel and the event subscription, deliver
// events one at a time, and stop cleanly (handleStop, timers cancelled, sockets closed).

import { deferred, settlesWithin, whenAborted } from "../util/async.ts";
import type { Logger } from "../util/log.ts";
import {
  CircusClient,
  type CircusEvent,
  type ClientCurveKeys,
  subscribe,
  type Subscription,
} from "../protocol/client.ts";
import { eventData, splitTopic } from "./events.ts";
import { type PluginOptionTable, readPluginOptions } from "../config/options/plugin.ts";
import {
  COMMON_OPTIONS,
  errorText,
  type CircusPlugin,
  type PluginClass,
  type PluginContext,
  type PluginOptions,
} from "./plugin.ts";

export interface RunPluginOptions {
  endpoint: string;
  pubsubEndpoint: string;
  checkDelay: number;
  /** Options as strings (config file values or `--config` items). */
  config: Record<string, string>;
  logger: Logger;
  /** An inherited listening socket for the plugin, or null. */
  listenFd?: number | null;
  /** Aborted when the plugin must stop (signals); the plugin can also stop itself. */
  stop: AbortSignal;
  /** Warn about option keys the table does not know (built-ins; user plugins may read any key from `config`). */
  warnUnknown?: boolean;
  /** Called once the plugin is connected and initialised (tests, benchmarks). */
  onReady?: (plugin: CircusPlugin) => void;
  /** Keys for a daemon whose endpoints speak CURVE (the daemon gives its plugins its internal key). */
  curve?: ClientCurveKeys;
}

/** The table a plugin class reads its options by: its own plus `active`. */
export function optionTableOf(cls: PluginClass): PluginOptionTable {
  return { ...COMMON_OPTIONS, ...cls.options };
}

/** The plugin's options are invalid; every problem is in the message. */
export class PluginOptionsError extends Error {
  override readonly name = "PluginOptionsError";
}

/** Read options for `cls`: problems throw PluginOptionsError; unknown keys are logged when `warnUnknown`. */
export function pluginOptions(cls: PluginClass, config: Record<string, string>, logger: Logger, warnUnknown: boolean) {
  const parsed = readPluginOptions(optionTableOf(cls), config);
  if (parsed.problems.length > 0)
    throw new PluginOptionsError(parsed.problems.map((p) => `${p.key}: ${p.message}`).join("; "));
  if (warnUnknown)
    for (const u of parsed.unknown)
      logger.warning(
        `unknown option ${JSON.stringify(u.key)} ignored${u.near ? `; did you mean ${JSON.stringify(u.near)}?` : ""}`,
      );
  // optionTableOf always holds COMMON_OPTIONS, so `active` is there.
  return parsed.values as PluginOptions<PluginOptionTable>;
}

/** Run `cls` until `stop` aborts or the plugin stops itself; resolves with the exit status. */
export async function runPlugin(cls: PluginClass, opts: RunPluginOptions): Promise<number> {
  const log = opts.logger;
  const values = pluginOptions(cls, opts.config, log, opts.warnUnknown ?? false);
  const client = new CircusClient({ endpoint: opts.endpoint, curve: opts.curve });
  const stopped = deferred();
  const Plugin = cls as unknown as new (context: PluginContext) => CircusPlugin;
  const plugin = new Plugin({
    endpoint: opts.endpoint,
    pubsubEndpoint: opts.pubsubEndpoint,
    checkDelay: opts.checkDelay,
    config: opts.config,
    options: values,
    logger: log,
    channel: client,
    listenFd: opts.listenFd ?? null,
    requestStop: () => stopped.resolve(),
  });
  if (!plugin.active) {
    log.info("the plugin is not active (active = false): not starting");
    await client.close();
    return 0;
  }

  let subscription: Subscription | null = null;
  let status = 0;
  try {
    await plugin.handleInit();
    subscription = subscribe(opts.pubsubEndpoint, ["watcher."], eventDispatcher(plugin, log), {
      curve: opts.curve,
    });
    // "Starting" (and onReady) once the daemon has our subscription, so no event published after that
    // line is missed; a daemon not publishing yet only delays the line, by checkDelay at the most.
    const live = await settlesWithin(subscription.ready, Math.max(1, opts.checkDelay) * 1000);
    if (!live)
      log.warning(`no answer yet from the pub/sub endpoint ${opts.pubsubEndpoint}; events will arrive once it does`);
    log.info("Starting");
    opts.onReady?.(plugin);
    await Promise.race([stopped.promise, whenAborted(opts.stop)]);
  } catch (err) {
    log.error(`the plugin failed: ${errorText(err)}`);
    status = 1;
  }
  log.info("Stopping");
  await subscription?.close();
  try {
    await plugin.handleStop();
  } catch (err) {
    log.error(`handleStop failed: ${errorText(err)}`);
  }
  plugin.cancelTimers();
  await client.close();
  return status;
}

/** Deliver events to handleRecv in order, one at a time; a sync handler runs without any promise in between. */
function eventDispatcher(plugin: CircusPlugin, log: Logger): (event: CircusEvent) => void {
  const queue: CircusEvent[] = [];
  let draining = false;
  const drain = async () => {
    draining = true;
    while (queue.length > 0) {
      const event = queue.shift()!;
      const topic = splitTopic(event.topic);
      if (!topic) continue;
      try {
        const result = plugin.handleRecv(topic, eventData(event.payload, event.raw));
        if (result instanceof Promise) await result;
      } catch (err) {
        log.error(`handling ${event.topic} failed: ${errorText(err)}`);
      }
    }
    draining = false;
  };
  return (event) => {
    queue.push(event);
    if (!draining) void drain();
  };
}
