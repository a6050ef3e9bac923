// Scale benchmark (not a test): `circus daemon` and Circus 0.19 side by side, in one run, at 1 000 /
// 5 000 / 10 000 `sleep` workers with capture off and up to 6 000 with capture on, next to a bare
// Bun.spawn loop that holds as many fds (decisions §8):
//   - total spawn time (one `start … waiting`) and the per-spawn cost curve (from the `spawn` events)
//   - daemon VmRSS / RssAnon with every worker up, and per captured worker
//   - `list` and `list NAME` latency with every worker up
//   - `stop NAME` (waiting) time
//   - a 20-worker output flood into a FileStream: MB/s, peak VmRSS, `list` p50/p99 during the flood
//   - `stop NAME` sent 1 s into a large start: how long it takes, how many more were spawned
//   - `status` answer gaps while 500 watchers start
//   - VmRSS / RssAnon after 200 000 commands and 10 000 connect cycles, and after 30 s idle
// Run: bun scripts/bench/scale.ts [--sizes 1000,5000,10000] [--capture-sizes 1000,5000,6000] (0: none)
//      [--circus-max 10000] [--flood-seconds 20] [--only spawn,flood,interrupt,watchers,retention] [--no-circus]
// Needs dist/circus (`npm run build`); Circus runs from /work/circus-src with Debian's /usr/bin/python3.
// Internal modes: --bare N FDS_PER_WORKER (the floor, in its own process), --flood-worker.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeFd, outputPair } from "../../src/os/capture.ts";
import { SubSocket } from "../../src/zmtp/index.ts";
import { CIRCUS_SRC, BenchClient, CIRCUS_BINARY, fmt, freePort, percentile } from "./common.ts";

const argValue = (name: string): string | null => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : null;
};
/** A comma list of sizes; "0" measures none of that kind. */
const numbers = (text: string | null, fallback: number[]) =>
  text
    ? text
        .split(",")
        .map(Number)
        .filter((n) => n > 0)
    : fallback;

// ---- internal modes ----

if (process.argv[2] === "--bare") {
  // The floor: Bun.spawn in a loop with nothing else going on, holding `fdsPerWorker` extra fds per
  // worker (2 = the socket-pair ends a captured worker costs the daemon) besides Bun's pidfd.
  const n = Number(process.argv[3]);
  const fdsPerWorker = Number(process.argv[4]);
  const held: number[] = [];
  const marks: number[] = [];
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const pairs = Array.from({ length: fdsPerWorker }, () => outputPair());
    const stdio = pairs.length === 2 ? [pairs[0]!.workerFd, pairs[1]!.workerFd] : ["ignore", "ignore"];
    procs.push(Bun.spawn(["sleep", "3600"], { detached: true, stdio: ["ignore", ...(stdio as ["ignore", "ignore"])] }));
    for (const p of pairs) {
      closeFd(p.workerFd);
      held.push(p.daemonFd);
    }
    if ((i + 1) % 1000 === 0) marks.push(performance.now() - t0);
  }
  const total = performance.now() - t0;
  for (const p of procs) p.kill(9);
  await Promise.all(procs.map((p) => p.exited));
  for (const fd of held) closeFd(fd);
  process.stdout.write(JSON.stringify({ total, marks }));
  process.exit(0);
}

// ---- daemons under test ----

interface Daemon {
  name: "ours" | "circus";
  pid: number;
  endpoint: string;
  pubsub: string;
  client: BenchClient;
  dir: string;
  quit(): Promise<number>;
}

const progress = (text: string) => process.stderr.write(`[scale bench] ${text}\n`);

