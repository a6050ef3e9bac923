// CircusPlugin: the base class of every plugin, built-in or the user's own. A plugin is a client like
// any other: it receives the daemon's `watcher.*` events and sends commands on the control channel.

import { delay } from "../util/async.ts";
import type { Logger } from "../util/log.ts";
import type { JsonObject, Reply } from "../protocol/command.ts";
import type { EventTopic, WatcherEventData } from "./events.ts";
import { PLUGIN_OPTIONS, type PluginOptionTable } from "../config/options/plugin.ts";
import type { Range, ValuesOf } from "../config/options/spec.ts";

/** Options every plugin understands besides its own: `active`, from the [plugin:NAME] table. */
export const COMMON_OPTIONS = { active: PLUGIN_OPTIONS.active } as const;

/** The range of a period option (`loop_rate`): seconds between two runs, any positive number. */
export const PERIOD: Range = { above: 0, text: "a number of seconds above 0" };

/** The range of a port option: 0 (any free port) to 65535. */
export const PORT: Range = { min: 0, max: 65535, text: "0 to 65535" };

/** A plugin's parsed options: those of its table plus `active`. */
export type PluginOptions<S extends PluginOptionTable> = ValuesOf<S> & ValuesOf<typeof COMMON_OPTIONS>;

/** The control channel as a plugin sees it (a CircusClient fits). */
export interface PluginChannel {
  call(command: string, properties?: JsonObject, options?: { timeoutMs?: number }): Promise<Reply>;
  cast(command: string, properties?: JsonObject): void;
}

/** What the runner hands a plugin's constructor. */
export interface PluginContext<S extends PluginOptionTable = PluginOptionTable> {
  /** Control endpoint the plugin talks to (after any ssh tunnel). */
  endpoint: string;
  /** Pub/sub endpoint the events come from. */
  pubsubEndpoint: string;
  /** The daemon's check_delay in seconds. */
  checkDelay: number;
  /** Every option as given (strings), including keys the table does not know. */
  config: Readonly<Record<string, string>>;
  /** The options read by the plugin's table, defaults filled in. */
  options: PluginOptions<S>;
  logger: Logger;
  channel: PluginChannel;
  /** A listening socket the daemon bound for this plugin (`--fd`), or null: bind yourself. */
  listenFd: number | null;
  /** Ask the runner to stop the plugin (handleStop runs, then the process exits). */
  requestStop: () => void;
}

/** A timer created by a plugin; all of them are cancelled when the plugin stops. */
export interface PluginTimer {
  cancel(): void;
}

/** How long `call` waits for a reply unless told otherwise. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/**
 * Extend this class and export it; name it in a config as `use = ./plugins/mine.ts:MyPlugin`.
 * Declare options as a table of `option(kind, {...})` entries (`import { option, kinds } from "circus"`),
 * set it as `static options` and type the class with `extends CircusPlugin<typeof options>`;
 * `this.options` then holds the values read by that table.
 */
export abstract class CircusPlugin<S extends PluginOptionTable = PluginOptionTable> {
  /** The plugin's short name (Circus's `name` class attribute); Flapping reads `flapping.*` watcher options. */
  static pluginName = "plugin";
  /** The plugin's own options (besides `active`, which every plugin has). */
  static options: PluginOptionTable = {};

  readonly options: PluginOptions<S>;
  /** Every option as given, as strings (Circus's `self.config`). */
  readonly config: Readonly<Record<string, string>>;
  readonly endpoint: string;
  readonly pubsubEndpoint: string;
  readonly checkDelay: number;
  readonly logger: Logger;
  /** false (`active = false`) makes the plugin exit at once instead of starting. */
  active: boolean;
  /** The socket the daemon bound for this plugin (`--fd`), or null. */
  protected readonly listenFd: number | null;
  private readonly channel: PluginChannel;
  private readonly requestStop: () => void;
  private readonly timers = new Set<{ cancel(): void }>();
  private readonly topicNames = new Map<string, string>();

  constructor(context: PluginContext<S>) {
    this.options = context.options;
    this.config = context.config;
    this.endpoint = context.endpoint;
    this.pubsubEndpoint = context.pubsubEndpoint;
    this.checkDelay = context.checkDelay;
    this.logger = context.logger;
    this.channel = context.channel;
    this.listenFd = context.listenFd;
    this.requestStop = context.requestStop;
    this.active = context.options.active;
  }

