// Control-channel messages: parse one request frame into a typed request (or a typed error), and
// build the reply envelopes of Circus §3 — `{status, time, id, …}` and `{status:"error", reason, …}`.

import type { CommandResult, Json, JsonObject, Reply } from "./command.ts";
import { CommandError, Errno } from "./errors.ts";
import { epochSeconds } from "../arbiter/bus.ts";
import { circusJson } from "./floats.ts";

/** A request that parsed: `command` is lower-cased, `properties` defaults to `{}`. */
export interface Request {
  /** As sent, whatever its JSON type (42 stays 42), echoed in the reply; null when absent. */
  id: Json;
  command: string;
  properties: JsonObject;
  /** The command as sent (case kept), for error messages. */
  commandAsSent: string;
  /** `msg_type: "cast"`: fire-and-forget, never answered. */
  cast: boolean;
  /** The body as received, for errno-5 reasons (`command <request>: <message>`). */
  raw: string;
}

/** A request that did not parse; `id`/`cast` are known when the JSON itself was readable. */
export interface BadRequest {
  error: CommandError;
  id: Json;
  cast: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Parse a request body; never throws. */
export function parseRequest(body: Uint8Array | string): Request | BadRequest {
  let text: string;
  try {
    text = typeof body === "string" ? body : decoder.decode(body);
  } catch {
    return bad(Errno.INVALID_JSON, "json invalid", null, false);
  }
  if (text.trim() === "") return bad(Errno.INVALID_JSON, "json invalid: empty message", null, false);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad(Errno.INVALID_JSON, "json invalid", null, false);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return bad(Errno.INVALID_JSON, "json invalid: the message must be a JSON object", null, false);
  }
  const msg = value as Record<string, unknown>;
  const cast = msg.msg_type === "cast";
  // Circus echoes the `id` as sent, whatever its type: a client matching 42 must get 42, not "42".
  const id = (msg.id ?? null) as Json;
  if (msg.command === undefined || msg.command === null || msg.command === "") {
    return bad(Errno.MESSAGE_ERROR, "message invalid 'command' is missing", id, cast);
  }
  if (typeof msg.command !== "string") {
    return bad(Errno.MESSAGE_ERROR, "message invalid 'command' must be a string", id, cast);
  }
  let properties: JsonObject = {};
  if (msg.properties !== undefined && msg.properties !== null) {
    if (typeof msg.properties !== "object" || Array.isArray(msg.properties)) {
      return bad(Errno.MESSAGE_ERROR, "message invalid 'properties' must be an object", id, cast);
    }
    properties = msg.properties as JsonObject;
  }
  return { id, command: msg.command.toLowerCase(), commandAsSent: msg.command, properties, cast, raw: text };
}

export function isBadRequest(r: Request | BadRequest): r is BadRequest {
  return (r as BadRequest).error !== undefined;
}

function bad(errno: Errno, reason: string, id: Json, cast: boolean): BadRequest {
  return { error: new CommandError(errno, reason), id, cast };
}

/**
 * The ok envelope, keys in Circus's order (`status`, `time`, the result, `id`). Result fields are merged
 * over `status/time` as Circus's `dict.update` does, which is why `status <name>` replaces `status`
 * with the watcher state.
 */
export function okReply(id: Json, result?: CommandResult): Reply {
  const reply = { status: "ok", time: epochSeconds() } as Reply;
  if (result) for (const key in result) if (result[key] !== undefined) reply[key] = result[key] as Json;
  reply.id = id;
  return reply;
}

/** The error envelope, in Circus's key order; `tb` carries detail Circus would put in a traceback (or null). */
export function errorReply(id: Json, errno: number, reason: string, tb: string | null = null): Reply {
  return { status: "error", reason, tb, time: epochSeconds(), errno, id };
}

/** Serialize a reply into the single frame sent back, as circusd's json.dumps writes it. */
export function encodeReply(reply: Reply): Uint8Array {
  return encoder.encode(circusJson(reply));
}

/** Serialize a request as circusctl does (used by tests and clients). */
export function encodeRequest(command: string, properties: JsonObject = {}, id?: string, cast = false): Uint8Array {
  const msg: JsonObject = { command, properties };
  if (id !== undefined) msg.id = id;
  if (cast) msg.msg_type = "cast";
  return encoder.encode(JSON.stringify(msg));
}
