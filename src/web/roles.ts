// Who may do what in the web console (decisions §4): `read` only looks; `operate` acts on the
// watchers that exist (start, stop, resize, kill, and `set` of the keys the watcher table marks
// `tuning`: how many run, how they stop); only `admin` changes what runs or as whom (`add`, `rm`, and
// `set` of cmd, args, env, uid, gid, hooks, streams…).

import { WATCHER_OPTIONS, watcherOption } from "../config/options/watcher.ts";
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
 * The role needed to `set` `key`: operate for the watcher table's tuning keys, admin for any other
 * (cmd, env, hooks.*, stdout_stream.*, free options).
 */
export function roleForSetKey(key: string): WebRole {
  return watcherOption(key)?.tuning ? "operate" : "admin";
}

/** Options a watcher page offers to edit: those `options` lists and `set` applies, with each one's role. */
const EDITABLE: Readonly<Record<string, WebRole>> = Object.fromEntries(
  Object.entries(WATCHER_OPTIONS)
    .filter(([, spec]) => spec.listed !== undefined && (spec.set === "manage" || spec.set === "reload"))
    .map(([key]) => [key, roleForSetKey(key)]),
);

/** Editable options shown on a watcher page, with the role needed to change each. */
export function editableOptions(): Readonly<Record<string, WebRole>> {
  return EDITABLE;
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
