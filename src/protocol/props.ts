// Readers for request properties: each returns the typed value or throws errno 3 naming the field,
// so a bad value (`nb: "abc"`, an unknown signal) is never silently turned into an ok.

import { signalNumber } from "../os/signals.ts";
import type { Json, JsonObject } from "./command.ts";
import { messageError } from "./errors.ts";

function show(v: Json | undefined): string {
  return JSON.stringify(v) ?? "undefined";
}

function absent(v: Json | undefined): boolean {
  return v === undefined || v === null;
}

/** A required non-empty string (Circus: `message invalid '<prop>' is missing`). */
export function requireString(props: JsonObject, key: string): string {
  const v = props[key];
  if (absent(v) || v === "") throw messageError(`message invalid '${key}' is missing`);
  if (typeof v !== "string") throw messageError(`message invalid '${key}' must be a string, got ${show(v)}`);
  return v;
}

/** An optional string; null/absent → undefined. */
export function optString(props: JsonObject, key: string): string | undefined {
  const v = props[key];
  if (absent(v)) return undefined;
  if (typeof v !== "string") throw messageError(`message invalid '${key}' must be a string, got ${show(v)}`);
  return v;
}

/** A present property (any JSON but null). */
export function requireValue(props: JsonObject, key: string): Json {
  const v = props[key];
  if (absent(v)) throw messageError(`message invalid '${key}' is missing`);
  return v as Json;
}

/** An integer, also accepted as a digit string (circusctl sends some numbers as text). */
export function optInt(props: JsonObject, key: string, min?: number): number | undefined {
  const v = props[key];
  if (absent(v)) return undefined;
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) n = Number(v);
  else throw messageError(`message invalid '${key}' must be an integer, got ${show(v)}`);
  if (!Number.isSafeInteger(n)) throw messageError(`message invalid '${key}' must be an integer, got ${show(v)}`);
  if (min !== undefined && n < min) throw messageError(`message invalid '${key}' must be >= ${min}, got ${n}`);
  return n;
}

/** A number (int or float), also accepted as numeric text. */
export function optNumber(props: JsonObject, key: string, min?: number): number | undefined {
  const v = props[key];
  if (absent(v)) return undefined;
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) n = Number(v);
  else throw messageError(`message invalid '${key}' must be a number, got ${show(v)}`);
  if (!Number.isFinite(n)) throw messageError(`message invalid '${key}' must be a number, got ${show(v)}`);
  if (min !== undefined && n < min) throw messageError(`message invalid '${key}' must be >= ${min}, got ${n}`);
  return n;
}

/** A boolean; absent/null → `fallback`. Only JSON booleans are accepted. */
export function optBool(props: JsonObject, key: string, fallback: boolean): boolean {
  const v = props[key];
  if (absent(v)) return fallback;
  if (typeof v !== "boolean") throw messageError(`message invalid '${key}' must be true or false, got ${show(v)}`);
  return v;
}

/** An optional list of strings. */
export function optStringList(props: JsonObject, key: string): string[] | undefined {
  const v = props[key];
  if (absent(v)) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw messageError(`message invalid '${key}' must be a list of strings, got ${show(v)}`);
  }
  return v as string[];
}

/** An optional JSON object. */
export function optObject(props: JsonObject, key: string): JsonObject | undefined {
  const v = props[key];
  if (absent(v)) return undefined;
  if (typeof v !== "object" || Array.isArray(v))
    throw messageError(`message invalid '${key}' must be an object, got ${show(v)}`);
  return v as JsonObject;
}

/** A signal given as a number or a name (`TERM`, `SIGTERM`, `15`); Circus says `signal invalid`. */
export function toSignal(v: Json | undefined): number {
  if (typeof v !== "number" && typeof v !== "string") throw messageError("signal invalid");
  try {
    const n = signalNumber(v);
    if (n === 0) throw messageError("signal invalid");
    return n;
  } catch {
    throw messageError("signal invalid");
  }
}

/** An optional signal property. */
export function optSignal(props: JsonObject, key: string): number | undefined {
  const v = props[key];
  return absent(v) ? undefined : toSignal(v);
}

/** `waiting`, read by the controller for every command. */
export function readWaiting(props: JsonObject): boolean {
  return optBool(props, "waiting", false);
}
