// Public surface of the config loader.

export { loadConfig, type LoadOptions } from "./load.ts";
export { substitute, substitutionVars } from "./substitute.ts";
export { parseBool, parseFloatOption, parseIntOption, parseOctal, parseSignal, ScalarError } from "./scalars.ts";
export * from "./options/index.ts";
export { suggest } from "./suggest.ts";
export * from "./types.ts";
