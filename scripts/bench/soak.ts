// Soak benchmark (not a test): one `circus daemon` for an hour with 1 000 `sleep` workers, a kill storm
// every minute (SIGKILL to 100 random workers), a graceful reload every 10 minutes, and an output flood
// (10 `yes` workers into a rotating FileStream for 20 s) every 5 minutes. The daemon's VmRSS, RssAnon
// and open fds, its worker count and `list` latency are sampled every 10 s; the report says whether
// memory and fds stay flat (last quarter of the run against the first quarter, after warm-up).
// Run: bun scripts/bench/soak.ts [--minutes 60] [--workers 1000] > soak.md   (needs dist/circus)

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BenchClient, CIRCUS_BINARY, childrenOf, fmt, freePort } from "./common.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg("--minutes", 60);
const WORKERS = arg("--workers", 1000);
const STORM = Math.max(1, Math.round(WORKERS / 10));
const SAMPLE_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), "circus-soak-"));
const endpoint = `tcp://127.0.0.1:${freePort()}`;
const config = join(dir, "circus.ini");
await Bun.write(
  config,
  `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
    `[watcher:sleepers]\ncmd = sleep 36000\nnumprocesses = ${WORKERS}\ngraceful_timeout = 5\n\n` +
    `[watcher:flood]\ncmd = yes ${"s".repeat(99)}\nnumprocesses = 10\nautostart = false\ngraceful_timeout = 2\n` +
    `stdout_stream.class = FileStream\nstdout_stream.filename = ${dir}/flood.log\n` +
    "stdout_stream.max_bytes = 50000000\nstdout_stream.backup_count = 2\n",
);
const daemon = Bun.spawn([CIRCUS_BINARY, "daemon", config, "--log-level", "warning"], {
  cwd: dir,
  stdio: ["ignore", "ignore", "inherit"],
});
const client = new BenchClient(endpoint);
await client.call("status");

interface Sample {
  minute: number;
  vmRss: number;
  rssAnon: number;
  fds: number;
  workers: number;
  listMs: number;
  load: string;
  event: string;
}
const samples: Sample[] = [];
const events: string[] = [];

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const m = /^(VmRSS|RssAnon):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) / 1024;
  }
  return out;
}

const t0 = Date.now();
const minute = () => (Date.now() - t0) / 60_000;
let lastStorm = 0;
let lastReload = 0;
let lastFlood = 0;
let flooding = false;

while (minute() < MINUTES) {
  const m = Math.floor(minute());
  let event = "";
  if (m > lastStorm) {
    lastStorm = m;
    const pids = ((await client.call("list", { name: "sleepers" })).pids ?? []) as number[];
    for (const pid of pids.sort(() => Math.random() - 0.5).slice(0, STORM)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    event += `kill storm (${STORM}) `;
  }
  if (m >= lastReload + 10) {
    lastReload = m;
    await client.call("reload", { name: "sleepers", waiting: true });
    event += "reload ";
  }
  if (!flooding && m >= lastFlood + 5) {
    lastFlood = m;
    flooding = true;
    await client.call("start", { name: "flood", waiting: true });
    event += "flood starts ";
    setTimeout(async () => {
      await client.call("stop", { name: "flood", waiting: true });
      flooding = false;
    }, 20_000);
  }
  const s = performance.now();
  await client.call("list", {});
  const listMs = performance.now() - s;
  const st = status(daemon.pid);
  const sample: Sample = {
    minute: minute(),
    vmRss: st.VmRSS ?? NaN,
    rssAnon: st.RssAnon ?? NaN,
    fds: readdirSync(`/proc/${daemon.pid}/fd`).length,
    workers: childrenOf(daemon.pid).length,
    listMs,
    load: readFileSync("/proc/loadavg", "utf8").split(" ")[0]!,
    event: event.trim(),
  };
  samples.push(sample);
  if (sample.event) events.push(`${fmt(sample.minute, 1)} min: ${sample.event}`);
  process.stderr.write(
    `[soak] ${fmt(sample.minute, 1)} min VmRSS ${fmt(sample.vmRss)} MB RssAnon ${fmt(sample.rssAnon)} MB fds ${sample.fds} workers ${sample.workers} list ${fmt(listMs, 2)} ms ${sample.event}\n`,
  );
  await Bun.sleep(SAMPLE_MS);
}

await client.call("quit", { waiting: true }).catch(() => {});
await client.close();
await daemon.exited;
rmSync(dir, { recursive: true, force: true });

// Flat: compare quiet samples (no flood running) of the second quarter with those of the last quarter.
const quiet = samples.filter((s) => !/flood/.test(s.event));
const quarter = (from: number, to: number) =>
  quiet.filter((s) => s.minute >= from * MINUTES && s.minute < to * MINUTES);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const early = quarter(0.25, 0.5);
const late = quarter(0.75, 1);
const row = (name: string, pick: (s: Sample) => number, digits = 1) =>
  `| ${name} | ${fmt(Math.min(...samples.map(pick)), digits)} | ${fmt(Math.max(...samples.map(pick)), digits)} | ${fmt(median(early.map(pick)), digits)} | ${fmt(median(late.map(pick)), digits)} |`;
console.log(
  [
    `Soak of ${MINUTES} min, ${WORKERS} workers, from ${new Date(t0).toISOString()}: ${events.length} events (kill storms of ${STORM} every minute, a reload every 10 min, a 20 s flood of 10 \`yes\` workers every 5 min), ${samples.length} samples.`,
    "",
    "| daemon | min | max | median, 2nd quarter | median, last quarter |",
    "|---|---|---|---|---|",
    row("VmRSS (MB)", (s) => s.vmRss),
    row("RssAnon (MB)", (s) => s.rssAnon),
    row("open fds", (s) => s.fds, 0),
    row("workers (children)", (s) => s.workers, 0),
    row("`list` (ms)", (s) => s.listMs, 2),
    "",
    `Load average during the run: ${Math.min(...samples.map((s) => Number(s.load)))}–${Math.max(...samples.map((s) => Number(s.load)))}.`,
  ].join("\n"),
);
process.exit(0);
