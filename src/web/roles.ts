// Who may do what in the web console (decisions §4): `read` only looks; `operate` acts on the
// watchers that exist (start, stop, resize, kill, tune how they stop); only `admin` changes what runs
// or as whom (`add`, `rm`, and `set` of cmd, args, env, uid, gid, hooks, streams…).

import type { Json, JsonObject } from "../protocol/command.ts";

export const ROLES = ["read", "operate", "admin"] as const;
export type WebRole = (typeof ROLES)[number];

const RANK: Record<WebRole, number> = { read: 0, operate: 1, admin: 2 };

/** A role name as written in a users file or a flag; null when unknown. */
export function parseRole(text: string): WebRole | null {
  const t = text.trim().toLowerCase();
  return (ROLES as readonly string[]).includes(t) ? (t as WebRole) : null;
}

/** True when `role` includes everything `needed` may do. */
export function hasRole(role: WebRole, needed: WebRole): boolean {
  return RANK[role] >= RANK[needed];
}

/**
 * Commands a console user may send, with the least role for each. Everything else (quit, the
 * read-only queries the console runs itself) is refused; `set` is further limited per key below.
 */
const COMMAND_ROLES: ReadonlyMap<string, WebRole> = new Map([
  ["start", "operate"],
  ["stop", "operate"],
  ["restart", "operate"],
  ["reload", "operate"],
  ["incr", "operate"],
  ["decr", "operate"],
  ["kill", "operate"],
  ["signal", "operate"],
  ["set", "operate"],
  ["reloadconfig", "operate"],
  ["add", "admin"],
  ["rm", "admin"],
]);

/** Commands that would act on every watcher (or restart the arbiter) without a name. */
const NEEDS_NAME = new Set(["start", "stop", "restart", "reload", "incr", "decr", "kill", "signal", "set", "rm"]);

/**
 * Options an operator may `set`: how many processes run and how they are stopped or recycled. None
 * changes the program, its arguments, environment, directory, user, hooks or streams.
 */
export const OPERATE_SET_KEYS: ReadonlySet<string> = new Set([
  "numprocesses",
  "warmup_delay",
  "graceful_timeout",
  "send_hup",
  "stop_signal",
  "stop_children",
  "max_age",
  "max_age_variance",
]);

/** Options `set` applies that only an admin may change (they decide what runs, where and as whom). */
export const ADMIN_SET_KEYS: ReadonlySet<string> = new Set([
  "cmd",
  "args",
  "shell",
  "working_dir",
  "uid",
  "gid",
  "env",
]);

/** Editable options shown on a watcher page, with the role needed to change each. */
export function editableOptions(): Record<string, WebRole> {
  const out: Record<string, WebRole> = {};
  for (const key of OPERATE_SET_KEYS) out[key] = "operate";
  for (const key of ADMIN_SET_KEYS) out[key] = "admin";
  return out;
}

/** The role needed to `set` `key` (anything not listed, e.g. hooks.*, stdout_stream.*, is admin's). */
export function roleForSetKey(key: string): WebRole {
  return OPERATE_SET_KEYS.has(key) ? "operate" : "admin";
}

/** A request the console refuses before it reaches the daemon; `status` is the HTTP status. */
export class ConsoleRefusal extends Error {
  override readonly name = "ConsoleRefusal";
  constructor(
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Check that `role` may send `command` with `properties`, and return the properties to send:
 * start/stop/restart match the name exactly (a watcher named `*` must not match every watcher).
 * Throws ConsoleRefusal naming what is missing.
 */
export function authorize(role: WebRole, command: string, properties: JsonObject): JsonObject {
  const needed = COMMAND_ROLES.get(command);
  if (needed === undefined) throw new ConsoleRefusal(400, `the console does not send '${command}'`);
  if (!hasRole(role, needed)) throw new ConsoleRefusal(403, `'${command}' needs the ${needed} role; you have ${role}`);
  if (NEEDS_NAME.has(command) && (typeof properties.name !== "string" || properties.name === "")) {
    throw new ConsoleRefusal(400, `'${command}' needs a watcher name`);
  }
  if (command === "set") {
    const options = properties.options;
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new ConsoleRefusal(400, "'set' needs an options object");
    }
    for (const key of Object.keys(options)) {
      const keyRole = roleForSetKey(key);
      if (!hasRole(role, keyRole)) {
        throw new ConsoleRefusal(403, `changing '${key}' needs the ${keyRole} role; you have ${role}`);
      }
    }
  }
  const out: JsonObject = { ...properties };
  if (command === "start" || command === "stop" || command === "restart") out.match = "simple" as Json;
  return out;
}
