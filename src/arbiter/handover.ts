// What the arbiter hands to the next daemon image in an upgrade (plain JSON data): per watcher its
// state, counters, spawn budget, `logs` tail and every worker with its output fds; per socket its fd.
// The daemon layer adds its own part (endpoints, the format version) and does the exec.

import type { SpawnBudgetState } from "./backoff.ts";
import type { ExitLedgerState, SlotHistory, StopReason } from "./exits.ts";
import type { HandedChannels } from "./process.ts";
import type { WatcherState } from "./watcher-types.ts";
import type { WatcherConfig } from "../config/types.ts";
import type { WorkerRecord } from "./worker-journal.ts";
import type { TailSnapshot } from "../streams/tail.ts";

/**
 * One running worker as handed over: the worker journal's record of it (pid, start time, command line,
 * watcher, wid, spawn time — the same plain data a restarted daemon reads) plus what the running
 * daemon knew of it beyond that, and its output fds.
 */
export interface HandedWorker extends WorkerRecord {
  history: SlotHistory;
  lastSignalMs: number | null;
  /** Set when its stop procedure was running: the next image stops it again, for the same reason. */
  stopping: StopReason | null;
  /** Its readiness probe had passed (or it has none). */
  ready: boolean;
  output: HandedChannels;
}

export interface HandedWatcher {
  name: string;
  /** The configuration it ran with (`set` changes included; a watcher added by `add` is not in the file). */
  config: WatcherConfig;
  /** The configuration as loaded, which `reloadconfig` compares with the file. */
  loaded: WatcherConfig;
  state: WatcherState;
  workers: HandedWorker[];
  ledger: ExitLedgerState;
  budget: SpawnBudgetState;
  tail: TailSnapshot | null;
}

/** A listening socket's name, fd and address: the fd stays open across the exec. */
export interface HandedSocket {
  name: string;
  fd: number;
  host: string;
  port: number;
  path: string | null;
  backlog: number;
}

export interface ArbiterHandover {
  watchers: HandedWatcher[];
  sockets: HandedSocket[];
}

/** Every fd a hand-over keeps open across the exec. */
export function handedFds(state: ArbiterHandover): number[] {
  const fds = state.sockets.map((s) => s.fd);
  for (const w of state.watchers) {
    for (const worker of w.workers) {
      if (worker.output.stdout) fds.push(worker.output.stdout.fd);
      if (worker.output.stderr) fds.push(worker.output.stderr.fd);
    }
  }
  return fds;
}
