// Public surface of the config loader.

export { loadConfig, type LoadOptions } from "./load.ts";
export { substitute, substitutionVars } from "./substitute.ts";
export { parseBool, parseFloat, parseInt, parseOctal, parseSignal, ScalarError } from "./scalars.ts";
export { parseHook, parseHookTarget, HookError, isHookName } from "./hooks.ts";
export { RLIMIT_NAMES } from "./schema.ts";
export * from "./types.ts";
