// Flapping (circus.plugins.flapping.Flapping): stop a watcher whose processes die `attempts` times
// within `window` seconds, start it again after `retry_in`, give up after `max_retry` tries.
// Each option can be overridden per watcher with `flapping.<option>` in the watcher's section.
//
// Unlike Circus (decisions §2): only deaths the daemon did not cause count, read from the `reason` of
// each reap (`crash`, `exit`); a stop, reload, signal, kill or max_age never does. Against a daemon that
// sends no `reason` every reap counts, as in Circus. The window is the real time between counted reaps
// (Circus subtracted check_delay to make up for its 5 s polling).

import type { Reply } from "../../protocol/command.ts";
import type { EventTopic, WatcherEventData } from "../events.ts";
import { float, int } from "../../config/options/kinds.ts";
import { type PluginOptionTable, readPluginOption } from "../../config/options/plugin.ts";
import { option, type ValuesOf, wireText, type WireValue } from "../../config/options/spec.ts";
import { ScalarError } from "../../config/scalars.ts";
import { CircusPlugin, COMMON_OPTIONS, type PluginTimer } from "../plugin.ts";

const SECONDS = { min: 0, text: "0 or more seconds" };

export const FLAPPING_OPTIONS = {
  attempts: option(int, {
    default: 2,
    range: { min: 1, text: "1 or more deaths" },
    doc: "deaths within `window` that make a watcher flapping",
  }),
  window: option(float, { default: 1, range: SECONDS, doc: "seconds within which `attempts` deaths mean flapping" }),
  retry_in: option(float, {
    default: 7,
    range: SECONDS,
    doc: "seconds to wait before starting a flapping watcher again",
  }),
  max_retry: option(int, {
    default: 5,
    range: { min: -1, text: "-1 (forever) or more" },
    doc: "restarts to try before leaving the watcher stopped; -1 = retry forever",
  }),
  active: {
    ...COMMON_OPTIONS.active,
    doc: "false: the plugin does not run; `flapping.active = false` in a watcher's section exempts that watcher",
  },
};

type FlappingValues = ValuesOf<typeof FLAPPING_OPTIONS>;
type Setting = keyof typeof FLAPPING_OPTIONS;

/** Exit reasons that mean the process died on its own (decisions §2). */
const COUNTED_REASONS = new Set(["crash", "exit"]);

interface WatcherState {
  /** Times (epoch seconds) of the last counted deaths, oldest first, at most `attempts`. */
  deaths: number[];
  tries: number;
  /** Per-watcher `flapping.*` overrides; null until read. */
  overrides: Partial<FlappingValues> | null;
  /** Pending start after `retry_in`, while the watcher is stopped by us. */
  retry: PluginTimer | null;
  /** True from our stop until our start: the stop's own reaps are not deaths. */
  stoppedByUs: boolean;
}

export class Flapping extends CircusPlugin<typeof FLAPPING_OPTIONS> {
  static override pluginName = "flapping";
  static override options: PluginOptionTable = FLAPPING_OPTIONS;
  private readonly watchers = new Map<string, WatcherState>();

  override async handleRecv(topic: EventTopic, event: WatcherEventData): Promise<void> {
    switch (topic.action) {
      case "reap":
        return this.onReap(topic.watcher, event);
      case "updated":
        this.state(topic.watcher).overrides = await this.readOverrides(topic.watcher);
        return;
      case "start":
        // Whoever started it, the stop's reaps are over.
        this.state(topic.watcher).stoppedByUs = false;
        return;
      case "remove":
        this.forget(topic.watcher);
        return;
    }
  }

  override handleStop(): void {
    for (const name of [...this.watchers.keys()]) this.forget(name);
  }

  /** The setting for one watcher: its `flapping.<key>` override, else the plugin's option. */
  setting<K extends Setting>(watcher: string, key: K): FlappingValues[K] {
    const overrides = this.watchers.get(watcher)?.overrides;
    const own = overrides?.[key];
    return own !== undefined ? (own as FlappingValues[K]) : this.options[key];
  }

