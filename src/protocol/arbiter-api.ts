// The part of the arbiter the control commands drive, typed with the arbiter's own shapes: commands
// depend on this surface only, the real `Arbiter` and `Watcher` satisfy it as written, and the test
// fake implements the same contract (test/protocol/control-contract.ts runs the same cases on both).

import type {
  CircusSocket,
  ExitState,
  GlobalOptions,
  KillOptions,
  OutputSink,
  ProcessInfo,
  ReloadConfigSummary,
  ReloadResult,
  SignalOptions,
  StartResult,
  WatcherOrder,
  WatcherState,
} from "../arbiter/index.ts";
import type { WireValue } from "../config/options/spec.ts";
import type { CircusConfig, WatcherConfig } from "../config/types.ts";

export type { ReloadResult, StartResult, WatcherOrder } from "../arbiter/index.ts";

/** One live process of a watcher, as much of it as the commands read. */
export type ProcessEntry = Pick<ProcessInfo, "pid" | "wid" | "started" | "restarts" | "lastExit">;

/** What `listsockets` reads of a bound socket. */
export type SocketEntry = Pick<CircusSocket, "fd" | "name" | "host" | "port" | "path" | "backlog">;

export interface ControlledWatcher {
  readonly name: string;
  /** The live configuration (read-only here: changes go through setOptions). */
  readonly config: Readonly<WatcherConfig>;
  /** Where its processes write; under the daemon it keeps the `tail` that `logs` reads. */
  readonly output: OutputSink;
  status(): WatcherState;
  /** Why spawning gave up, restarts, the last exit and exits by reason (keys beyond Circus in status/stats). */
  exitState(): ExitState;
  start(): Promise<StartResult>;
  /** `gaveUp`: this stop means the watcher gives up (the Flapping plugin's last stop), and why. */
  stop(opts?: { gaveUp?: string }): Promise<void>;
  restart(): Promise<ReloadResult>;
  reload(opts: { graceful: boolean; sequential: boolean }): Promise<ReloadResult>;
  /** The new target process count. */
  incr(nb: number): Promise<number>;
  decr(nb: number): Promise<number>;
  kill(opts: KillOptions): Promise<void>;
  signal(opts: SignalOptions): Promise<void>;
  /** Every option as `get`/`options` report it, free options included. */
  options(): Record<string, WireValue>;
  /** Apply validated options at once, with a single follow-up reload/manage. */
  setOptions(options: Record<string, unknown>): Promise<void>;
  processes(): ProcessEntry[];
  /** The pids alone, in spawn order (`list NAME` at 10 000 workers need not build 10 000 entries). */
  pids?(): number[];
  /** Run the extended_stats hook on one process's info object (`stats --extended`). */
  extendedStats(pid: number, stats: Record<string, unknown>): Promise<void>;
}

export interface ControlledArbiter {
  /** The configuration running now (its `file` is what `reloadconfig` re-reads by default). */
  readonly config: CircusConfig;
  /** Sorted by lower-cased name, or in creation order (config watchers by name, internal ones, then `add`ed). */
  watchers(order?: WatcherOrder): readonly ControlledWatcher[];
  /** Case-insensitive. */
  getWatcher(name: string): ControlledWatcher | undefined;
  sockets(): readonly SocketEntry[];
  start(): Promise<void>;
  stop(): Promise<void>;
  addWatcher(cfg: WatcherConfig, opts: { start: boolean }): Promise<ControlledWatcher>;
  removeWatcher(name: string, opts: { nostop: boolean }): Promise<void>;
  reload(opts: { graceful: boolean; sequential: boolean }): Promise<void>;
  reloadConfig(config: CircusConfig): Promise<ReloadConfigSummary>;
  /** Full restart; with `config`, rebuilt from that (re-read) configuration. */
  restart(config?: CircusConfig): Promise<void>;
  numprocesses(): number;
  globalOptions(): GlobalOptions;
}
