// Decides how a SpawnPlan is executed when it needs more than Bun.spawn offers: rlimits, a full user
// switch (setgroups/initgroups + setgid + setuid) and a parent-death signal (stop_on_daemon_death) go
// through the `circus __exec` launcher of src/os, which applies them to itself and then execs the
// worker under the same pid.

import type { WatcherConfig } from "../config/types.ts";
import { buildLauncherCommand, openLaunchStatus, type LaunchSpec } from "../os/launcher.ts";
import { resolveGroup, resolveUser, supplementaryGroups } from "../os/users.ts";
import { SIGKILL } from "../os/signals.ts";
import { SpawnError } from "./errors.ts";
import type { SpawnPlan } from "./spawnplan.ts";

/** Resolve uid/gid at each spawn (an unknown user fails the spawn, as in Circus) and route through the launcher if needed. */
export async function wrapWithLauncher(plan: SpawnPlan, cfg: WatcherConfig): Promise<SpawnPlan> {
  const hasRlimits = Object.keys(cfg.rlimits).length > 0;
  if (!hasRlimits && cfg.uid === null && cfg.gid === null && !cfg.stop_on_daemon_death) return plan;
  const spec: LaunchSpec = { file: plan.file, argv: plan.argv, env: plan.env, rlimits: cfg.rlimits };
  if (cfg.stop_on_daemon_death) spec.parentDeath = { signal: SIGKILL, parentPid: process.pid };
  try {
    if (cfg.uid !== null) {
      const user = resolveUser(cfg.uid);
      spec.uid = user.uid;
      spec.gid = user.gid;
      // Circus's initgroups: the user's own supplementary groups, never the daemon's (often root's).
      spec.groups = supplementaryGroups(user.name, cfg.gid !== null ? resolveGroup(cfg.gid) : user.gid);
    }
    if (cfg.gid !== null) spec.gid = resolveGroup(cfg.gid);
  } catch (err) {
    throw new SpawnError((err as Error).message, { cause: err });
  }
  // The launcher reports a setup failure (setuid refused, rlimit too high, exec failing) on a pipe at
  // the first child fd above the sockets, so the daemon can tell it from the worker's own exit.
  const statusFd = Math.max(2, ...plan.fds.keys()) + 1;
  spec.statusFd = statusFd;
  const launcher = buildLauncherCommand(spec);
  const launchStatus = openLaunchStatus();
  return {
    ...plan,
    file: launcher.cmd[0]!,
    argv: launcher.cmd,
    env: launcher.env,
    shownArgv: plan.shownArgv,
    fds: new Map([...plan.fds, [statusFd, launchStatus.write]]),
    launchStatus,
    uid: null,
    gid: null,
  };
}
