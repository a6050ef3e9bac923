// The stop procedure for one process (§9.2): stop signal (through the watcher's signal hooks), optionally
// to its direct children too, wait up to graceful_timeout for the exit (event-driven), then SIGKILL.
// Unlike Circus, the worker's whole process group is swept with SIGKILL at the end, so grandchildren
// never outlive a stop (circus#1044).

import { childrenOf, descendantsOf, kill as rawKill, killProcessGroup } from "../os/process.ts";
import { getLogger } from "../util/log.ts";
import { SIGKILL } from "../os/signals.ts";
import { settlesWithin } from "../util/async.ts";
import type { WorkerProcess } from "./process.ts";

const log = getLogger("circus.stop");

export interface StopOptions {
  signum: number;
  gracefulTimeoutMs: number;
  stopChildren: boolean;
}

/** How the watcher sends signals: to the process through before/after_signal hooks, and `kill` events. */
export interface StopCallbacks {
  /** Signal the process itself through the hooks; emits `kill`. SIGKILL must never be vetoed. */
  signalProcess(proc: WorkerProcess, signum: number): Promise<void>;
  /** A child (not a managed process) was signalled: emit `kill` for it. */
  childSignalled(pid: number): void;
}

/** Stop `proc`; concurrent calls join the running procedure. Resolves once the process has exited. */
export function stopProcess(proc: WorkerProcess, opts: StopOptions, cb: StopCallbacks): Promise<void> {
  proc.stopping ??= runStop(proc, opts, cb);
  return proc.stopping;
}

async function runStop(proc: WorkerProcess, opts: StopOptions, cb: StopCallbacks): Promise<void> {
  if (proc.alive) {
    // Children are listed before the signal: once the parent dies they are re-parented and invisible.
    const children = opts.stopChildren ? childrenOf(proc.pid) : [];
    await cb.signalProcess(proc, opts.signum);
    for (const child of children) if (kill(child, opts.signum)) cb.childSignalled(child);

    if (!(await exitsWithin(proc, opts.gracefulTimeoutMs))) {
      const descendants = descendantsOf(proc.pid);
      await cb.signalProcess(proc, SIGKILL);
      for (const pid of descendants) if (kill(pid, SIGKILL)) cb.childSignalled(pid);
    }
  }
  // pgid = pid (setsid at spawn): whatever is left of the group dies with its leader.
  try {
    killProcessGroup(proc.pid, SIGKILL);
  } catch (err) {
    log.warning(`cannot sweep process group ${proc.pid}: ${(err as Error).message}`);
  }
  await proc.exited;
}

/** kill(2) that reports failure (EPERM, …) in the log instead of aborting a stop. */
export function kill(pid: number, signum: number): boolean {
  try {
    return rawKill(pid, signum);
  } catch (err) {
    log.warning((err as Error).message);
    return false;
  }
}

/** True when the process exits within `ms`. */
function exitsWithin(proc: WorkerProcess, ms: number): Promise<boolean> {
  return proc.alive ? settlesWithin(proc.exited, ms) : Promise.resolve(true);
}
