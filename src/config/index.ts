// Public surface of the config loader.

export { loadConfig, type LoadOptions } from "./load.ts";
export { substitute, substitutionVars } from "./substitute.ts";
export { parseBool, parseFloatOption, parseIntOption, parseOctal, parseSignal, ScalarError } from "./scalars.ts";
export { parseHook, parseHookTarget, HookError, isHookName } from "./hooks.ts";
export {
  CIRCUS_DEFAULTS,
  RLIMIT_NAMES,
  SOCKET_DEFAULTS,
  WATCHER_DEFAULTS,
  WATCHER_OPTIONS,
  type OptionType,
  type WatcherOptionKey,
} from "./schema.ts";
export { suggest } from "./suggest.ts";
export * from "./types.ts";
