// Creating one worker for a watcher: pick its wid slot, gather the sockets it inherits, build the exec
// plan (through the launcher when needed) and spawn it. Hooks and events stay with the watcher.

import type { WatcherConfig } from "../config/types.ts";
import { wrapWithLauncher } from "./launch.ts";
import { INHERIT_OUTPUT, WorkerProcess, type OutputSink } from "./process.ts";
import { buildSpawnPlan } from "./spawnplan.ts";
import type { WatcherContext } from "./watcher-types.ts";

/**
 * The wid slots of one watcher (§9.9): the smallest free slot in 1…2×numprocesses, found in constant
 * time while a watcher fills its slots in order, however many processes it has.
 */
export class WidSlots {
  private readonly used = new Set<number>();
  /** Every slot below this one is taken. */
  private lowestFree = 1;

  /** Take the smallest free slot, or null when all of 1…2×numprocesses are taken. */
  take(numprocesses: number): number | null {
    for (let wid = this.lowestFree; wid <= 2 * numprocesses; wid++) {
      if (this.used.has(wid)) continue;
      this.used.add(wid);
      this.lowestFree = wid + 1;
      return wid;
    }
    return null;
  }

  /** Take slot `wid` itself (a worker adopted after a daemon upgrade keeps its wid). */
  claim(wid: number): void {
    this.used.add(wid);
    while (this.used.has(this.lowestFree)) this.lowestFree++;
  }

  release(wid: number): void {
    this.used.delete(wid);
    if (wid < this.lowestFree) this.lowestFree = wid;
  }

  clear(): void {
    this.used.clear();
    this.lowestFree = 1;
  }
}

/** Spawn the worker for slot `wid`; throws SpawnError (or a users/launcher error) when it cannot start. */
export async function launchWorker(
  cfg: WatcherConfig,
  wid: number,
  ctx: Pick<WatcherContext, "acquireSockets">,
  output: OutputSink = INHERIT_OUTPUT,
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  const sockets = await ctx.acquireSockets(cfg);
  try {
    const plan = await wrapWithLauncher(buildSpawnPlan(cfg, wid, sockets.fds, extraEnv), cfg);
    return WorkerProcess.spawn(plan, wid, output);
  } finally {
    // The child holds its own copies now; per-spawn sockets must not pile up in the daemon.
    sockets.release();
  }
}
