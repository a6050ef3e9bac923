// The hook table (the eleven Circus hooks, what they are called with, which ones fail softly) and the
// one hook-spec grammar that config files, `set hooks.<name>`, `set hooks` and `add` all read.
//
// Grammar of a hook written as text, `TARGET[,FLAG]`:
//   - `cmd:<shell command>` runs the command with /bin/sh -c. A comma inside the command belongs to it
//     (`cmd:notify.sh a,b` runs `notify.sh a,b`); only a last comma outside quotes followed by a boolean
//     word (`cmd:./notify.sh, true`) sets the flag. Quote a command that must end in such text.
//   - `<path>[:<export>]` calls a JS/TS module function (default export without `:<export>`); the path is
//     relative to the config file. As in Circus's config reader, the first comma ends the target and what
//     follows must be a boolean: `./hooks.ts:check, true`.
//   - FLAG is "ignore errors" (true/false, yes/no, on/off, 1/0); default false.
// A TOML array or a wire pair `[TARGET, FLAG]` gives the parts apart: TARGET is taken as it is.
// Circus's own `set` splits at every comma and silently drops what follows a second one; we do not.

import { isAbsolute, resolve } from "../../util/path.ts";
import type { RawValue } from "../raw.ts";
import { parseBool, ScalarError } from "../scalars.ts";
import type { HookConfig, HookTarget } from "../types.ts";
import { OptionError, type WireValue } from "./spec.ts";

/** One hook: when it runs, the extra arguments it gets, and whether its failure is ignored by default. */
export interface HookSpec {
  readonly doc: string;
  /** Circus's default ignore set: a failure (exception, timeout) counts as success. */
  readonly ignoredByDefault: boolean;
}

/** The eleven Circus hooks, in Circus's order. */
export const HOOKS = {
  before_start: { doc: "before a stopped watcher starts; false aborts the start", ignoredByDefault: false },
  after_start: { doc: "after all processes were spawned; false stops the watcher", ignoredByDefault: false },
  before_stop: { doc: "when a watcher stop begins (result ignored)", ignoredByDefault: true },
  after_stop: { doc: "when a watcher stop ends (result ignored)", ignoredByDefault: true },
  before_spawn: { doc: "before every spawn; false spawns nothing and stops the watcher", ignoredByDefault: false },
  after_spawn: { doc: "after a process was created (`pid`); false kills it", ignoredByDefault: false },
  before_signal: {
    doc: "before a signal goes to a process (`pid`, `signum`); false withholds it (never SIGKILL)",
    ignoredByDefault: true,
  },
  after_signal: { doc: "after such a signal (`pid`, `signum`; result ignored)", ignoredByDefault: true },
  before_reap: { doc: "before an exited process is reaped (`pid`, `time`; result ignored)", ignoredByDefault: false },
  after_reap: {
    doc: "after the reap event (`pid`, `time`, `exitCode`, `processStatus`; result ignored)",
    ignoredByDefault: false,
  },
  extended_stats: {
    doc: "during `stats --extended` (`pid`, `stats` to enrich); errors reach the client",
    ignoredByDefault: true,
  },
} as const satisfies Record<string, HookSpec>;

export type HookName = keyof typeof HOOKS;

/** The hook names, in Circus's order. */
export const HOOK_NAMES = Object.keys(HOOKS) as HookName[];

export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOKS, name);
}

/** Hooks whose failure counts as success unless configured otherwise. */
export const DEFAULT_IGNORED_HOOKS: ReadonlySet<HookName> = new Set(
  HOOK_NAMES.filter((name) => HOOKS[name].ignoredByDefault),
);

export const SUPPORTED_FORMS =
  'expected a module function like "./hooks.ts:checkRedis" (path relative to the config file) or a command like "cmd:./notify.sh"';

/** A hook value that cannot be used; the message says why and what is expected. */
export class HookError extends Error {
  override readonly name = "HookError";
}

/**
 * A Python import path (`pkg.mod.func`): Circus hooks written in Python cannot run here. A config file
 * still loads (Circus drops only such a watcher): the watcher stays stopped until the hook is ported.
 */
export class PythonHookError extends HookError {
  constructor(readonly path: string) {
    super(`${JSON.stringify(path)} is a Python import path, which cannot run here; ${portingAdvice(path)}`);
  }
}

/** How to port a Python hook, named after its function. */
export function portingAdvice(path: string): string {
  const fn = path.slice(path.lastIndexOf(".") + 1) || "myHook";
  return (
    `port it to a JS/TS function, "./hooks.ts:${fn}" (path relative to the config file; it gets ` +
    `{watcher, arbiter, hookName, …} and returns true to go on), or to a command, "cmd:./${fn}.sh" (exit status 0 = true)`
  );
}

const MODULE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const BOOLEAN_WORD = /^\s*(?:true|false|yes|no|on|off|1|0)\s*$/i;

