// Zero-downtime reloads and dependency start latency (issue 15). Part 1: 4 HTTP workers that boot for
// --boot seconds before they accept, under constant load from --clients clients (a fresh connection per
// request; one not answered within --timeout ms fails, as behind a proxy), reloaded --reloads times by
// each manager: circus with a readiness probe (ready.notify, rolling), circus without one, supervisord
// (`supervisorctl restart web:*`) and Circus 0.19 (`reload` graceful; skipped with --no-circus, and never
// run in CI). Counts requests answered and failed, and the longest stretch with no answer. Part 2: the
// time from a dependency's `ready` event to its dependant's first `spawn` event, over --rounds starts of
// the dependant (`start app`, which starts its dependency first) and --rounds daemon-wide restarts.
//
//   bun scripts/build.ts && bun scripts/bench/readiness.ts [--reloads 20] [--boot 1.5] [--timeout 1000]
//       [--clients 4] [--rounds 20] [--no-circus]

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SubSocket } from "../../src/zmtp/index.ts";
import { CIRCUS_SRC, BenchClient, fmt, freePort, percentile, startCircusDaemon, waitUntil } from "./common.ts";
import { startSupervisord } from "./supervisor.ts";

const argv = process.argv.slice(2);
function flag(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}
const RELOADS = flag("reloads", 20);
const BOOT_S = flag("boot", 1.5);
const TIMEOUT_MS = flag("timeout", 1000);
const CLIENTS = flag("clients", 4);
const ROUNDS = flag("rounds", 20);
const WORKERS = 4;
const WITH_CIRCUS = !argv.includes("--no-circus");
const PY = "/usr/bin/python3";
const WORKER = new URL("../../test/fixtures/ready-worker.py", import.meta.url).pathname;

interface LoadResult {
  answered: number;
  failed: number;
  /** The longest time between two answers while the reloads ran (ms). */
  longestGapMs: number;
  /** Failures by cause (timeout, refused, …). */
  causes: Map<string, number>;
  reloadMs: number[];
  /** From the first reload to the last answer counted (s). */
  seconds: number;
}

