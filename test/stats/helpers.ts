// Shared pieces of the stats tests: a daemon running known loads, size parsing, a stat.* subscriber.

import { join } from "node:path";
import { readStat } from "../../src/os/proc.ts";
import { freePort, ROOT, startDaemon, type RunningDaemon } from "../helpers/daemon.ts";
import { spawnPeer, type Peer } from "../helpers/peers.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

const FIXTURES = join(import.meta.dir, "fixtures");
export const PY = "/usr/bin/python3";
export const MB50 = 50 * 1024 * 1024;

/** A daemon with `busy` (one core), `hold` (50 MiB resident), `idle` (sleep) and a listening socket `web`. */
export async function startLoadedDaemon(extraSections = ""): Promise<RunningDaemon & { webPort: number }> {
  const webPort = freePort();
  const d = await startDaemon(`
[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
check_delay = 1

[watcher:busy]
cmd = ${PY} ${FIXTURES}/busy.py

[watcher:hold]
cmd = ${PY} ${FIXTURES}/hold.py

[watcher:idle]
cmd = sleep 3600
numprocesses = 1

[socket:web]
host = 127.0.0.1
port = ${webPort}

${extraSections}
`);
  return Object.assign(d, { webPort });
}

/**
 * What `[circus] statsd = true` adds (src/arbiter/internal-watchers.ts), spelled as a config section
 * running the sources: `circus stats` as the singleton `circusd-stats` watcher holding the sockets.
 */
export function statsWatcherSection(statspoint: string): string {
  return `
[watcher:circusd-stats]
cmd = ${process.execPath} ${join(ROOT, "test/fixtures/stats-entry.ts")}
args = --endpoint {endpoint} --pubsub {pubsub} --statspoint ${statspoint}
singleton = true
use_sockets = true
copy_env = true

[env:circusd-stats]
CIRCUS_TEST_TIMING = ${STATS_TIMING}
`;
}

/** The streamers of these tests publish 4 times a second rather than once (test/fixtures/stats-entry.ts). */
export const STATS_INTERVAL_MS = 250;
const STATS_TIMING = JSON.stringify({ intervalMs: STATS_INTERVAL_MS });

/** "3.45M" → bytes. */
export function parseHuman(text: string): number {
  const m = /^([\d.]+)([BKMGTPEZY])$/.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const power = "BKMGTPEZY".indexOf(m[2]!);
  return Number(m[1]) * 1024 ** power;
}

/** `circus stats` from the sources (publishing every STATS_INTERVAL_MS), killed after the test. */
export function startStreamer(d: RunningDaemon, statspoint: string, env: string[] = [], args: string[] = []): Peer {
  return spawnPeer(
    [
      "env",
      `CIRCUS_TEST_TIMING=${STATS_TIMING}`,
      ...env,
      process.execPath,
      join(ROOT, "test/fixtures/stats-entry.ts"),
      "--endpoint",
      d.endpoint,
      "--pubsub",
      d.pubsub,
      "--statspoint",
      statspoint,
      ...args,
    ],
    "circus stats",
  );
}

export interface StatMessage {
  topic: string;
  body: Record<string, unknown>;
  /** The payload as sent. */
  text: string;
}

/** A pyzmq SUB on `endpoint` that keeps every stat.* message it receives. */
export async function statSubscriber(
  endpoint: string,
): Promise<{ sub: ZmqPeer; seen: StatMessage[]; pump: Promise<void>; stop(): void }> {
  const sub = await pyZmq({ type: "SUB", connect: [endpoint], subscribe: ["stat."] });
  const seen: StatMessage[] = [];
  let running = true;
  const pump = (async () => {
    while (running) {
      const frames = await sub.recvText(60_000).catch(() => null);
      if (!frames) break;
      seen.push({ topic: frames[0]!, body: JSON.parse(frames[1]!), text: frames[1]! });
    }
  })();
  return { sub, seen, pump, stop: () => (running = false) };
}

/** The last message on exactly `topic`, if any. */
export function last(seen: StatMessage[], topic: string, since = 0): StatMessage | undefined {
  for (let i = seen.length - 1; i >= since; i--) if (seen[i]!.topic === topic) return seen[i];
  return undefined;
}

/** CPU ticks (utime + stime, 1/100 s) of `pid` now, and when they were read. */
export interface CpuReading {
  ticks: number;
  at: number;
}

export function cpuReading(pid: number): CpuReading {
  const stat = readStat(pid);
  if (stat === null) throw new Error(`process ${pid} is gone`);
  return { ticks: stat.cpuTicks, at: performance.now() };
}

/**
 * Bounds of the cpu % a sampler may report for a window that started between readings `a0` and `b0`
 * and ended between `a1` and `b1` (each pair taken around a request that samples): the least CPU over
 * the longest window, and the most over the shortest, with a tick of slack at each end.
 */
export function cpuBounds(a0: CpuReading, b0: CpuReading, a1: CpuReading, b1: CpuReading): [number, number] {
  const least = Math.max(0, a1.ticks - b0.ticks - 1);
  const most = b1.ticks - a0.ticks + 1;
  // ticks are hundredths of a second and the times milliseconds: % = 100 × (ticks / 100) / (ms / 1000).
  return [(least * 1000) / (b1.at - a0.at), (most * 1000) / Math.max(1, a1.at - b0.at)];
}

/**
 * The CPU ticks of `pid` read every few milliseconds, with the wall time of each reading, until stop():
 * what the process used between two moments is then known within the readings around them.
 */
export function recordCpu(pid: number): { readings: { at: number; ticks: number }[]; stop(): void } {
  const readings: { at: number; ticks: number }[] = [];
  const read = () => {
    const stat = readStat(pid);
    if (stat) readings.push({ at: Date.now(), ticks: stat.cpuTicks });
  };
  read();
  const timer = setInterval(read, 5);
  return { readings, stop: () => clearInterval(timer) };
}

/**
 * Bounds of the cpu % a sampler may report for a process between wall times `from` and `to` (epoch ms),
 * from readings taken around both moments: the least CPU the readings allow over that time, and the
 * most, a tick of slack each. However loaded the machine, a correct figure lies within; coarse readings
 * only widen the bounds.
 */
export function cpuBoundsBetween(
  readings: { at: number; ticks: number }[],
  from: number,
  to: number,
): [number, number] {
  const before = (t: number) => readings.findLast((r) => r.at <= t - 1);
  const after = (t: number) => readings.find((r) => r.at >= t + 1);
  const [b0, a0, b1, a1] = [before(from), after(from), before(to), after(to)];
  if (!b0 || !a0 || !b1 || !a1) throw new Error(`no CPU readings around ${from} and ${to}`);
  const ms = to - from;
  // ticks are hundredths of a second: % = 100 × (ticks / 100) / (ms / 1000).
  return [(Math.max(0, b1.ticks - a0.ticks - 1) * 1000) / ms, ((a1.ticks - b0.ticks + 1) * 1000) / ms];
}

/** When a stats info object was sampled, in epoch ms: its create_time plus its age. */
export function sampledAt(info: Record<string, unknown>): number {
  return ((info.create_time as number) + (info.age as number)) * 1000;
}
