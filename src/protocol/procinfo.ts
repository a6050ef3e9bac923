// Process information from /proc in Circus's shape (§2.4), for `stats` and `dstats`: pid, cmdline,
// username, nice, mem_info1/2, cpu, mem, ctime, create_time, age, children.

import { readFileSync, readdirSync } from "node:fs";
import type { JsonObject } from "./command.ts";

const CLK_TCK = 100; // USER_HZ is 100 on every Linux architecture Bun supports
const PAGE_SIZE = 4096;

let bootTime: number | null = null;
let memTotal: number | null = null;
const users = new Map<number, string>();
/** Previous (cpu ticks, wall ms) per pid, for `cpu` % since the last sample as psutil does. */
const lastCpu = new Map<number, { ticks: number; at: number }>();

function readBootTime(): number {
  if (bootTime === null) {
    const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    bootTime = m ? Number(m[1]) : 0;
  }
  return bootTime;
}

function readMemTotal(): number {
  if (memTotal === null) {
    const m = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
    memTotal = m ? Number(m[1]) * 1024 : 0;
  }
  return memTotal;
}

function userName(uid: number): string {
  let name = users.get(uid);
  if (name === undefined) {
    name = String(uid);
    try {
      for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
        const f = line.split(":");
        if (f.length > 2 && Number(f[2]) === uid) {
          name = f[0]!;
          break;
        }
      }
    } catch {
      // no passwd file: keep the number
    }
    users.set(uid, name);
  }
  return name;
}

/** Circus's bytes2human: `512B`, `3.45M` (base 1024, two decimals). */
export function bytes2human(n: number): string {
  const symbols = ["K", "M", "G", "T", "P", "E", "Z", "Y"];
  for (let i = symbols.length - 1; i >= 0; i--) {
    const unit = 2 ** ((i + 1) * 10);
    if (n >= unit) return `${(n / unit).toFixed(2)}${symbols[i]}`;
  }
  return `${n}B`;
}

/** CPU time as Circus prints it: `M:SS.cc` (minutes modulo 60). */
export function formatCpuTime(seconds: number): string {
  const whole = Math.floor(seconds);
  const cc = Math.floor((seconds - whole) * 100);
  return `${Math.floor(whole / 60) % 60}:${String(whole % 60).padStart(2, "0")}.${String(cc).padStart(2, "0")}`;
}

/** Direct children of a pid (from /proc/<pid>/task/*\/children, else by scanning /proc). */
export function childPids(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    }
    return out;
  } catch {
    return [];
  }
}

/** The info object of one process, or the string Circus uses when it is gone. */
export function processInfo(pid: number, withChildren = true): JsonObject | string {
  let stat: string;
  let status: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    status = readFileSync(`/proc/${pid}/status`, "utf8");
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    lastCpu.delete(pid);
    return "No such process (stopped?)";
  }
  // Fields after the parenthesised comm, which may itself contain spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = f[0];
  const ticks = Number(f[11]) + Number(f[12]);
  const nice = Number(f[16]);
  const startTicks = Number(f[19]);
  const vsize = Number(f[20]);
  const rss = Number(f[21]) * PAGE_SIZE;
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const argv0 = cmdline.split("\0")[0] || /^Name:\s+(.*)$/m.exec(status)?.[1] || "";
  const createTime = readBootTime() + startTicks / CLK_TCK;
  const nowMs = Date.now();
  const prev = lastCpu.get(pid);
  const cpu = prev && nowMs > prev.at ? (((ticks - prev.ticks) / CLK_TCK) * 100000) / (nowMs - prev.at) : 0;
  lastCpu.set(pid, { ticks, at: nowMs });
  const total = readMemTotal();
  return {
    pid,
    cmdline: argv0.split("/").pop() ?? argv0,
    username: uid >= 0 ? userName(uid) : "N/A",
    nice: state === "Z" ? "Zombie" : nice,
    mem_info1: bytes2human(rss),
    mem_info2: bytes2human(vsize),
    cpu: Math.round(cpu * 10) / 10,
    mem: total ? Math.round((rss / total) * 100 * 1000) / 1000 : 0,
    ctime: formatCpuTime(ticks / CLK_TCK),
    create_time: createTime,
    age: nowMs / 1000 - createTime,
    children: withChildren ? childPids(pid).map((c) => processInfo(c)) : [],
  };
}

/** One console line as circusctl prints an info object. */
export function formatInfoLine(info: unknown): string {
  if (typeof info !== "object" || info === null) return String(info);
  const i = info as Record<string, unknown>;
  return `${i.pid}  ${i.cmdline} ${i.username} ${i.nice} ${i.mem_info1} ${i.mem_info2} ${i.cpu} ${i.mem} ${i.ctime}`;
}
