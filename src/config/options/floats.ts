// Which option values are Python floats in Circus (`graceful_timeout`, `check_delay`), read from the
// option tables' kinds, so the wire can write them with their `.0`.

import { CIRCUS_OPTIONS } from "./circus.ts";
import { float } from "./kinds.ts";
import { specOf } from "./spec.ts";
import { watcherOption } from "./watcher.ts";

/** True when `key` of a watcher (`options`, `get`) or of `[circus]` (`globaloptions`) holds a float. */
export function isFloatOption(key: string): boolean {
  return watcherOption(key)?.kind === float || specOf(CIRCUS_OPTIONS, key)?.kind === float;
}
