// The package's public API (`import { startCircus } from "circus"`): a whole config run as `circus
// daemon` runs it, the typed control-channel client, the logger; and below them what Circus's
// get_arbiter offers — an arbiter of watchers and sockets — plus the config loader.

export { startCircus, type StartOptions, type RunningCircus } from "./daemon/start.ts";
export { PidfileError } from "./daemon/pidfile.ts";
export {
  createClient,
  ReplyError,
  type Client,
  type CommandArgs,
  type CommandMethods,
  type CommandReply,
  type Envelope,
} from "./protocol/typed-client.ts";
export { getLogger, parseLogLevel, setLogLevel, setLogSink, type LogLevel, type LogSink } from "./util/log.ts";

export {
  Arbiter,
  Watcher,
  createArbiter,
  watcherDefaults,
  circusDefaults,
  EventBus,
  watcherTopic,
  WatcherNotFoundError,
  WatcherExistsError,
  InvalidOptionError,
  OperationError,
  SpawnError,
  SocketBindError,
  type ArbiterOptions,
  type GlobalOptions,
  type ReloadConfigSummary,
  type WatcherInput,
  type WatcherState,
  type ProcessInfo,
  type StartResult,
  type ReloadResult,
  type KillOptions,
  type SignalOptions,
  type EventListener,
  type EventPayload,
  type WatcherEvent,
  type CircusSocket,
  type OutputSink,
  type StdioTarget,
  EXIT_REASONS,
  type ExitState,
  type LastExit,
} from "./arbiter/index.ts";
export type { HookArguments, HookFunction } from "./arbiter/hooks.ts";

export { loadConfig, type LoadOptions } from "./config/load.ts";
// The option spec, for plugins that declare their own options (`import { option, kinds } from "circus"`):
// `kinds.int`, `kinds.regex`, `kinds.url([...])`, `kinds.optional(kind)` … and the types of their values.
export {
  kinds,
  option,
  OptionError,
  readPluginOptions,
  type OptionSpec,
  type PluginOptionTable,
  type PluginOptionsResult,
  type Range,
  type ValueKind,
  type ValuesOf,
} from "./config/options/index.ts";
export { parseConfigText } from "./config/plugin-handoff.ts";
export {
  ConfigError,
  HOOK_NAMES,
  type CircusConfig,
  type CircusOptions,
  type WatcherConfig,
  type SocketConfig,
  type PluginConfig,
  type HookName,
  type HookConfig,
  type HookTarget,
  type StreamConfig,
} from "./config/types.ts";

export {
  CircusClient,
  subscribe,
  CallError,
  UnreachableError,
  ConnectionLostError,
  TimeoutError,
  DEFAULT_ENDPOINT,
  DEFAULT_PUBSUB_ENDPOINT,
  readClientCurveKeys,
  type CircusEvent,
  type ClientCurveKeys,
  type ClientOptions,
  type CallOptions,
  type SubscribeOptions,
  type Subscription,
} from "./protocol/client.ts";
export { startControlServer, type ControlServer, type ControlServerOptions } from "./protocol/server.ts";

// Plugins: the base class of your own plugins (`use = ./plugins/mine.ts:MyPlugin`), their typed options
// and the event types they receive.
export {
  CircusPlugin,
  type PluginContext,
  type PluginOptions,
  type PluginChannel,
  type PluginTimer,
  type ListenAddress,
} from "./plugins/plugin.ts";
export { splitTopic, type EventTopic, type WatcherEventData, type ExitReason } from "./plugins/events.ts";
export type { Logger } from "./util/log.ts";
export type { Reply, JsonObject, Json } from "./protocol/command.ts";
