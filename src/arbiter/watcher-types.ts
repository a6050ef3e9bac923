// The shapes a watcher exchanges with its surroundings: its context (what the arbiter provides) and
// the results of its operations, as the protocol layer returns them.

import type { WatcherConfig } from "../config/types.ts";
import type { EventBus } from "./bus.ts";
import type { LastExit } from "./exits.ts";
import type { SpawnSocket } from "./sockets.ts";
import type { OutputSink } from "./process.ts";
import type { Watcher } from "./watcher.ts";
import type { RespawnTiming } from "./backoff.ts";

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
  /** Sockets offered to one spawn by name; `release` closes per-spawn (so_reuseport) sockets in the daemon. */
  acquireSockets(cfg: WatcherConfig): Promise<{ fds: Map<string, SpawnSocket>; release(): void }>;
  /**
   * Open where this watcher's processes write (streams, tail buffer): at creation and when stream options
   * change; `previous` is the output being replaced (its tail can carry over). Default: the daemon's stdout/stderr.
   */
  openOutput?(cfg: WatcherConfig, previous?: OutputSink): Promise<OutputSink>;
  /** Aborted when the daemon stops: warmup pauses end at once and no process is started or replaced. */
  shutdown?: AbortSignal;
  /** Before a start: start what `w` depends on and wait until it is ready (the arbiter's `depends_on`). */
  startDependencies?(w: Watcher): Promise<void>;
  /** `w` gave up (decisions §1: max_retry exhausted with nothing running, or Flapping's last stop), and why. */
  gaveUp?(w: Watcher, why: string): void;
  /** Where spawns and exits are recorded for a daemon restarted after a crash (worker-journal.ts). */
  journal?: WorkerJournalSink;
  /**
   * The clock (epoch ms) of max_age and the respawn delays; default Date.now. It must run with real time
   * (process start times are Date.now): tests add an offset to age workers without waiting.
   */
  now?: () => number;
  /** The respawn delays' constants; default RESPAWN_TIMING (tests pass smaller ones). */
  respawnTiming?: Readonly<RespawnTiming>;
}

/** The part of the worker journal a watcher writes to. */
export interface WorkerJournalSink {
  added(watcher: string, worker: { pid: number; wid: number; argv: string[]; startedMs: number }): void;
  removed(pid: number): void;
}

export interface ProcessInfo {
  pid: number;
  wid: number;
  /** Spawn time, epoch seconds. */
  started: number;
  /** Seconds since spawn. */
  age: number;
  cmd: string;
  /** Times its wid slot's process died on its own and was replaced. */
  restarts: number;
  /** The exit of the slot's previous process, or null. */
  lastExit: LastExit | null;
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
