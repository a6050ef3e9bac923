// Creating one worker for a watcher: pick its wid slot, gather the sockets it inherits, build the exec
// plan (through the launcher when needed) and spawn it. Hooks and events stay with the watcher.

import type { WatcherConfig } from "../config/types.ts";
import { wrapWithLauncher } from "./launch.ts";
import { INHERIT_OUTPUT, WorkerProcess, type OutputSink } from "./process.ts";
import { buildSpawnPlan } from "./spawnplan.ts";
import type { WatcherContext } from "./watcher-types.ts";

/** Smallest slot in 1…2×numprocesses not held by a tracked process (§9.9); null when all are taken. */
export function freeWid(procs: Iterable<WorkerProcess>, numprocesses: number): number | null {
  const used = new Set([...procs].map((p) => p.wid));
  for (let wid = 1; wid <= 2 * numprocesses; wid++) if (!used.has(wid)) return wid;
  return null;
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
