// Watcher option keys on the wire (§2.3): the names `options`/`get` show, and the type check that
// `set` and `add` run on every key before anything is applied (errno 3 naming the key).

import { HOOK_NAMES } from "../config/types.ts";
import type { Json, JsonObject } from "./command.ts";
import { messageError } from "./errors.ts";
import { toSignal } from "./props.ts";
import { OPTION_NAMES } from "../arbiter/watcher-options.ts";

/** What `options` returns and `get` accepts (the arbiter's list), besides a watcher's free options. */
const OPTION_NAME_SET = new Set<string>(OPTION_NAMES);

export function isOptionName(key: string): boolean {
  return OPTION_NAME_SET.has(key);
}

const INT_KEYS = new Set(["numprocesses", "max_retry", "max_age", "max_age_variance"]);
const NONNEGATIVE_KEYS = new Set([
  "numprocesses",
  "max_age",
  "max_age_variance",
  "warmup_delay",
  "graceful_timeout",
  "retry_in",
]);
const NUMBER_KEYS = new Set(["warmup_delay", "retry_in", "graceful_timeout"]);
const BOOL_KEYS = new Set([
  "send_hup",
  "stop_children",
  "shell",
  "copy_env",
  "respawn",
  "singleton",
  "close_child_stdin",
  "close_child_stdout",
  "close_child_stderr",
]);
const ANY_KEYS = new Set(["working_dir"]);
const HOOKS = new Set<string>(HOOK_NAMES);

/** Which caller validates: `add` takes hooks as `[target, flag]` pairs, `set` as `"target[,flag]"` strings. */
export type OptionMode = "set" | "add";

/**
 * Check one option key/value as Circus's `validate_option` does (plus range checks it lacks) and
 * return the normalized value (`stop_signal` names become numbers). Throws errno 3 naming the key.
 * `freeKeys` are a watcher's free options, which `set` stores without checking.
 */
export function validateOption(
  key: string,
  value: Json,
  mode: OptionMode,
  freeKeys: ReadonlySet<string> = new Set(),
): Json {
  if (mode === "set" && freeKeys.has(key)) return value;
  if (INT_KEYS.has(key)) {
    if (typeof value !== "number" || !Number.isInteger(value)) throw messageError(`'${key}' isn't an integer`);
    if (NONNEGATIVE_KEYS.has(key) && value < 0) throw messageError(`'${key}' must be >= 0, got ${value}`);
    if (key === "max_retry" && value < -1) throw messageError(`'${key}' must be >= -1, got ${value}`);
    return value;
  }
  if (key === "stop_signal") {
    if (typeof value === "string" || (typeof value === "number" && Number.isInteger(value))) {
      try {
        return toSignal(value);
      } catch {
        throw messageError(`'stop_signal' isn't a valid signal, got ${JSON.stringify(value)}`);
      }
    }
    throw messageError("'stop_signal' isn't an integer");
  }
  if (NUMBER_KEYS.has(key)) {
    if (typeof value !== "number" || !Number.isFinite(value)) throw messageError(`'${key}' isn't a number`);
    if (NONNEGATIVE_KEYS.has(key) && value < 0) throw messageError(`'${key}' must be >= 0, got ${value}`);
    return value;
  }
  if (key === "uid" || key === "gid") {
    if (typeof value === "string" || (typeof value === "number" && Number.isInteger(value) && value >= 0)) return value;
    throw messageError(`'${key}' isn't an integer or string`);
  }
  if (BOOL_KEYS.has(key)) {
    if (typeof value !== "boolean") throw messageError(`'${key}' isn't a valid boolean`);
    return value;
  }
  if (key === "env") {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw messageError("'env' isn't a valid object");
    for (const [k, v] of Object.entries(value)) if (typeof v !== "string") throw messageError(`'${k}' isn't a string`);
    return value;
  }
  if (key === "cmd") {
    if (typeof value !== "string" || value.trim() === "") throw messageError("'cmd' isn't a non-empty string");
    return value;
  }
  if (key === "args") {
    if (value === null || typeof value === "string") return value;
    if (Array.isArray(value) && value.every((x) => typeof x === "string")) return value;
    throw messageError("'args' isn't a string or a list of strings");
  }
  if (ANY_KEYS.has(key)) {
    if (value !== null && typeof value !== "string") throw messageError(`'${key}' isn't a string`);
    return value;
  }
  if (key === "hooks") {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw messageError("'hooks' isn't a valid hook dict");
    for (const [hook, target] of Object.entries(value)) {
      if (!HOOKS.has(hook)) throw messageError(`unknown hook '${hook}'`);
      checkHookTarget(hook, target, mode);
    }
    return value;
  }
  if (key.startsWith("hooks.")) {
    const hook = key.slice(6);
    if (!HOOKS.has(hook)) throw messageError(`unknown hook '${hook}'`);
    checkHookTarget(hook, value, "set");
    return value;
  }
  if (key === "stdout_stream" || key === "stderr_stream") {
    if (value === null) return value;
    if (typeof value !== "object" || Array.isArray(value) || typeof (value as JsonObject).class !== "string") {
      throw messageError(`'${key}' isn't a valid stream (an object with a 'class')`);
    }
    return value;
  }
  if (key.startsWith("stdout_stream.") || key.startsWith("stderr_stream.")) return value;
  if (key.startsWith("rlimit_")) {
    if (value === null || (typeof value === "number" && Number.isInteger(value) && value >= -1)) return value;
    throw messageError(`'${key}' isn't an integer`);
  }
  throw messageError(`unknown key '${key}'`);
}

function checkHookTarget(hook: string, target: Json, mode: OptionMode): void {
  if (mode === "add") {
    if (Array.isArray(target) && target.length >= 1 && typeof target[0] === "string") return;
    if (typeof target === "string") return;
    throw messageError(`hook '${hook}' must be [target, ignore_errors]`);
  }
  if (typeof target !== "string" || target.trim() === "")
    throw messageError(`hook '${hook}' must be "target[,ignore_errors]"`);
}

/** Validate a whole `options` object (every key, in order); returns the normalized copy. */
export function validateOptions(options: JsonObject, mode: OptionMode, freeKeys?: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(options)) out[key] = validateOption(key, options[key] as Json, mode, freeKeys);
  return out;
}

/** circusctl's rendering of one option value: env as sorted `K=V,K2=V2`, null as empty. */
export function formatOptionValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (key === "env" && typeof value === "object" && !Array.isArray(value)) {
    return Object.keys(value as object)
      .sort()
      .map((k) => `${k}=${(value as Record<string, unknown>)[k]}`)
      .join(",");
  }
  if (FLOAT_KEYS.has(key) && typeof value === "number") return pythonFloat(value);
  return pythonStr(value);
}

/** Options Circus holds as Python floats, which circusctl prints with a decimal point (`30.0`). */
const FLOAT_KEYS = new Set(["graceful_timeout", "check_delay"]);

function pythonFloat(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** Python's str() of a JSON value, as circusctl prints it (`True`, `None`, `{'class': 'FileStream'}`). */
export function pythonStr(value: unknown): string {
  return typeof value === "string" ? value : pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\t", "\\t");
    return quote + (quote === "'" ? body.replaceAll("'", "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`,
  );
  return `{${entries.join(", ")}}`;
}

/** `key: value` lines, sorted by key as circusctl prints them. */
export function formatOptionLines(options: Record<string, unknown>): string {
  return Object.keys(options)
    .sort()
    .map((k) => `${k}: ${formatOptionValue(k, options[k])}`)
    .join("\n");
}
