// The fallback source of `circus top`: when no stat.* message arrives, ask the daemon's control
// channel for `stats`, `dstats` and `listsockets` once a second and fill the same model.

import type { CircusClient } from "../../protocol/client.ts";
import type { TopModel } from "./model.ts";

const CIRCUS_ROLES = new Set(["circusd-stats", "circushttpd"]);

type Info = Record<string, unknown>;

const fig = (v: unknown): number | string => (typeof v === "number" || typeof v === "string" ? v : "N/A");

/** One poll round; throws with the reason when the daemon does not answer. */
export async function pollControl(client: CircusClient, model: TopModel, now = Date.now()): Promise<void> {
  const [stats, dstats, sockets] = await Promise.all([
    client.call("stats"),
    client.call("dstats"),
    client.call("listsockets"),
  ]);
  if (stats.status !== "ok") throw new Error(String(stats.reason));
  for (const [watcher, infos] of Object.entries((stats.infos ?? {}) as Record<string, Record<string, Info | string>>)) {
    const role = CIRCUS_ROLES.has(watcher) ? watcher : null;
    for (const info of Object.values(infos ?? {})) {
      if (typeof info !== "object" || info === null) continue; // "No such process (stopped?)"
      model.setRow(role ? "circus" : watcher, {
        pid: Number(info.pid),
        cpu: fig(info.cpu),
        mem: fig(info.mem),
        age: fig(info.age),
        role,
        seenAt: now,
      });
    }
  }
  const d = dstats.info as Info | undefined;
  if (dstats.status === "ok" && typeof d === "object" && d !== null) {
    model.setRow("circus", {
      pid: Number(d.pid),
      cpu: fig(d.cpu),
      mem: fig(d.mem),
      age: fig(d.age),
      role: "circusd",
      seenAt: now,
    });
  }
  if (sockets.status === "ok" && Array.isArray(sockets.sockets)) {
    for (const s of sockets.sockets as Info[]) {
      const address = typeof s.path === "string" ? s.path : `${s.host}:${s.port}`;
      model.sockets.set(Number(s.fd), { fd: Number(s.fd), address, reads: null, seenAt: now });
    }
  }
  model.lastData = now;
}