  /** Called once before the first event; the control channel is already usable here (unlike Circus). */
  handleInit(): void | Promise<void> {}

  /** Called for every `watcher.*` event, one at a time, in order. */
  handleRecv(_topic: EventTopic, _event: WatcherEventData): void | Promise<void> {}

  /** Called once when the plugin stops; its timers are cancelled right after. */
  handleStop(): void | Promise<void> {}

  /** Send a command and resolve with the reply envelope (error replies too); rejects on timeout (5 s by default). */
  call(command: string, properties: JsonObject = {}, options: { timeoutMs?: number } = {}): Promise<Reply> {
    return this.channel.call(command, properties, { timeoutMs: options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS });
  }

  /** Send a command without waiting: the daemon does not reply, not even on error. */
  cast(command: string, properties: JsonObject = {}): void {
    this.channel.cast(command, properties);
  }

  /**
   * The name to send in commands for a watcher seen in an event topic. Topics lower-case names and
   * turn spaces into `_`; lookups ignore case, so only a name with `_` may need the real one (`list`).
   */
  async realName(topicWatcher: string): Promise<string> {
    if (!topicWatcher.includes("_")) return topicWatcher;
    if (!this.topicNames.has(topicWatcher)) {
      try {
        const reply = await this.call("list");
        for (const name of (reply.watchers ?? []) as string[]) this.topicNames.set(name.replace(/ /g, "_"), name);
      } catch {
        // keep the topic's spelling; the command will say if it is wrong
      }
    }
    return this.topicNames.get(topicWatcher) ?? topicWatcher;
  }

  /**
   * Run `task` every `seconds` (first run after one period). A run that is still going when the next
   * is due delays it rather than overlapping; errors are logged and the timer keeps going.
   */
  every(seconds: number, task: () => void | Promise<void>): PluginTimer {
    const cancelled = new AbortController();
    const handle = {
      cancel: () => {
        cancelled.abort();
        this.timers.delete(handle);
      },
    };
    this.timers.add(handle);
    void (async () => {
      while (await delay(Math.max(seconds * 1000, 1), cancelled.signal)) {
        try {
          await task();
        } catch (err) {
          this.logger.error(`periodic task failed: ${errorText(err)}`);
        }
      }
    })();
    return handle;
  }

  /** Run `task` once after `seconds`; errors are logged. */
  after(seconds: number, task: () => void | Promise<void>): PluginTimer {
    const cancelled = new AbortController();
    const handle = {
      cancel: () => {
        cancelled.abort();
        this.timers.delete(handle);
      },
    };
    this.timers.add(handle);
    void delay(Math.max(seconds * 1000, 0), cancelled.signal).then(async (due) => {
      if (!due) return;
      this.timers.delete(handle);
      try {
        await task();
      } catch (err) {
        this.logger.error(`timer task failed: ${errorText(err)}`);
      }
    });
    return handle;
  }

  /** Stop the plugin from inside (handleStop runs, then the process exits with status 0). */
  stop(): void {
    this.requestStop();
  }

  /** Cancel every timer (the runner calls this after handleStop). */
  cancelTimers(): void {
    for (const t of [...this.timers]) t.cancel();
  }
}

/** An address a plugin listens on; the daemon binds it and passes the socket (decisions §5). */
export interface ListenAddress {
  type: "tcp" | "udp";
  host: string;
  port: number;
}

/** A plugin class as the runner and the config check see it. */
export interface PluginClass {
  // `never`: each class takes the context of its own table; the runner builds it from that table.
  new (context: never): CircusPlugin;
  pluginName: string;
  options: PluginOptionTable;
  /** Where a plugin that serves listens, from its parsed options; the daemon then binds it for the plugin. */
  listenAddress?(options: Record<string, unknown>): ListenAddress | null;
}

/** True for a class derived from CircusPlugin (by prototype chain or, for a second copy of the module, by shape). */
export function isPluginClass(value: unknown): value is PluginClass {
  if (typeof value !== "function") return false;
  if (value.prototype instanceof CircusPlugin) return true;
  const proto = (value as { prototype?: Record<string, unknown> }).prototype;
  return typeof proto?.handleRecv === "function" && typeof proto?.call === "function";
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
