// Stats benchmark (not a test): CPU of the daemon + the stats streamer with N idle workers at the
// 1 Hz stream, and the round trip of `stats` for one 500-process watcher. Prints markdown.
//
//   bun scripts/bench/stats.ts [--workers 1000] [--window 20]
//
// Runs dist/circus when built (else the sources) for the daemon, and `circus stats` from the sources.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CircusClient } from "../../src/protocol/client.ts";

const ROOT = resolve(import.meta.dir, "../..");
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const WORKERS = arg("workers", 1000);
const WINDOW_S = arg("window", 20);

function port(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "latin1");
  const x = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(x[11]) + Number(x[12])) / 100;
}

const binary = join(ROOT, "dist/circus");
const circus = existsSync(binary) ? [binary] : [process.execPath, join(ROOT, "src/main.ts")];
const dir = mkdtempSync(join(tmpdir(), "circus-bench-stats-"));
const endpoint = `tcp://127.0.0.1:${port()}`;
const pubsub = `tcp://127.0.0.1:${port()}`;
const statspoint = `tcp://127.0.0.1:${port()}`;
const half = Math.floor(WORKERS / 2);
writeFileSync(
  join(dir, "circus.ini"),
  `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\ncheck_delay = 5\n\n` +
    `[watcher:a]\ncmd = sleep 3600\nnumprocesses = ${half}\n\n[watcher:b]\ncmd = sleep 3600\nnumprocesses = ${WORKERS - half}\n`,
);

const daemon = Bun.spawn([...circus, "daemon", join(dir, "circus.ini")], {
  cwd: dir,
  stdout: "ignore",
  stderr: "ignore",
});
const client = new CircusClient({ endpoint, timeoutMs: 10_000 });
let streamer: ReturnType<typeof Bun.spawn> | null = null;
try {
  const t0 = performance.now();
  for (;;) {
    const reply = await client.call("numprocesses").catch(() => null);
    if (reply?.status === "ok" && reply.numprocesses === WORKERS) break;
    if (performance.now() - t0 > 300_000) throw new Error("workers did not start in 5 min");
    await Bun.sleep(500);
  }
  await Bun.sleep(2000); // let the spawn burst settle

  // `stats` for the 500-process watcher: the first call sets the cpu baselines, then time 20.
  await client.call("stats", { name: "a" });
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    const r = await client.call("stats", { name: "a" });
    times.push(performance.now() - s);
    if (Object.keys(r.info as object).length !== half)
      throw new Error(`stats a: ${Object.keys(r.info as object).length} infos`);
  }
  times.sort((x, y) => x - y);

  streamer = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "test/fixtures/stats-entry.ts"),
      "--endpoint",
      endpoint,
      "--pubsub",
      pubsub,
      "--statspoint",
      statspoint,
      "--log-level",
      "warning",
    ],
    {
      stdout: "ignore",
      stderr: "inherit",
    },
  );
  await Bun.sleep(5000); // startup (transpiling the sources) and the first rounds
  const d0 = cpuSeconds(daemon.pid);
  const s0 = cpuSeconds(streamer.pid);
  const w0 = performance.now();
  await Bun.sleep(WINDOW_S * 1000);
  const wall = (performance.now() - w0) / 1000;
  const dPct = ((cpuSeconds(daemon.pid) - d0) / wall) * 100;
  const sPct = ((cpuSeconds(streamer.pid) - s0) / wall) * 100;

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`| figure | value |\n|---|---|`);
  console.log(`| workers | ${WORKERS} (two watchers of \`sleep 3600\`) |`);
  console.log(`| daemon CPU while streaming (${WINDOW_S} s window) | ${dPct.toFixed(2)} % of one core |`);
  console.log(`| stats streamer CPU (1 Hz, ${WORKERS} pids) | ${sPct.toFixed(2)} % of one core |`);
  console.log(`| together | ${(dPct + sPct).toFixed(2)} % (target < 5 %) |`);
  console.log(
    `| \`stats a\` (${half} processes) round trip, median / p90 / max of 20 | ${ms(times[10]!)} / ${ms(times[18]!)} / ${ms(times[19]!)} (target ≤ 20 ms) |`,
  );
} finally {
  streamer?.kill("SIGTERM");
  await client.close();
  daemon.kill("SIGTERM");
  const code = await Promise.race([daemon.exited, Bun.sleep(60_000).then(() => null)]);
  if (code === null) daemon.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
