// Public library API of the arbiter (what Circus's get_arbiter offers): build an Arbiter from a full
// CircusConfig, or from a few watcher descriptions with defaults filled in.

import type { CircusConfig, CircusOptions, SocketConfig } from "../config/types.ts";
import { Arbiter, type ArbiterOptions } from "./arbiter.ts";
import { circusDefaults, watcherDefaults, type WatcherInput } from "./defaults.ts";

export {
  Arbiter,
  type ArbiterOptions,
  type GlobalOptions,
  type ReloadConfigSummary,
  type WatcherOrder,
} from "./arbiter.ts";
export { Watcher } from "./watcher.ts";
export type { WatcherState, ProcessInfo, StartResult, ReloadResult, KillOptions, SignalOptions } from "./watcher.ts";
export { EventBus, watcherTopic, type EventListener, type EventPayload, type WatcherEvent } from "./bus.ts";
export type { CircusSocket } from "./sockets.ts";
export { EXIT_REASONS, type ExitReason, type ExitState, type LastExit } from "./exits.ts";
export type { OutputSink, StdioTarget } from "./process.ts";
export { watcherDefaults, circusDefaults, type WatcherInput } from "./defaults.ts";
export * from "./errors.ts";

/** An Arbiter for `watchers` (name + cmd required, Circus defaults for the rest); not started yet. */
export function createArbiter(
  watchers: WatcherInput[],
  options: { circus?: Partial<CircusOptions>; sockets?: SocketConfig[]; arbiter?: ArbiterOptions } = {},
): Promise<Arbiter> {
  const config: CircusConfig = {
    file: "",
    circus: circusDefaults(options.circus),
    watchers: watchers.map(watcherDefaults).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    sockets: options.sockets ?? [],
    plugins: [],
    globalEnv: {},
    warnings: [],
  };
  return Arbiter.create(config, options.arbiter);
}
