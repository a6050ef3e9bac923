// Circus's default watcher and daemon options, so a library user (or a test) can describe a watcher with
// just a name and a command (Circus's get_arbiter). The defaults themselves live in the config schema,
// one table for files, the wire and the library.

import { CIRCUS_DEFAULTS, WATCHER_DEFAULTS } from "../config/schema.ts";
import type { CircusOptions, WatcherConfig } from "../config/types.ts";

export type WatcherInput = Partial<WatcherConfig> & { name: string; cmd: string };

/** A full WatcherConfig from a partial one, using Circus 0.19's defaults (§1.4). */
export function watcherDefaults(input: WatcherInput): WatcherConfig {
  return {
    ...WATCHER_DEFAULTS,
    rlimits: {},
    stdout_stream: null,
    stderr_stream: null,
    hooks: {},
    env: {},
    free: {},
    source: null,
    ...input,
  };
}

/** Circus 0.19's `[circus]` defaults (§1.3), plus ours (`tail_lines`, `hooks_timeout`). */
export function circusDefaults(input: Partial<CircusOptions> = {}): CircusOptions {
  return { ...CIRCUS_DEFAULTS, ...input };
}
