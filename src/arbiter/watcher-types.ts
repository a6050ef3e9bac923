// The shapes a watcher exchanges with its surroundings: its context (what the arbiter provides) and
// the results of its operations, as the protocol layer returns them.

import type { WatcherConfig } from "../config/types.ts";
import type { EventBus } from "./bus.ts";
import type { OutputSink } from "./process.ts";
import type { Watcher } from "./watcher.ts";

export type WatcherState = "stopped" | "starting" | "active" | "stopping";

/** What a watcher needs from its surroundings (the arbiter, or a test). */
export interface WatcherContext {
  bus: EventBus;
  /** Passed to hooks as `arbiter`. */
  arbiter: unknown;
  /** Control endpoint, for command hooks (CIRCUS_ENDPOINT). */
  endpoint: string;
  hooksTimeoutMs: number;
  /** Upper bound of the crash-loop respawn delay (the daemon's check_delay). */
  checkDelayMs: number;
  /** Socket fds offered to one spawn; `release` closes per-spawn (so_reuseport) sockets in the daemon. */
  acquireSockets(cfg: WatcherConfig): Promise<{ fds: Map<string, number>; release(): void }>;
  /** Where the output of this watcher's processes goes (default: the daemon's stdout/stderr). */
  output?(watcher: Watcher): OutputSink;
}

export interface ProcessInfo {
  pid: number;
  wid: number;
  /** Spawn time, epoch seconds. */
  started: number;
  /** Seconds since spawn. */
  age: number;
  cmd: string;
}

export interface StartResult {
  started: number[];
  kept: number[];
}

export interface ReloadResult {
  stopped: number[];
  started: number[];
  kept: number[];
}

export interface KillOptions {
  pid?: number;
  signum?: number;
  gracefulTimeout?: number;
}
