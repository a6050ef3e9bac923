// The `signal` command's targeting rules (§2.2): the process itself (through the watcher's signal
// hooks) and optionally its descendants, or only its direct children, or one given child.

import { childrenOf, descendantsOf } from "../os/process.ts";
import { OperationError } from "./errors.ts";
import type { WorkerProcess } from "./process.ts";
import { kill } from "./stop.ts";

export interface SignalOptions {
  signum: number;
  pid?: number;
  childpid?: number;
  children?: boolean;
  recursive?: boolean;
}

export interface SignalScope {
  watcherName: string;
  /** Live managed processes, in spawn order. */
  live: WorkerProcess[];
  managed(pid: number): WorkerProcess | undefined;
  /** Signal a managed process through before_signal/after_signal. */
  signalProcess(proc: WorkerProcess, signum: number): Promise<void>;
}

export async function sendSignal(opts: SignalOptions, scope: SignalScope): Promise<void> {
  if (opts.childpid !== undefined && opts.pid === undefined) throw new OperationError("childpid requires pid");
  const pids = opts.pid === undefined ? scope.live.map((p) => p.pid) : [opts.pid];
  for (const pid of pids) {
    const proc = scope.managed(pid);
    // Only a managed process's children may be targeted: never those of some other process on the host.
    if ((opts.childpid !== undefined || opts.children) && proc === undefined) {
      throw new OperationError(`process ${pid} is not managed by ${scope.watcherName}`);
    }
    if (opts.childpid !== undefined) {
      if (!childrenOf(pid).includes(opts.childpid))
        throw new OperationError(`${opts.childpid} is not a child of ${pid}`);
      kill(opts.childpid, opts.signum);
    } else if (opts.children) {
      for (const child of childrenOf(pid)) kill(child, opts.signum);
    } else if (proc !== undefined) {
      // Listed first: once the process reacts its children may be re-parented out of sight.
      const descendants = opts.recursive ? descendantsOf(pid) : [];
      await scope.signalProcess(proc, opts.signum);
      for (const d of descendants) kill(d, opts.signum);
    }
    // An unmanaged pid without children/childpid is ignored silently, as in Circus.
  }
}