/** Requests in a loop from CLIENTS clients until stopped; answer times kept for the gaps. */
function load(url: string) {
  const answers: number[] = [];
  const causes = new Map<string, number>();
  let failed = 0;
  let running = true;
  const loops = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), keepalive: false });
        await res.text();
        if (res.status === 200) answers.push(performance.now());
        else {
          failed++;
          causes.set(`status ${res.status}`, (causes.get(`status ${res.status}`) ?? 0) + 1);
        }
      } catch (err) {
        failed++;
        const name = (err as Error).name === "TimeoutError" ? "timeout" : ((err as { code?: string }).code ?? "error");
        causes.set(name, (causes.get(name) ?? 0) + 1);
        // A refused connection fails at once: do not spin faster than a client would retry.
        if (name !== "timeout") await Bun.sleep(10);
      }
    }
  });
  return {
    answers,
    causes,
    get failed() {
      return failed;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Wait until `url` has answered `n` more requests under `traffic`. */
async function servedSince(traffic: ReturnType<typeof load>, n: number): Promise<void> {
  const from = traffic.answers.length;
  await waitUntil(() => traffic.answers.length >= from + n, 60000, `${n} answers`, 5);
}

/** Run the reloads under load: `ready` waits until the service answers, `reload` does one reload. */
async function underLoad(url: string, reload: () => Promise<void>): Promise<LoadResult> {
  const deadline = performance.now() + 30000;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (performance.now() > deadline) throw new Error(`${url} never answered`);
    await Bun.sleep(100);
  }
  // Let the workers all be up (the first answer can come from the first one booted).
  await Bun.sleep(BOOT_S * 1000 + 500);
  const traffic = load(url);
  await servedSince(traffic, 20);
  const startFailed = traffic.failed;
  const startAnswered = traffic.answers.length;
  const reloadMs: number[] = [];
  const from = performance.now();
  for (let i = 0; i < RELOADS; i++) {
    const t0 = performance.now();
    await reload();
    reloadMs.push(performance.now() - t0);
    // Every manager gets the same settling: the service answers 20 more requests before the next reload.
    await servedSince(traffic, 20);
  }
  const to = performance.now();
  await traffic.stop();
  const during = [from, ...traffic.answers.filter((t) => t >= from && t <= to), to];
  let longestGapMs = 0;
  for (let i = 1; i < during.length; i++) longestGapMs = Math.max(longestGapMs, during[i]! - during[i - 1]!);
  return {
    answered: traffic.answers.length - startAnswered,
    failed: traffic.failed - startFailed,
    longestGapMs,
    causes: traffic.causes,
    reloadMs: reloadMs.sort((a, b) => a - b),
    seconds: (to - from) / 1000,
  };
}

async function ours(dir: string, probe: boolean): Promise<LoadResult> {
  const port = freePort();
  const daemon = await startCircusDaemon(
    dir,
    `[socket:web]\nhost = 127.0.0.1\nport = ${port}\n` +
      `[watcher:web]\ncmd = ${PY} ${WORKER} --fd $(circus.sockets.web) --boot ${BOOT_S} --notify --work 0.005\n` +
      `use_sockets = true\nnumprocesses = ${WORKERS}\ngraceful_timeout = 5\n` +
      (probe ? "ready.notify = true\nready.timeout = 30\n" : ""),
  );
  try {
    return await underLoad(`http://127.0.0.1:${port}/`, async () => {
      const reply = await daemon.client.call("reload", { name: "web", waiting: true });
      if (reply.status !== "ok") throw new Error(`reload: ${JSON.stringify(reply)}`);
    });
  } finally {
    await daemon.stop();
  }
}

async function supervisor(dir: string): Promise<LoadResult> {
  const port = freePort();
  const sup = await startSupervisord(
    dir,
    `[program:web]\ncommand=${PY} ${WORKER} --port ${port} --boot ${BOOT_S} --work 0.005\n` +
      `numprocs=${WORKERS}\nprocess_name=%(program_name)s_%(process_num)s\nstartsecs=0\nstopwaitsecs=5\n` +
      "stopsignal=TERM\nautorestart=true\n",
  );
  const conf = join(dir, "supervisord.conf");
  try {
    return await underLoad(`http://127.0.0.1:${port}/`, async () => {
      const r = Bun.spawnSync(["supervisorctl", "-c", conf, "restart", "web:*"], { stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`supervisorctl: ${r.stdout}${r.stderr}`);
    });
  } finally {
    await sup.rpc("supervisor.shutdown", []).catch(() => "");
    await sup.proc.exited;
  }
}

async function circus019(dir: string): Promise<LoadResult> {
  const port = freePort();
  const endpoint = `tcp://127.0.0.1:${freePort()}`;
  const config = join(dir, "circus.ini");
  writeFileSync(
    config,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nstatsd = False\ncheck_delay = 1\n` +
      `[socket:web]\nhost = 127.0.0.1\nport = ${port}\n` +
      `[watcher:web]\ncmd = ${PY} ${WORKER} --fd $(circus.sockets.web) --boot ${BOOT_S} --work 0.005\n` +
      `use_sockets = True\nnumprocesses = ${WORKERS}\ngraceful_timeout = 5\n`,
  );
  const proc = Bun.spawn([PY, "-m", "circus.circusd", config], {
    cwd: dir,
    env: { ...process.env, PYTHONPATH: CIRCUS_SRC },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const client = new BenchClient(endpoint);
  try {
    await client.call("status");
    return await underLoad(`http://127.0.0.1:${port}/`, async () => {
      const reply = await client.call("reload", { name: "web", graceful: true, waiting: true });
      if (reply.status !== "ok") throw new Error(`reload: ${JSON.stringify(reply)}`);
    });
  } finally {
    await client.call("quit", { waiting: true }).catch(() => {});
    await client.close();
    await proc.exited;
  }
}

// ---- part 2: dependency ready → dependant spawned ----

/** The `time` (epoch ms) of every event on `topics`, in arrival order, from the pub/sub endpoint. */
async function collect(pubsub: string, topics: string[]) {
  const sub = new SubSocket();
  for (const t of topics) sub.subscribe(t);
  sub.connect(pubsub);
  await sub.subscribed();
  const events: { topic: string; timeMs: number; pid?: number }[] = [];
  let open = true;
  void (async () => {
    while (open) {
      try {
        const [topic, body] = await sub.receive();
        const payload = JSON.parse(new TextDecoder().decode(body)) as { time: number; process_pid?: number };
        events.push({ topic: new TextDecoder().decode(topic), timeMs: payload.time * 1000, pid: payload.process_pid });
      } catch {
        return;
      }
    }
  })();
  return {
    events,
    async close() {
      open = false;
      await sub.close();
    },
  };
}

