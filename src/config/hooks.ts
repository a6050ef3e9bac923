// Hook targets (`hooks.<name> = target[, flag]`): a JS/TS module function or a shell command.
// Circus's Python dotted paths cannot be imported here, so they are refused with the supported forms.

import { isAbsolute, resolve } from "../util/path.ts";
import type { RawValue } from "./raw.ts";
import { parseBool, ScalarError } from "./scalars.ts";
import { HOOK_NAMES, type HookConfig, type HookName, type HookTarget } from "./types.ts";

export const SUPPORTED_FORMS =
  'expected a module function like "./hooks.ts:checkRedis" (path relative to the config file) or a command like "cmd:./notify.sh"';

/** A hook value that cannot be used; the message says why and what is expected. */
export class HookError extends Error {
  override readonly name = "HookError";
}

export function isHookName(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

const MODULE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Parse a hook target; relative module paths are resolved against `baseDir` (the config file's directory). */
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
  if (!looksLikePath) {
    throw new HookError(
      `${JSON.stringify(text)} looks like a Python import path, which cannot be loaded here; ${SUPPORTED_FORMS}`,
    );
  }
  if (!IDENTIFIER.test(exportName)) {
    throw new HookError(`${JSON.stringify(exportName)} is not an export name; ${SUPPORTED_FORMS}`);
  }
  const module = isAbsolute(path) ? path : resolve(baseDir, path);
  return { kind: "module", module, exportName, raw: text };
}

/** Parse `target[, flag]` (ini text) or `[target, flag]` (TOML array); the flag means "ignore errors". */
export function parseHook(value: RawValue, baseDir: string): HookConfig {
  let target: string;
  let flag: string | boolean = false;
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > 2 || typeof value[0] !== "string") {
      throw new HookError(`${JSON.stringify(value)} is not [target, ignore_errors], ${SUPPORTED_FORMS}`);
    }
    target = value[0];
    flag = typeof value[1] === "boolean" ? value[1] : value[1] === undefined ? false : String(value[1]);
  } else {
    const text = String(value);
    const comma = text.indexOf(",");
    target = comma >= 0 ? text.slice(0, comma) : text;
    if (comma >= 0) flag = text.slice(comma + 1);
  }
  let ignoreErrors: boolean;
  try {
    ignoreErrors = typeof flag === "boolean" ? flag : flag.trim() === "" ? false : parseBool(flag);
  } catch (err) {
    if (err instanceof ScalarError) throw new HookError(`ignore-errors flag: ${err.message}`);
    throw err;
  }
  return { target: parseHookTarget(target, baseDir), ignoreErrors };
}
