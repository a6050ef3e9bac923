// Circus's default watcher and daemon options, so a library user (or a test) can describe a watcher with
// just a name and a command (Circus's get_arbiter). The defaults themselves come from the option tables.

import { CIRCUS_DEFAULTS } from "../config/options/circus.ts";
import { newWatcherConfig } from "../config/options/watcher.ts";
import type { CircusOptions, WatcherConfig } from "../config/types.ts";

export type WatcherInput = Partial<WatcherConfig> & { name: string; cmd: string };

/** A full WatcherConfig from a partial one, using Circus 0.19's defaults (§1.4). */
export function watcherDefaults(input: WatcherInput): WatcherConfig {
  return newWatcherConfig(input);
}

/** Circus 0.19's `[circus]` defaults (§1.3), plus ours (`tail_lines`, `hooks_timeout`). */
export function circusDefaults(input: Partial<CircusOptions> = {}): CircusOptions {
  return { ...CIRCUS_DEFAULTS, ...input };
}
