// Which numbers of Circus's replies and events are Python floats, so the wire writes them as Python's
// json does (`"time": 1700000000.0`, `"graceful_timeout": 30.0`, `"cpu": 0.0`) and a Python client reads
// a float where circusd sent one: the envelope's and events' `time`, the figures of process infos, and
// the options whose table kind is float.

import { isFloatOption } from "../config/options/floats.ts";
import type { FloatRule } from "../util/pyjson.ts";
import { pyJsonDumps } from "../util/pyjson.ts";

/** Keys that hold a float wherever they appear (envelope, events, process infos, `last_exit`). */
const FLOAT_KEYS: ReadonlySet<string> = new Set(["time", "cpu", "mem", "age", "started", "create_time"]);

/** The float rule of every reply and event payload. */
export const circusFloats: FloatRule = (path) => {
  const key = path.at(-1);
  if (key === undefined) return false;
  // `options` of options/get (watcher table) and globaloptions ([circus] table).
  if (path.length === 2 && path[0] === "options") return isFloatOption(key);
  return FLOAT_KEYS.has(key);
};

/** A reply or event payload as circusd's `json.dumps` writes it. */
export function circusJson(value: unknown): string {
  return pyJsonDumps(value, circusFloats);
}
