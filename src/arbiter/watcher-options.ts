// A watcher's options as `options` / `get` show them and as `set` changes them (§2.3): the option-name
// list, the JSON type check of each key, and whether a change needs a reload or just process management.

import { dirname, resolve } from "../util/path.ts";
import type { HookName, WatcherConfig } from "../config/types.ts";
import { InvalidOptionError, OperationError } from "./errors.ts";
import { isHookName, parseHookSpec } from "./hooks.ts";

/** Relative hook module paths given to `set` resolve like the file's: against the config file's directory. */
function hookBaseDir(cfg: WatcherConfig): string {
  return cfg.source ? dirname(resolve(cfg.source.file)) : process.cwd();
}

/** Circus's option-name list, in its order; free options are appended. */
export const OPTION_NAMES = [
  "numprocesses",
  "warmup_delay",
  "working_dir",
  "uid",
  "gid",
  "send_hup",
  "stop_signal",
  "stop_children",
  "shell",
  "shell_args",
  "env",
  "max_retry",
  "cmd",
  "args",
  "respawn",
  "graceful_timeout",
  "executable",
  "use_sockets",
  "priority",
  "copy_env",
  "singleton",
  "stdout_stream_conf",
  "on_demand",
  "stderr_stream_conf",
  "max_age",
  "max_age_variance",
  "close_child_stdin",
  "close_child_stdout",
  "close_child_stderr",
] as const;

export type OptionValue = null | boolean | number | string | string[] | Record<string, string>;

/** `options`: every listed option plus the free options, with Circus's value shapes. */
export function optionsOf(cfg: WatcherConfig): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const key of OPTION_NAMES) {
    if (key === "stdout_stream_conf") out[key] = { ...(cfg.stdout_stream ?? {}) };
    else if (key === "stderr_stream_conf") out[key] = { ...(cfg.stderr_stream ?? {}) };
    else if (key === "env") out[key] = { ...cfg.env };
    else out[key] = cfg[key] as OptionValue;
  }
  for (const [key, value] of Object.entries(cfg.free)) out[key] = value;
  return out;
}

/** What the watcher must do after options changed; "reload" outranks "manage". */
export type OptionAction = "manage" | "reload";

type Check = (value: unknown) => boolean;
const isInt: Check = (v) => typeof v === "number" && Number.isInteger(v);
const isNumber: Check = (v) => typeof v === "number" && Number.isFinite(v);
const isBool: Check = (v) => typeof v === "boolean";
const isIntOrStr: Check = (v) => isInt(v) || typeof v === "string";
const isAny: Check = () => true;
const isStrMap: Check = (v) =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");

/** Keys `set` validates and ignores (Circus only uses them in `add`). */
const IGNORED_BY_SET: Record<string, Check> = {
  copy_env: isBool,
  retry_in: isNumber,
  max_retry: isInt,
  respawn: isBool,
  singleton: isBool,
  close_child_stdin: isBool,
  close_child_stdout: isBool,
  close_child_stderr: isBool,
  stdout_stream: isStrMap,
  stderr_stream: isStrMap,
};

/** Validate one `set` key/value against `cfg` (throws InvalidOptionError / OperationError). */
export function checkOption(cfg: WatcherConfig, key: string, value: unknown): void {
  const typeError = () => new InvalidOptionError(`${key}: invalid value ${JSON.stringify(value)}`);
  const checks: Record<string, Check> = {
    numprocesses: isInt,
    warmup_delay: isNumber,
    working_dir: isAny,
    uid: isIntOrStr,
    gid: isIntOrStr,
    send_hup: isBool,
    stop_signal: isInt,
    stop_children: isBool,
    shell: isBool,
    env: isStrMap,
    cmd: isAny,
    args: isAny,
    graceful_timeout: isNumber,
    max_age: isInt,
    max_age_variance: isInt,
    hooks: isStrMap,
    ...IGNORED_BY_SET,
  };
  const check = checks[key];
  if (check !== undefined) {
    if (!check(value)) throw typeError();
    if (key === "numprocesses" && cfg.singleton && (value as number) > 1) {
      throw new OperationError("Cannot set numprocesses > 1 on a singleton watcher");
    }
    if (key === "hooks") {
      for (const [name, spec] of Object.entries(value as Record<string, string>)) {
        if (!isHookName(name)) throw new InvalidOptionError(`unknown hook '${name}'`);
        parseHookSpec(spec, hookBaseDir(cfg));
      }
    }
    return;
  }
  if (key.startsWith("hooks.")) {
    if (!isHookName(key.slice(6)) || typeof value !== "string") throw new InvalidOptionError(`unknown key '${key}'`);
    parseHookSpec(value, hookBaseDir(cfg));
    return;
  }
  if (key.startsWith("stdout_stream.") || key.startsWith("stderr_stream.") || key.startsWith("rlimit_")) return;
  if (key in cfg.free) return;
  throw new InvalidOptionError(`unknown key '${key}'`);
}

/** Apply one validated `set` key to `cfg`; returns the follow-up action it asks for. */
export function applyOption(cfg: WatcherConfig, key: string, value: unknown): OptionAction {
  switch (key) {
    case "numprocesses":
      cfg.numprocesses = Math.max(0, value as number);
      return "manage";
    case "warmup_delay":
    case "graceful_timeout":
    case "stop_signal":
      cfg[key] = value as number;
      return "manage";
    case "send_hup":
    case "stop_children":
      cfg[key] = value as boolean;
      return "manage";
    case "shell":
      cfg.shell = value as boolean;
      return "reload";
    case "working_dir":
      cfg.working_dir = value === null ? null : String(value);
      return "reload";
    case "uid":
    case "gid":
      cfg[key] = value as string | number;
      return "reload";
    case "env":
      cfg.env = { ...(value as Record<string, string>) };
      return "reload";
    case "cmd":
      cfg.cmd = String(value);
      return "reload";
    case "args":
      cfg.args = Array.isArray(value) ? value.map(String) : value === null ? null : String(value);
      return "reload";
    case "max_age":
    case "max_age_variance":
      cfg[key] = value as number;
      return "reload";
    case "hooks":
      for (const [name, spec] of Object.entries(value as Record<string, string>)) {
        cfg.hooks[name as HookName] = parseHookSpec(spec, hookBaseDir(cfg));
      }
      return "manage";
  }
  if (key in IGNORED_BY_SET || key.startsWith("rlimit_")) return "manage";
  if (key.startsWith("hooks.")) {
    cfg.hooks[key.slice(6) as HookName] = parseHookSpec(value as string, hookBaseDir(cfg));
    return "manage";
  }
  for (const prefix of ["stdout_stream", "stderr_stream"] as const) {
    if (key.startsWith(prefix + ".")) {
      cfg[prefix] = { ...(cfg[prefix] ?? {}), [key.slice(prefix.length + 1)]: String(value) };
      return "reload";
    }
  }
  cfg.free[key] = String(value);
  return "manage";
}
