// Process benchmarks of `circus daemon` next to Debian's supervisor, in one run on one machine:
//   - time until 100 `sleep` workers run after one `start` request, answered when done on both sides (vs 100 bare Bun.spawn/posix_spawn calls)
//   - crash → respawn latency, p50/p99 over 200 SIGKILLs
//   - idle daemon RSS with 10 workers
//   - daemon CPU % with 1000 idle workers over 30 s
// Run: bun scripts/bench/spawn.ts [--cpu-seconds 30] [--kills 200]   (builds nothing: run `npm run build` first)

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { startSupervisord } from "./supervisor.ts";
import { childrenOf, commOf, cpuSeconds, fmt, percentile, rssMb, startCircusDaemon, waitUntil } from "./common.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CPU_SECONDS = arg("--cpu-seconds", 30);
const KILLS = arg("--kills", 200);

interface Subject {
  name: string;
  pid: number;
  /** Start the configured sleep workers (none run before). */
  scaleTo(): Promise<void>;
  stop(): Promise<void>;
}

function sleepersOf(pid: number): number[] {
  return childrenOf(pid).filter((p) => commOf(p) === "sleep");
}

async function timeUntilRunning(subject: Subject, n: number): Promise<number> {
  const t0 = performance.now();
  await subject.scaleTo();
  await waitUntil(() => sleepersOf(subject.pid).length >= n, 60000, `${n} workers of ${subject.name}`);
  return performance.now() - t0;
}

async function respawnLatencies(subject: Subject, kills: number): Promise<number[]> {
  const out: number[] = [];
  // Let every worker pass the 1 s "quick death" window first, so kills measure plain respawns.
  await Bun.sleep(1200);
  for (let i = 0; i < kills; i++) {
    const before = sleepersOf(subject.pid);
    // The oldest worker: one younger than 1 s would count as a crash loop and be respawned after a backoff.
    const victim = before.reduce((a, b) => (startTicks(a) <= startTicks(b) ? a : b));
    const t0 = performance.now();
    process.kill(victim, "SIGKILL");
    await waitUntil(
      () => {
        const now = sleepersOf(subject.pid);
        return now.length === before.length && !now.includes(victim);
      },
      20000,
      `respawn in ${subject.name}`,
      0,
    );
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

function startTicks(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]);
}

async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

async function bareSpawn(n: number): Promise<number> {
  const procs: Subprocess[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) procs.push(Bun.spawn(["sleep", "3600"], { stdio: ["ignore", "inherit", "inherit"] }));
  await waitUntil(() => procs.every((p) => commOf(p.pid) === "sleep"), 20000, "bare sleeps");
  const elapsed = performance.now() - t0;
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  return elapsed;
}

async function startCircus(dir: string, n: number, autostart: boolean): Promise<Subject> {
  const daemon = await startCircusDaemon(
    dir,
    `[watcher:sleepers]\ncmd = sleep 3600\nnumprocesses = ${n}\nautostart = ${autostart}\ngraceful_timeout = 1\nwarmup_delay = 0\n`,
  );
  return {
    name: "circus",
    pid: daemon.proc.pid,
    // The watcher already wants n processes but was not autostarted: one `start` (waiting) spawns them all.
    async scaleTo() {
      await daemon.client.call("start", { name: "sleepers", waiting: true });
    },
    stop: () => daemon.stop(),
  };
}

async function startSupervisor(dir: string, n: number, autostart: boolean): Promise<Subject> {
  const sup = await startSupervisord(
    dir,
    `[program:sleepers]\ncommand=sleep 3600\nprocess_name=%(program_name)s_%(process_num)04d\nnumprocs=${n}\n` +
      `autostart=${autostart}\nautorestart=true\nstartsecs=0\nstopwaitsecs=1\nstdout_logfile=NONE\nstderr_logfile=NONE\n`,
  );
  return {
    name: "supervisor",
    pid: sup.proc.pid,
    async scaleTo() {
      await sup.rpc("supervisor.startProcessGroup", ["sleepers", "true"]);
    },
    async stop() {
      sup.proc.kill("SIGTERM");
      await sup.proc.exited;
    },
  };
}

interface Row {
  metric: string;
  circus: number;
  supervisor: number;
  unit: string;
  digits?: number;
}

const progress = (text: string) => process.stderr.write(`[spawn bench] ${text}\n`);

async function measure(label: string, start: (dir: string, n: number, autostart: boolean) => Promise<Subject>) {
  const result: Record<string, number> = {};
  progress(`${label}: 100 workers, then ${KILLS} kills`);
  let dir = mkdtempSync(join(tmpdir(), `bench-${label}-`));
  let s = await start(dir, 100, false);
  result.spawn100 = await timeUntilRunning(s, 100);
  const lat = await respawnLatencies(s, KILLS);
  result.p50 = percentile(lat, 50);
  result.p99 = percentile(lat, 99);
  await s.stop();
  rmSync(dir, { recursive: true, force: true });

  progress(`${label}: idle RSS`);
  dir = mkdtempSync(join(tmpdir(), `bench-${label}-`));
  s = await start(dir, 10, true);
  await waitUntil(() => sleepersOf(s.pid).length >= 10, 20000, "10 idle workers");
  await Bun.sleep(3000);
  result.rss = rssMb(s.pid);
  await s.stop();
  rmSync(dir, { recursive: true, force: true });

  progress(`${label}: 1000 workers, CPU over ${CPU_SECONDS} s`);
  dir = mkdtempSync(join(tmpdir(), `bench-${label}-`));
  s = await start(dir, 1000, false);
  result.spawn1000 = await timeUntilRunning(s, 1000);
  await Bun.sleep(2000);
  result.cpu = await cpuPercent(s.pid, CPU_SECONDS);
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

Bun.spawnSync(["bash", join(import.meta.dir, "peers.sh")], { stdio: ["ignore", "inherit", "inherit"] });
const bare = await bareSpawn(100);
const circus = await measure("circus", startCircus);
const supervisor = await measure("supervisor", startSupervisor);

const rows: Row[] = [
  {
    metric: "100 workers running after one request",
    circus: circus.spawn100!,
    supervisor: supervisor.spawn100!,
    unit: "ms",
  },
  {
    metric: "1000 workers running after one request",
    circus: circus.spawn1000!,
    supervisor: supervisor.spawn1000!,
    unit: "ms",
  },
  {
    metric: `respawn after SIGKILL, p50 (${KILLS} kills)`,
    circus: circus.p50!,
    supervisor: supervisor.p50!,
    unit: "ms",
    digits: 2,
  },
  {
    metric: `respawn after SIGKILL, p99 (${KILLS} kills)`,
    circus: circus.p99!,
    supervisor: supervisor.p99!,
    unit: "ms",
    digits: 2,
  },
  { metric: "idle daemon RSS, 10 workers", circus: circus.rss!, supervisor: supervisor.rss!, unit: "MB" },
  {
    metric: `daemon CPU, 1000 idle workers, ${CPU_SECONDS} s`,
    circus: circus.cpu!,
    supervisor: supervisor.cpu!,
    unit: "%",
    digits: 2,
  },
];
console.log(
  `100 bare Bun.spawn (posix_spawn) calls until all exec'd: ${fmt(bare)} ms; circus/bare = ${fmt(circus.spawn100! / bare, 2)}x\n`,
);
console.log("| metric | circus | supervisor | circus / supervisor |");
console.log("|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.metric} | ${fmt(r.circus, r.digits)} ${r.unit} | ${fmt(r.supervisor, r.digits)} ${r.unit} | ${fmt(r.circus / r.supervisor, 2)} |`,
  );
}