  private state(watcher: string): WatcherState {
    let s = this.watchers.get(watcher);
    if (!s) {
      s = { deaths: [], tries: 0, overrides: null, retry: null, stoppedByUs: false };
      this.watchers.set(watcher, s);
    }
    return s;
  }

  private forget(watcher: string): void {
    this.watchers.get(watcher)?.retry?.cancel();
    this.watchers.delete(watcher);
  }

  private async onReap(watcher: string, event: WatcherEventData): Promise<void> {
    const reason = typeof event.reason === "string" ? event.reason : null;
    if (reason !== null && !COUNTED_REASONS.has(reason)) return;
    const s = this.state(watcher);
    if (s.stoppedByUs) return;
    if (s.overrides === null) s.overrides = await this.readOverrides(watcher);
    if (!this.setting(watcher, "active")) return;

    const at = typeof event.time === "number" ? event.time : Date.now() / 1000;
    const attempts = this.setting(watcher, "attempts");
    s.deaths.push(at);
    if (s.deaths.length > attempts) s.deaths.splice(0, s.deaths.length - attempts);
    if (s.deaths.length < attempts) return;

    const duration = s.deaths[s.deaths.length - 1]! - s.deaths[0]!;
    if (duration > this.setting(watcher, "window")) {
      // A full window of deaths spread wider than `window`: the watcher is not flapping now.
      s.tries = 0;
      s.deaths.shift();
      return;
    }
    s.deaths = [];
    const maxRetry = this.setting(watcher, "max_retry");
    const name = await this.realName(watcher);
    if (maxRetry === -1 || s.tries < maxRetry) {
      s.tries += 1;
      const retryIn = this.setting(watcher, "retry_in");
      this.logger.info(`${watcher}: flapping detected: retry in ${retryIn}s (attempt number ${s.tries})`);
      s.stoppedByUs = true;
      this.cast("stop", { name });
      s.retry?.cancel();
      s.retry = this.after(retryIn, () => {
        s.retry = null;
        s.stoppedByUs = false;
        this.cast("start", { name });
      });
    } else {
      this.logger.info(`${watcher}: flapping detected: reached max retry limit, the watcher stays stopped`);
      s.tries = 0;
      s.stoppedByUs = true;
      // `gave_up` (ignored by a real circusd) lets ours stop everything when the watcher is critical.
      this.cast("stop", {
        name,
        gave_up: `flapping: ${attempts} deaths within ${this.setting(watcher, "window")} s, ${maxRetry} retries`,
      });
    }
  }

  /** The watcher's `flapping.*` options, parsed; a bad value is logged and the plugin's own is kept. */
  private async readOverrides(watcher: string): Promise<Partial<FlappingValues>> {
    let reply: Reply;
    try {
      reply = await this.call("options", { name: await this.realName(watcher) });
    } catch (err) {
      this.logger.warning(`${watcher}: cannot read its flapping.* options: ${(err as Error).message}`);
      return {};
    }
    const out: Record<string, unknown> = {};
    const prefix = `${Flapping.pluginName}.`;
    for (const [key, value] of Object.entries((reply.options ?? {}) as Record<string, WireValue>)) {
      if (!key.startsWith(prefix)) continue;
      const setting = key.slice(prefix.length);
      if (!Object.hasOwn(FLAPPING_OPTIONS, setting)) {
        this.logger.warning(`${watcher}: unknown option ${key} ignored`);
        continue;
      }
      try {
        out[setting] = readPluginOption<unknown>(FLAPPING_OPTIONS[setting as Setting], wireText(value));
      } catch (err) {
        if (!(err instanceof ScalarError)) throw err;
        this.logger.warning(`${watcher}: ${key}: ${err.message}; using the plugin's value`);
      }
    }
    return out as Partial<FlappingValues>;
  }
}