async function startDaemon(kind: "ours" | "circus", dir: string, body: string, circusExtra = ""): Promise<Daemon> {
  const endpoint = `tcp://127.0.0.1:${freePort()}`;
  const pubsub = `tcp://127.0.0.1:${freePort()}`;
  const config = join(dir, `${kind}.ini`);
  await Bun.write(
    config,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\nmulticast_endpoint =\n${circusExtra}\n${body}`,
  );
  const cmd =
    kind === "ours"
      ? [CIRCUS_BINARY, "daemon", config, "--log-level", "error"]
      : ["/usr/bin/python3", "-m", "circus.circusd", "--log-level", "error", config];
  const proc = Bun.spawn(cmd, {
    cwd: dir,
    env: { ...process.env, PYTHONPATH: CIRCUS_SRC },
    // Circus prints a traceback when `quit` meets its own stop in progress: keep the report readable.
    stdio: ["ignore", "ignore", kind === "ours" ? "inherit" : "ignore"],
  });
  const client = new BenchClient(endpoint);
  await client.call("status");
  return {
    name: kind,
    pid: proc.pid,
    endpoint,
    pubsub,
    client,
    dir,
    async quit() {
      const t0 = performance.now();
      await Promise.race([client.call("quit", { waiting: true }).catch(() => {}), Bun.sleep(120_000)]);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
      await proc.exited;
      clearTimeout(timer);
      await client.close();
      return performance.now() - t0;
    },
  };
}

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const m = /^(VmRSS|RssAnon|RssFile|Threads):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** Time one size may spend on each latency series: Circus's `list w` takes seconds at 10 000 workers. */
const LATENCY_BUDGET_MS = 15_000;

/** Round trips of `command` with `props` (n of them, or as many as fit the budget, at least 5), sorted (ms). */
async function latencies(client: BenchClient, command: string, props: Record<string, unknown>, n: number) {
  const out: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n && (i < 5 || performance.now() - t0 < LATENCY_BUDGET_MS); i++) {
    const t0 = performance.now();
    await client.call(command, props);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** Spawn event times (epoch ms) of watcher `name`, collected from the pub/sub endpoint. */
function collectSpawns(pubsub: string, name: string): { times: number[]; close(): Promise<void> } {
  const sub = new SubSocket();
  sub.subscribe(`watcher.${name}.spawn`);
  sub.connect(pubsub);
  const times: number[] = [];
  let open = true;
  void (async () => {
    while (open) {
      try {
        const [, body] = await sub.receive();
        times.push((JSON.parse(new TextDecoder().decode(body)) as { time: number }).time * 1000);
      } catch {
        return;
      }
    }
  })();
  return {
    times,
    async close() {
      open = false;
      await sub.close();
    },
  };
}

// ---- 1: spawn, memory, list, stop at a size ----

interface SizeResult {
  spawnMs: number;
  /** ms per spawn in each band of 1 000 (from the spawn events). */
  curve: number[];
  rss: Record<string, number>;
  idleRss: Record<string, number>;
  fds: number;
  list: number[];
  listName: number[];
  stopMs: number;
  quitMs: number;
  reached: number;
  error?: string;
}

function curveOf(times: number[], t0: number): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  const out: number[] = [];
  let prev = t0;
  for (let i = 999; i < sorted.length; i += 1000) {
    out.push((sorted[i]! - prev) / 1000);
    prev = sorted[i]!;
  }
  return out;
}

async function atSize(kind: "ours" | "circus", n: number, capture: boolean): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), `scale-${kind}-`));
  // Capture on: ours by default (pass-through + tail), Circus with its StdoutStream (pipes it reads).
  const streams =
    capture && kind === "circus" ? "stdout_stream.class = StdoutStream\nstderr_stream.class = StdoutStream\n" : "";
  const extra = !capture && kind === "ours" ? "tail_lines = 0" : "";
  const daemon = await startDaemon(
    kind,
    dir,
    `[watcher:w]\ncmd = sleep 3600\nnumprocesses = ${n}\nautostart = false\ngraceful_timeout = 5\n${streams}`,
    extra,
  );
  const result: SizeResult = {
    spawnMs: NaN,
    curve: [],
    rss: {},
    idleRss: status(daemon.pid),
    fds: 0,
    list: [],
    listName: [],
    stopMs: NaN,
    quitMs: NaN,
    reached: 0,
  };
  try {
    const spawns = collectSpawns(daemon.pubsub, "w");
    await Bun.sleep(300); // the subscription reaches the publisher
    const wall0 = Date.now();
    const t0 = performance.now();
    const reply = await daemon.client.call("start", { name: "w", waiting: true });
    result.spawnMs = performance.now() - t0;
    if (reply.status !== "ok") result.error = String(reply.reason);
    await Bun.sleep(500);
    await spawns.close();
    result.curve = curveOf(spawns.times, wall0);
    result.reached = ((await daemon.client.call("list", { name: "w" })).pids as number[]).length;
    await Bun.sleep(2000);
    result.rss = status(daemon.pid);
    result.fds = fdCount(daemon.pid);
    result.list = await latencies(daemon.client, "list", {}, 200);
    result.listName = await latencies(daemon.client, "list", { name: "w" }, 200);
    const s0 = performance.now();
    await daemon.client.call("stop", { name: "w", waiting: true });
    result.stopMs = performance.now() - s0;
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    result.quitMs = await daemon.quit();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function bare(n: number, fdsPerWorker: number): Promise<{ total: number; marks: number[] }> {
  const proc = Bun.spawn([process.execPath, import.meta.path, "--bare", String(n), String(fdsPerWorker)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(text) as { total: number; marks: number[] };
}

async function spawnSection(sizes: number[], capture: boolean, circusMax: number, withCircus: boolean) {
  const rows: string[] = [];
  const curves: string[] = [];
  const label = capture ? "capture on" : "capture off";
  rows.push(
    `### ${label}`,
    "",
    "| workers | bare Bun.spawn loop | ours: start | ours / bare | Circus 0.19: start | ours: stop | Circus: stop | ours: VmRSS / RssAnon | Circus: VmRSS / RssAnon | ours: `list` / `list w` p50 (p99) | Circus: `list` / `list w` p50 | load |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const n of sizes) {
    progress(`${label}: bare loop, ${n} workers`);
    const floor = await bare(n, capture ? 2 : 0);
    progress(`${label}: ours, ${n} workers`);
    const ours = await atSize("ours", n, capture);
    let theirs: SizeResult | null = null;
    if (withCircus && n <= circusMax) {
      progress(`${label}: Circus, ${n} workers`);
      theirs = await atSize("circus", n, capture);
    }
    const mb = (kb: number | undefined) => fmt((kb ?? NaN) / 1024, 1);
    const mem = (r: SizeResult | null) => (r ? `${mb(r.rss.VmRSS)} / ${mb(r.rss.RssAnon)} MB` : "not run");
    const lat = (r: SizeResult | null, p99 = true) =>
      r
        ? `${fmt(percentile(r.list, 50), 2)} / ${fmt(percentile(r.listName, 50), 2)}` +
          (p99 ? ` (${fmt(percentile(r.list, 99), 2)} / ${fmt(percentile(r.listName, 99), 2)})` : "") +
          " ms"
        : "not run";
    const secs = (ms: number) => `${fmt(ms / 1000, 2)} s`;
    const reachedNote = (r: SizeResult | null) =>
      r && r.reached < n ? ` (reached ${r.reached}${r.error ? `: ${r.error}` : ""})` : r?.error ? ` (${r.error})` : "";
    rows.push(
      `| ${n} | ${secs(floor.total)} | ${secs(ours.spawnMs)}${reachedNote(ours)} | ${fmt(ours.spawnMs / floor.total, 2)} | ${theirs ? secs(theirs.spawnMs) + reachedNote(theirs) : "not run"} | ${secs(ours.stopMs)} | ${theirs ? secs(theirs.stopMs) : "—"} | ${mem(ours)} | ${mem(theirs)} | ${lat(ours)} | ${lat(theirs, false)} | ${load()} |`,
    );
    if (capture) {
      const perWorker = ((ours.rss.RssAnon ?? NaN) - (ours.idleRss.RssAnon ?? NaN)) / n;
      rows.push(
        `|  | per captured worker: RssAnon +${fmt(perWorker, 2)} KB, ${ours.fds} fds in the daemon |||||||||||`,
      );
    }
    if (n === Math.max(...sizes)) {
      const bands = Math.floor(n / 1000);
      const bareCurve = floor.marks.map((m, i) => m - (floor.marks[i - 1] ?? 0)).map((ms) => ms / 1000);
      curves.push(
        `Per-spawn cost (${label}, ${n} workers), ms per spawn in each band of 1 000:`,
        "",
        `| band | bare | ours | Circus |`,
        "|---|---|---|---|",
      );
      for (let b = 0; b < bands; b++) {
        curves.push(
          `| ${b * 1000}–${(b + 1) * 1000} | ${fmt(bareCurve[b] ?? NaN, 2)} | ${fmt(ours.curve[b] ?? NaN, 2)} | ${fmt(theirs?.curve[b] ?? NaN, 2)} |`,
        );
      }
      curves.push("");
    }
  }
  return [...rows, "", ...curves];
}