/** Parse a hook target (no flag); relative module paths resolve against `baseDir`. */
export function parseHookTarget(raw: string, baseDir: string): HookTarget {
  const text = raw.trim();
  if (text.startsWith("cmd:")) {
    const command = text.slice(4).trim();
    if (!command) throw new HookError(`"cmd:" needs a command after it, ${SUPPORTED_FORMS}`);
    return { kind: "command", command, raw: text };
  }
  const colon = text.lastIndexOf(":");
  const path = colon >= 0 ? text.slice(0, colon) : text;
  const exportName = colon >= 0 ? text.slice(colon + 1) : "default";
  const looksLikePath = /^\.{0,2}\//.test(path) || MODULE_FILE.test(path);
  if (!looksLikePath) throw new PythonHookError(text);
  if (!IDENTIFIER.test(exportName)) {
    throw new HookError(`${JSON.stringify(exportName)} is not an export name; ${SUPPORTED_FORMS}`);
  }
  const module = isAbsolute(path) ? path : resolve(baseDir, path);
  return { kind: "module", module, exportName, raw: text };
}

/** Index of the last comma of a shell command that is outside quotes, or -1. */
function lastUnquotedComma(command: string): number {
  let quote: '"' | "'" | null = null;
  let last = -1;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === "\\") i++;
    else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ",") last = i;
  }
  return last;
}

/** Split `TARGET[,FLAG]` text by the grammar above. */
function splitFlag(text: string): { target: string; flag: string | null } {
  const trimmed = text.trim();
  if (trimmed.startsWith("cmd:")) {
    const comma = lastUnquotedComma(trimmed);
    if (comma >= 0 && BOOLEAN_WORD.test(trimmed.slice(comma + 1))) {
      return { target: trimmed.slice(0, comma), flag: trimmed.slice(comma + 1) };
    }
    return { target: trimmed, flag: null };
  }
  const comma = trimmed.indexOf(",");
  if (comma < 0) return { target: trimmed, flag: null };
  return { target: trimmed.slice(0, comma), flag: trimmed.slice(comma + 1) };
}

function flagOf(flag: string | boolean | null): boolean {
  if (flag === null) return false;
  if (typeof flag === "boolean") return flag;
  if (flag.trim() === "") return false;
  try {
    return parseBool(flag);
  } catch (err) {
    if (err instanceof ScalarError) throw new HookError(`ignore-errors flag: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Parse a hook as written: text `TARGET[,FLAG]` (ini, `set`), or a pair `[TARGET, FLAG]` (TOML, `add`).
 * Relative module paths resolve against `baseDir`. Throws HookError naming the supported forms.
 */
export function parseHook(value: RawValue | WireValue, baseDir: string): HookConfig {
  if (Array.isArray(value)) {
    const [target, flag, ...rest] = value;
    if (typeof target !== "string" || rest.length > 0 || !(flag === undefined || typeof flag !== "object")) {
      throw new HookError(`${JSON.stringify(value)} is not [target, ignore_errors], ${SUPPORTED_FORMS}`);
    }
    const flagValue = flag === undefined ? null : typeof flag === "boolean" ? flag : String(flag);
    return { target: parseHookTarget(target, baseDir), ignoreErrors: flagOf(flagValue) };
  }
  if (typeof value !== "string") {
    throw new HookError(`${JSON.stringify(value)} is not a hook, ${SUPPORTED_FORMS}`);
  }
  const { target, flag } = splitFlag(value);
  return { target: parseHookTarget(target, baseDir), ignoreErrors: flagOf(flag) };
}

/** A hook value from `set`/`add`, checked by the same grammar (errno 3 with the reason). */
export function hookFromWire(hook: string, value: WireValue): WireValue {
  if (!isHookName(hook)) throw new OptionError(`unknown hook '${hook}'`);
  try {
    parseHook(value, "/");
  } catch (err) {
    if (!(err instanceof HookError)) throw err;
    throw new OptionError(`hook '${hook}': ${err.message}`, 3, { cause: err });
  }
  return value;
}

/**
 * circusctl's `set <watcher> hooks <value>`: `hook:spec` items separated by commas, e.g.
 * `before_start:./h.ts:check,true,after_stop:cmd:./notify.sh`. A new item starts at a comma followed
 * by a hook name and a colon, so a spec keeps its own commas (flag, command arguments).
 */
export function parseHookList(value: string): Record<string, string> {
  const hooks: Record<string, string> = {};
  const text = value.trim();
  if (text === "") return hooks;
  const starts = [...text.matchAll(/(?:^|,)\s*([A-Za-z_]\w*):/g)].filter((m) => isHookName(m[1]!));
  if (starts[0]?.index !== 0) {
    const item = text.split(",")[0]!;
    const name = /^\s*([^:]*):/.exec(item)?.[1];
    throw new HookError(
      name === undefined
        ? `"${item}" is not hook:target (e.g. before_start:./hooks.ts:check)`
        : `unknown hook "${name}"; known hooks: ${HOOK_NAMES.join(", ")}`,
    );
  }
  starts.forEach((m, i) => {
    const begin = m.index! + m[0].length;
    const end = i + 1 < starts.length ? starts[i + 1]!.index! : text.length;
    Object.defineProperty(hooks, m[1]!, {
      value: text.slice(begin, end),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return hooks;
}
