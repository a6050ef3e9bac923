// The part of the arbiter the control commands drive, as a structural type: commands depend on this
// surface only, so they are testable against a fake and the real `Arbiter` satisfies it as written.

import type { KillOptions, ProcessInfo, ReloadResult, SignalOptions, StartResult } from "../arbiter/index.ts";
import type { CircusConfig, CircusOptions, WatcherConfig } from "../config/types.ts";

export type { ReloadResult, StartResult } from "../arbiter/index.ts";

/** One live process of a watcher, as much of it as the commands read. */
export type ProcessEntry = Pick<ProcessInfo, "pid" | "wid" | "started">;

/** What `listsockets` reads of a socket: looser than the arbiter's CircusSocket (address parts optional). */
export interface SocketEntry {
  fd: number;
  name: string;
  host?: string | null;
  port?: number | null;
  path?: string | null;
  backlog: number;
}

export interface ControlledWatcher {
  readonly name: string;
  status(): string;
  start(): Promise<StartResult>;
  stop(): Promise<unknown>;
  restart(): Promise<ReloadResult | StartResult | unknown>;
  reload(opts: { graceful: boolean; sequential: boolean }): Promise<ReloadResult>;
  incr(nb: number): Promise<number>;
  decr(nb: number): Promise<number>;
  kill(opts: KillOptions): Promise<unknown>;
  signal(opts: SignalOptions): unknown;
  options(): Record<string, unknown>;
  setOption(key: string, value: unknown): Promise<unknown>;
  /** All keys at once with a single follow-up reload/manage (preferred over setOption when present). */
  setOptions?(options: Record<string, unknown>): Promise<unknown>;
  processes(): ProcessEntry[];
  /** Run the extended_stats hook on one process's info object (`stats --extended`). */
  extendedStats?(pid: number, stats: Record<string, unknown>): Promise<void>;
  /** Where its processes write: under the daemon a WatcherOutput, whose tail buffer `logs` reads. */
  readonly output?: unknown;
}

export interface ControlledArbiter {
  watchers(): readonly ControlledWatcher[];
  getWatcher(name: string): ControlledWatcher | undefined | null;
  sockets(): Map<string, SocketEntry> | Record<string, SocketEntry> | Iterable<SocketEntry>;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  addWatcher(cfg: WatcherConfig, opts: { start: boolean }): Promise<unknown>;
  removeWatcher(name: string, opts: { nostop: boolean }): Promise<unknown>;
  reload(opts: { graceful: boolean; sequential: boolean }): Promise<unknown>;
  reloadConfig(config: CircusConfig): Promise<unknown>;
  /** Full restart; with `config`, rebuilt from that (re-read) configuration. */
  restart(config?: CircusConfig): Promise<unknown>;
  numprocesses(): number;
  globalOptions(): CircusOptions | Record<string, unknown>;
}