async function dependencyLatency(dir: string): Promise<{ start: number[]; restart: number[] }> {
  // db is ready 0.2 s after it starts (READY=1); app depends on it.
  const daemon = await startCircusDaemon(
    dir,
    `[watcher:db]\ncmd = ${PY} -c "import os,socket,time; time.sleep(0.2); s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); ` +
      `s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET']); time.sleep(3600)"\nready.notify = true\nready.timeout = 10\n` +
      "graceful_timeout = 1\n" +
      `[watcher:app]\ncmd = sleep 3600\ndepends_on = db\ngraceful_timeout = 1\n`,
  );
  const events = await collect(daemon.pubsub, ["watcher.db.ready", "watcher.app.spawn"]);
  // The watcher-level ready event (no pid) is the one a dependant waits for.
  const gap = (from: number): number => {
    const ready = events.events.find((e, i) => i >= from && e.topic === "watcher.db.ready" && e.pid === undefined);
    const spawn = events.events.find((e, i) => i >= from && e.topic === "watcher.app.spawn");
    if (!ready || !spawn) throw new Error("missing events");
    return spawn.timeMs - ready.timeMs;
  };
  const settle = async (from: number) =>
    waitUntil(
      () =>
        events.events.some((e, i) => i >= from && e.topic === "watcher.app.spawn") &&
        events.events.some((e, i) => i >= from && e.topic === "watcher.db.ready" && e.pid === undefined),
      10000,
      "db ready and app spawned",
      5,
    );
  const start: number[] = [];
  const restart: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      await daemon.client.call("stop", { waiting: true });
      const from = events.events.length;
      const reply = await daemon.client.call("start", { name: "app", waiting: true });
      if (reply.status !== "ok") throw new Error(`start app: ${JSON.stringify(reply)}`);
      await settle(from);
      start.push(gap(from));
    }
    for (let i = 0; i < ROUNDS; i++) {
      const from = events.events.length;
      await daemon.client.call("restart", { waiting: true });
      await settle(from);
      restart.push(gap(from));
    }
  } finally {
    await events.close();
    await daemon.stop();
  }
  return { start: start.sort((a, b) => a - b), restart: restart.sort((a, b) => a - b) };
}

// ---- main ----

function row(name: string, r: LoadResult): string {
  const causes = [...r.causes.entries()].map(([k, v]) => `${k} ${v}`).join(", ") || "—";
  return `| ${name} | ${fmt(r.seconds)} | ${r.answered} | **${r.failed}** | ${causes} | ${fmt(r.longestGapMs, 0)} | ${fmt(percentile(r.reloadMs, 50), 0)} |`;
}

const base = mkdtempSync(join(tmpdir(), "circus-bench-ready-"));
try {
  console.log(
    `${RELOADS} reloads of ${WORKERS} HTTP workers (boot ${BOOT_S} s) under load from ${CLIENTS} clients; a request fails when unanswered after ${TIMEOUT_MS} ms\n`,
  );
  console.log(
    "| manager | seconds | requests answered | failed | failures by cause | longest gap with no answer (ms) | reload p50 (ms) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  const fresh = (name: string) => {
    const d = join(base, name);
    Bun.spawnSync(["mkdir", "-p", d]);
    return d;
  };
  console.log(row("circus, `ready.notify` (rolling reload)", await ours(fresh("ready"), true)));
  console.log(row("circus, no probe (graceful reload)", await ours(fresh("plain"), false)));
  console.log(row("supervisord 4.2.5, `supervisorctl restart web:*`", await supervisor(fresh("supervisor"))));
  if (WITH_CIRCUS && existsSync(CIRCUS_SRC)) {
    console.log(row("Circus 0.19, `reload web` (graceful)", await circus019(fresh("circus019"))));
  }
  const dep = await dependencyLatency(fresh("deps"));
  console.log(`\ndependency db ready → dependant app spawned, ${ROUNDS} rounds each (daemon event times, ms):\n`);
  console.log("| path | p50 | p90 | max |");
  console.log("|---|---|---|---|");
  for (const [name, list] of [
    ["`start app` (starts db, waits for it)", dep.start],
    ["`restart` (every autostart watcher)", dep.restart],
  ] as const) {
    console.log(`| ${name} | ${fmt(percentile(list, 50))} | ${fmt(percentile(list, 90))} | ${fmt(list.at(-1)!)} |`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
