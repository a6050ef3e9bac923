// What `circus top` asks the control channel: every watcher's state (always), and when no stat.*
// message arrives, `stats`, `dstats` and `listsockets` once a second to fill the same model.

import type { CircusClient } from "../../protocol/client.ts";
import { CIRCUS_TOOL_WATCHERS, rowOf, type TopModel } from "./model.ts";

type Info = Record<string, unknown>;

/** Each watcher's state (and restarts, when the daemon counts them); throws when the daemon does not answer. */
export async function pollWatchers(client: CircusClient, model: TopModel): Promise<void> {
  const status = await client.call("status");
  if (status.status !== "ok") throw new Error(String(status.reason));
  model.watchers.clear();
  // `details` (per watcher: restarts, last_exit…) comes from daemons that keep exit history.
  const details = (status.details ?? {}) as Record<string, { restarts?: unknown } | undefined>;
  for (const [name, state] of Object.entries((status.statuses ?? {}) as Record<string, unknown>)) {
    if (CIRCUS_TOOL_WATCHERS.has(name)) continue; // shown in the `circus` group, not as an empty one
    const restarts = Object.hasOwn(details, name) ? details[name]?.restarts : undefined;
    model.watchers.set(name, { state: String(state), restarts: typeof restarts === "number" ? restarts : null });
  }
}

/** One poll round of the figures; throws with the reason when the daemon does not answer. */
export async function pollControl(client: CircusClient, model: TopModel, now = Date.now()): Promise<void> {
  const [stats, dstats, sockets] = await Promise.all([
    client.call("stats"),
    client.call("dstats"),
    client.call("listsockets"),
  ]);
  if (stats.status !== "ok") throw new Error(String(stats.reason));
  for (const [watcher, infos] of Object.entries((stats.infos ?? {}) as Record<string, Record<string, Info | string>>)) {
    const role = CIRCUS_TOOL_WATCHERS.has(watcher) ? watcher : null;
    for (const info of Object.values(infos ?? {})) {
      if (typeof info !== "object" || info === null) continue; // "No such process (stopped?)"
      model.setRow(role ? "circus" : watcher, rowOf(Number(info.pid), info, role, now));
    }
  }
  const d = dstats.info as Info | undefined;
  if (dstats.status === "ok" && typeof d === "object" && d !== null) {
    model.setRow("circus", rowOf(Number(d.pid), d, "circusd", now));
  }
  if (sockets.status === "ok" && Array.isArray(sockets.sockets)) {
    for (const s of sockets.sockets as Info[]) {
      const address = typeof s.path === "string" ? s.path : `${s.host}:${s.port}`;
      model.sockets.set(Number(s.fd), { fd: Number(s.fd), address, reads: null, seenAt: now });
    }
  }
  model.lastData = now;
}
