// The per-watcher summary circusd-stats publishes on `stat.<watcher>`: average cpu, summed mem,
// oldest age; any "N/A" member makes that figure "N/A" (circus.stats.collector).

import type { ProcessInfo } from "./info.ts";

export interface Aggregate {
  pid: number[];
  cpu: number | string;
  mem: number | string;
  age: number | string;
}

export function aggregate(infos: ProcessInfo[]): Aggregate {
  const nums = (key: "cpu" | "mem" | "age") => infos.map((i) => i[key]);
  const cpu = nums("cpu");
  const mem = nums("mem");
  const age = nums("age");
  const na = (xs: unknown[]) => xs.some((x) => typeof x !== "number");
  const sum = (xs: unknown[]) => (xs as number[]).reduce((a, b) => a + b, 0);
  return {
    pid: infos.map((i) => i.pid),
    cpu: na(cpu) ? "N/A" : cpu.length ? sum(cpu) / cpu.length : 0,
    mem: na(mem) ? "N/A" : sum(mem),
    age: na(age) ? "N/A" : age.length ? Math.max(...(age as number[])) : 0,
  };
}