// ---- 2: output flood ----

const FLOOD_WORKERS = 20;

async function flood(kind: "ours" | "circus", seconds: number) {
  const dir = mkdtempSync(join(tmpdir(), `flood-${kind}-`));
  const line = "x".repeat(99);
  const daemon = await startDaemon(
    kind,
    dir,
    `[watcher:flood]\ncmd = yes ${line}\nnumprocesses = ${FLOOD_WORKERS}\nautostart = false\n` +
      `stdout_stream.class = FileStream\nstdout_stream.filename = ${dir}/flood.log\n`,
  );
  const samples: number[] = [];
  const list: number[] = [];
  try {
    const idle = status(daemon.pid);
    await daemon.client.call("start", { name: "flood", waiting: true });
    const t0 = performance.now();
    const size0 = statSync(`${dir}/flood.log`).size;
    const sampler = setInterval(() => samples.push(status(daemon.pid).VmRSS ?? NaN), 100);
    while (performance.now() - t0 < seconds * 1000) {
      const s = performance.now();
      await daemon.client.call("list", {});
      list.push(performance.now() - s);
      await Bun.sleep(20);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const bytes = statSync(`${dir}/flood.log`).size - size0;
    clearInterval(sampler);
    await daemon.client.call("stop", { name: "flood", waiting: true });
    list.sort((a, b) => a - b);
    return {
      mbps: bytes / 1e6 / elapsed,
      idleRss: (idle.VmRSS ?? NaN) / 1024,
      peakRss: Math.max(...samples) / 1024,
      p50: percentile(list, 50),
      p99: percentile(list, 99),
      max: list[list.length - 1]!,
    };
  } finally {
    await daemon.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function floodSection(seconds: number, withCircus: boolean): Promise<string[]> {
  const rows = [
    `### Output flood: ${FLOOD_WORKERS} \`yes\` workers (100-byte lines) into one FileStream for ${seconds} s`,
    "",
    "| daemon | MB/s written | VmRSS idle → peak | `list` p50 / p99 / max during the flood | load |",
    "|---|---|---|---|---|",
  ];
  for (const kind of withCircus ? (["ours", "circus"] as const) : (["ours"] as const)) {
    progress(`flood: ${kind}`);
    const r = await flood(kind, seconds);
    rows.push(
      `| ${kind === "ours" ? "ours" : "Circus 0.19"} | ${fmt(r.mbps, 1)} | ${fmt(r.idleRss, 1)} → ${fmt(r.peakRss, 1)} MB | ${fmt(r.p50, 2)} / ${fmt(r.p99, 2)} / ${fmt(r.max, 1)} ms | ${load()} |`,
    );
  }
  return [...rows, ""];
}

// ---- 3: stop during a large start; status during 500 watcher starts ----

async function interruptSection(n: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "scale-interrupt-"));
  // Capture off: 10 000 captured workers would need more fds than this host allows.
  const daemon = await startDaemon(
    "ours",
    dir,
    `[watcher:w]\ncmd = sleep 3600\nnumprocesses = ${n}\nautostart = false\n`,
    "tail_lines = 0",
  );
  try {
    const started = daemon.client.call("start", { name: "w", waiting: true });
    await Bun.sleep(1000);
    const before = ((await daemon.client.call("list", { name: "w" })).pids as number[]).length;
    const stopper = new BenchClient(daemon.endpoint);
    const t0 = performance.now();
    await stopper.call("stop", { name: "w", waiting: true });
    const stopMs = performance.now() - t0;
    await started;
    await stopper.close();
    return [
      `### \`stop w\` 1 s into a start of ${n} workers`,
      "",
      `${before} workers were up when \`stop w\` (waiting) was sent; it answered after ${fmt(stopMs, 0)} ms with every worker gone (load ${load()}).`,
      "",
    ];
  } finally {
    await daemon.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function watchersSection(count: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "scale-watchers-"));
  const body = Array.from({ length: count }, (_, i) => `[watcher:w${i}]\ncmd = sleep 3600\n`).join("\n");
  const daemon = await startDaemon("ours", dir, body);
  try {
    const gaps: number[] = [];
    const t0 = performance.now();
    let last = t0;
    for (;;) {
      const reply = await daemon.client.call("status", {});
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      const statuses = Object.values((reply.statuses ?? {}) as Record<string, string>);
      if (statuses.length === count && statuses.every((s) => s === "active")) break;
      if (now - t0 > 120_000) break;
    }
    gaps.sort((a, b) => a - b);
    return [
      `### \`status\` while ${count} watchers start (one \`sleep\` each)`,
      "",
      `${gaps.length} answers in ${fmt((last - t0) / 1000, 2)} s; gap between answers p50 ${fmt(percentile(gaps, 50), 2)} ms, max ${fmt(gaps[gaps.length - 1]!, 1)} ms (load ${load()}).`,
      "",
    ];
  } finally {
    await daemon.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 4: what many commands and connect cycles leave behind ----

async function retentionSection(commands: number, cycles: number, withCircus: boolean): Promise<string[]> {
  const rows = [
    `### ${commands} commands, then ${cycles} connect cycles (10 \`sleep\` workers)`,
    "",
    "| daemon | VmRSS / RssAnon at start | after the commands | after the connect cycles | after 30 s idle | load |",
    "|---|---|---|---|---|---|",
  ];
  for (const kind of withCircus ? (["ours", "circus"] as const) : (["ours"] as const)) {
    progress(`retention: ${kind}`);
    const dir = mkdtempSync(join(tmpdir(), `retain-${kind}-`));
    const daemon = await startDaemon(kind, dir, "[watcher:w]\ncmd = sleep 3600\nnumprocesses = 10\n");
    const mem = () => {
      const s = status(daemon.pid);
      return `${fmt((s.VmRSS ?? NaN) / 1024, 1)} / ${fmt((s.RssAnon ?? NaN) / 1024, 1)} MB`;
    };
    try {
      await Bun.sleep(1000);
      const start = mem();
      for (let i = 0; i < commands; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => daemon.client.call((i + k) % 2 ? "list" : "status")));
      }
      const afterCommands = mem();
      for (let i = 0; i < cycles; i++) {
        const client = new BenchClient(daemon.endpoint);
        await client.call("status");
        await client.close();
      }
      const afterCycles = mem();
      await Bun.sleep(30_000);
      rows.push(
        `| ${kind === "ours" ? "ours" : "Circus 0.19"} | ${start} | ${afterCommands} | ${afterCycles} | ${mem()} | ${load()} |`,
      );
    } finally {
      await daemon.quit();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return [...rows, ""];
}

// ---- main ----

const only = new Set((argValue("--only") ?? "spawn,flood,interrupt,watchers,retention").split(","));
const withCircus = !process.argv.includes("--no-circus");
const sizes = numbers(argValue("--sizes"), [1000, 5000, 10000]);
const captureSizes = numbers(argValue("--capture-sizes"), [1000, 5000, 6000]);
const circusMax = Number(argValue("--circus-max") ?? 10000);
const floodSeconds = Number(argValue("--flood-seconds") ?? 20);

// Each section is printed as soon as it is measured: a run cut short keeps what it measured.
const emit = (lines: string[]) => process.stdout.write(`${lines.join("\n")}\n`);
emit([`Run of ${new Date().toISOString()}, load average at start ${load()}.`, ""]);
if (only.has("spawn")) {
  if (sizes.length > 0) emit(await spawnSection(sizes, false, circusMax, withCircus));
  if (captureSizes.length > 0) emit(await spawnSection(captureSizes, true, circusMax, withCircus));
}
if (only.has("flood")) emit(await floodSection(floodSeconds, withCircus));
if (only.has("interrupt")) emit(await interruptSection(Math.max(...sizes)));
if (only.has("watchers")) emit(await watchersSection(500));
if (only.has("retention")) emit(await retentionSection(200_000, 10_000, withCircus));
process.exit(0);
