// `circus ctl set` value conversion: each word is read by its key's kind in the watcher table, the same
// parse a config file uses, and sent in the shape circusctl sends (§2.3).

import { CtlValueError, ctlSetValue } from "../../config/options/watcher-wire.ts";
import type { Json, JsonObject } from "../../protocol/command.ts";

/** A key/value the CLI cannot convert; circusctl exits with an argument error for these. */
export { CtlValueError as SetValueError };

/** Convert one `set` value from text as circusctl does; `key` must already be lower-cased. */
export function convertSetValue(key: string, value: string): Json {
  return ctlSetValue(key, value);
}

/** Turn `<key> <value> [<key> <value> …]` into the `options` object (keys lower-cased). */
export function setOptions(pairs: string[]): JsonObject {
  if (pairs.length === 0 || pairs.length % 2 !== 0) {
    throw new CtlValueError("List of key/values is invalid: give <key> <value> pairs, e.g. `set web numprocesses 3`");
  }
  const options: JsonObject = {};
  for (let i = 0; i < pairs.length; i += 2) {
    // The even-length check above gives every key its value.
    const key = pairs[i]!.toLowerCase();
    Object.defineProperty(options, key, {
      value: convertSetValue(key, pairs[i + 1]!),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return options;
}
