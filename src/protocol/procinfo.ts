// circusctl's one-line rendering of a process-info object (§2.4), shared by `stats` and `dstats`.
// The figures themselves come from src/stats.

import { pyFloatRepr } from "../util/pyjson.ts";

/**
 * `pid  cmdline username nice mem_info1 mem_info2 cpu mem ctime`, as circusctl prints an info object
 * (Python's %s of a float: `cpu` 0 prints `0.0`).
 */
export function formatInfoLine(info: unknown): string {
  if (typeof info !== "object" || info === null) return String(info);
  const i = info as Record<string, unknown>;
  const float = (v: unknown) => (typeof v === "number" ? pyFloatRepr(v) : String(v));
  return `${i.pid}  ${i.cmdline} ${i.username} ${i.nice} ${i.mem_info1} ${i.mem_info2} ${float(i.cpu)} ${float(i.mem)} ${i.ctime}`;
}
