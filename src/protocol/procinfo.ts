// circusctl's one-line rendering of a process-info object (§2.4), shared by `stats` and `dstats`.
// The figures themselves come from src/stats.

/** `pid  cmdline username nice mem_info1 mem_info2 cpu mem ctime`, as circusctl prints an info object. */
export function formatInfoLine(info: unknown): string {
  if (typeof info !== "object" || info === null) return String(info);
  const i = info as Record<string, unknown>;
  return `${i.pid}  ${i.cmdline} ${i.username} ${i.nice} ${i.mem_info1} ${i.mem_info2} ${i.cpu} ${i.mem} ${i.ctime}`;
}
