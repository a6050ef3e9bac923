// Exit-notice benchmark (not a test): how long after a worker's SIGKILL the daemon's `reap` event
// reaches a subscriber, split into the daemon noticing the exit (the event's `time`) and the rest, next
// to a bare Bun.spawn onExit in a process of its own. Variants: capture on (the default) and off.
// Run: bun scripts/bench/exit-notice.ts [--kills 60] [--workers 100] [--spin]   (needs dist/circus)
// --spin waits for each event by polling every 0.2 ms instead of being woken by it: on a 2-core host
// the waiting benchmark then takes the CPU the daemon needs to wake up, and the daemon looks slow.
// Internal mode: --bare KILLS (the floor).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SubSocket } from "../../src/zmtp/index.ts";
import { fmt, percentile, startCircusDaemon, waitUntil } from "./common.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const KILLS = arg("--kills", 60);
/** Wait for each event by polling every 0.2 ms, as the first plugin benchmark did (see BENCHMARKS.md). */
const SPIN = process.argv.includes("--spin");
const WORKERS = arg("--workers", 100);
/** Pause between kills: lets each exit be seen alone, on an idle event loop. */
const GAP_MS = 60;

if (process.argv[2] === "--bare") {
  const n = Number(process.argv[3]);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = 0;
    const seen = new Promise<number>((resolve) => {
      const p = Bun.spawn(["sleep", "3600"], {
        detached: true,
        stdio: ["ignore", "ignore", "ignore"],
        onExit: () => resolve(performance.now() - t0),
      });
      setTimeout(() => {
        t0 = performance.now();
        p.kill(9);
      }, GAP_MS);
    });
    lat.push(await seen);
  }
  process.stdout.write(JSON.stringify(lat));
  process.exit(0);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const row = (what: string, xs: number[]) => {
  const s = sorted(xs);
  return `| ${what} | ${fmt(percentile(s, 50), 2)} | ${fmt(percentile(s, 90), 2)} | ${fmt(percentile(s, 99), 2)} |`;
};

async function daemonRun(capture: boolean): Promise<{ total: number[]; noticed: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "circus-exit-notice-"));
  const output = capture ? "" : "tail_lines = 0\n";
  const daemon = await startCircusDaemon(dir, `[watcher:w]\ncmd = sleep 3600\nnumprocesses = ${WORKERS}\n${output}`);
  const pubsub = /pubsub_endpoint = (\S+)/.exec(await Bun.file(join(dir, "circus.ini")).text())![1]!;
  const sub = new SubSocket();
  sub.subscribe("watcher.w.reap");
  sub.connect(pubsub);
  // pid → [arrival (Date.now(), fractional via performance), the daemon's `time` in ms]
  const arrivals = new Map<number, [number, number]>();
  const waiter: { wake: () => void } = { wake: () => {} };
  void (async () => {
    for (;;) {
      try {
        const [, body] = await sub.receive();
        const at = performance.timeOrigin + performance.now();
        const event = JSON.parse(new TextDecoder().decode(body)) as { process_pid: number; time: number };
        arrivals.set(event.process_pid, [at, event.time * 1000]);
        waiter.wake();
      } catch {
        return;
      }
    }
  })();
  const total: number[] = [];
  const noticed: number[] = [];
  try {
    let pids: number[] = [];
    while (pids.length < WORKERS) {
      pids = ((await daemon.client.call("list", { name: "w" })).pids ?? []) as number[];
      await Bun.sleep(100);
    }
    await Bun.sleep(1500); // older than 1 s: replaced without backoff
    await sub.subscribed();
    for (let i = 0; i < KILLS + 5; i++) {
      const pid = pids[i % pids.length]!;
      await Bun.sleep(GAP_MS);
      const t0Wall = Date.now();
      const t0 = performance.timeOrigin + performance.now();
      const arrived = new Promise<void>((resolve) => {
        waiter.wake = () => arrivals.has(pid) && resolve();
      });
      process.kill(pid, "SIGKILL");
      if (SPIN) await waitUntil(() => arrivals.has(pid), 3000, "the reap");
      else await Promise.race([arrived, Bun.sleep(3000)]);
      const got = arrivals.get(pid);
      if (i >= 5 && got) {
        total.push(got[0] - t0);
        noticed.push(got[1] - t0Wall);
      }
      pids = ((await daemon.client.call("list", { name: "w" })).pids ?? []) as number[];
    }
  } finally {
    await sub.close();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { total, noticed };
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const bare = JSON.parse(
  await new Response(Bun.spawn([process.execPath, import.meta.path, "--bare", String(KILLS)]).stdout).text(),
) as number[];
const loadBare = load();
const on = await daemonRun(true);
const loadOn = load();
const off = await daemonRun(false);
const loadOff = load();
console.log(`### Exit notice: SIGKILL → \`reap\` at a subscriber (${KILLS} kills, ${WORKERS} workers, ms)\n`);
console.log("| path | p50 | p90 | p99 |\n|---|---|---|---|");
console.log(row(`bare Bun.spawn onExit (load ${loadBare})`, bare));
console.log(row(`daemon noticed (event \`time\`, 1 ms steps), capture on (load ${loadOn})`, on.noticed));
console.log(row("kill → subscriber, capture on", on.total));
console.log(row(`daemon noticed, capture off (load ${loadOff})`, off.noticed));
console.log(row("kill → subscriber, capture off", off.total));
