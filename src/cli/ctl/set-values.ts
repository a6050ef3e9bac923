// `circus ctl set` value conversion: circusctl's string → typed value rules per option key (§2.3).

import type { Json, JsonObject } from "../../protocol/command.ts";
import { parseBool, parseFloatOption, parseIntOption, parseSignal } from "../../config/scalars.ts";

/** Hook names a watcher knows (`hooks` / `hooks.<name>`). */
export const HOOK_NAMES = [
  "before_start",
  "after_start",
  "before_stop",
  "after_stop",
  "before_spawn",
  "after_spawn",
  "before_signal",
  "after_signal",
  "before_reap",
  "after_reap",
  "extended_stats",
] as const;

/** A key/value the CLI cannot convert; circusctl exits 1 for these (an argument error). */
export class SetValueError extends Error {
  override readonly name = "SetValueError";
}

const INT_KEYS = new Set(["numprocesses", "max_retry", "max_age", "max_age_variance"]);
const FLOAT_KEYS = new Set(["warmup_delay", "retry_in", "graceful_timeout"]);
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
const STRING_KEYS = new Set(["working_dir", "uid", "gid", "cmd", "args"]);

/** Every key `set` converts, for completion and "did you mean" hints. */
export const SETTABLE_KEYS = [...INT_KEYS, ...FLOAT_KEYS, ...BOOL_KEYS, ...STRING_KEYS, "stop_signal", "hooks"];

/** Convert one `set` value from text as circusctl does; `key` must already be lower-cased. */
export function convertSetValue(key: string, value: string): Json {
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new SetValueError(`set ${key}: ${(err as Error).message}`);
    }
  };
  if (INT_KEYS.has(key) || key.startsWith("rlimit_")) return wrap(() => parseIntOption(value));
  if (FLOAT_KEYS.has(key)) return wrap(() => parseFloatOption(value));
  if (BOOL_KEYS.has(key)) return wrap(() => parseBool(value));
  if (STRING_KEYS.has(key)) return value;
  if (key === "stop_signal") return wrap(() => parseSignal(value));
  const stream = /^(stdout|stderr)_stream\.(.+)$/.exec(key);
  if (stream)
    return stream[2] === "max_bytes" || stream[2] === "backup_count" ? wrap(() => parseIntOption(value)) : value;
  if (key === "hooks") return parseHooks(value);
  if (key.startsWith("hooks.")) {
    checkHook(key.slice(6));
    return value;
  }
  if (key === "env") {
    throw new SetValueError(
      "set env: environments cannot be set from the command line (circusctl cannot either); set env in the config file and run `circusctl reloadconfig`",
    );
  }
  throw new SetValueError(
    `unknown key '${key}'; settable keys: ${SETTABLE_KEYS.join(", ")}, hooks.<hook>, stdout_stream.<opt>, stderr_stream.<opt>, rlimit_<name>`,
  );
}

/** `"before_start:mod.fn,after_stop:mod.g"` → `{before_start: "mod.fn", after_stop: "mod.g"}`. */
export function parseHooks(value: string): JsonObject {
  const hooks: JsonObject = {};
  for (const item of value.split(",")) {
    if (item === "") continue;
    const [hook, target, ...more] = item.split(":");
    if (hook === undefined || target === undefined || more.length > 0) {
      throw new SetValueError(`set hooks: "${item}" is not hook:target (e.g. before_start:myapp.hooks.check)`);
    }
    checkHook(hook);
    hooks[hook] = target;
  }
  return hooks;
}

function checkHook(name: string): void {
  if (!(HOOK_NAMES as readonly string[]).includes(name)) {
    throw new SetValueError(`set hooks: unknown hook "${name}"; known hooks: ${HOOK_NAMES.join(", ")}`);
  }
}

/** Turn `<key> <value> [<key> <value> …]` into the `options` object (keys lower-cased). */
export function setOptions(pairs: string[]): JsonObject {
  if (pairs.length === 0 || pairs.length % 2 !== 0) {
    throw new SetValueError("List of key/values is invalid: give <key> <value> pairs, e.g. `set web numprocesses 3`");
  }
  const options: JsonObject = {};
  for (let i = 0; i < pairs.length; i += 2) {
    // The even-length check above gives every key its value.
    const key = pairs[i]!.toLowerCase();
    options[key] = convertSetValue(key, pairs[i + 1]!);
  }
  return options;
}
