// What the idle daemon's memory is made of: compiles layered fixture entries with the shipped build
// flags, runs each with 10 `sleep` workers, and reads VmRSS / RssAnon / RssFile at 4 s (median of 3).
// Ends with the real daemon (compiled from the current sources) and Debian's supervisor on the same load.
// Run: bun scripts/bench/rss.ts [--runs 3] [--settle 4] [--only <name part>]  (--only skips supervisor)

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { compile } from "../build.ts";
import { childrenOf, commOf, fmt, freePort, waitUntil } from "./common.ts";

const ROOT = resolve(import.meta.dir, "../..");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 3);
const SETTLE_MS = arg("--settle", 4) * 1000;
const WORKERS = 10;
const onlyAt = process.argv.indexOf("--only");
const ONLY = onlyAt > 0 ? process.argv[onlyAt + 1]! : null;

// Inside the repo (.tmp/ is git-ignored) so the fixtures resolve the repo's node_modules.
mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const DIR = mkdtempSync(join(ROOT, ".tmp/rss-"));
const src = (path: string) => JSON.stringify(join(ROOT, "src", path));

// Each fixture adds one layer of the daemon's idle state. argv: <config file> <control ep> <pubsub ep>.
const SPAWN = `for (let i = 0; i < ${WORKERS}; i++) Bun.spawn(["sleep", "3600"], { stdio: ["ignore", "ignore", "ignore"] });`;
const BARE_ZMTP = `import { PubSocket, RouterSocket } from ${src("zmtp/index.ts")};
await new RouterSocket().bind(process.argv[3]!);
await new PubSocket().bind(process.argv[4]!);`;
const ARBITER = `import { loadConfig } from ${src("config/load.ts")};
import { Arbiter } from ${src("arbiter/arbiter.ts")};
import { WatcherOutput } from ${src("streams/index.ts")};
const config = await loadConfig(process.argv[2]!);
const arbiter = await Arbiter.create(config, { openOutput: (cfg) => WatcherOutput.open(cfg, { configDir: ${JSON.stringify(DIR)}, tailLines: config.circus.tail_lines }) });
await arbiter.start();`;

interface Layer {
  name: string;
  /** Fixture source; null runs the real daemon. */
  code: string | null;
}

const LAYERS: Layer[] = [
  { name: "timer only (Bun runtime floor)", code: "setInterval(() => {}, 1 << 30);" },
  {
    name: "+ Bun.listen(unix) + 10 Bun.spawn",
    code: `setInterval(() => {}, 1 << 30);
Bun.listen({ unix: \`${DIR}/listen-\${process.pid}.sock\`, socket: { data() {} } });
${SPAWN}`,
  },
  { name: "+ src/zmtp ROUTER + PUB bound", code: `setInterval(() => {}, 1 << 30);\n${BARE_ZMTP}\n${SPAWN}` },
  {
    name: "+ config load (src/config)",
    code: `setInterval(() => {}, 1 << 30);\n${BARE_ZMTP}\nimport { loadConfig } from ${src("config/load.ts")};\nawait loadConfig(process.argv[2]!);\n${SPAWN}`,
  },
  {
    name: "+ arbiter running the 10 workers (streams)",
    code: `setInterval(() => {}, 1 << 30);\n${BARE_ZMTP}\n${ARBITER}`,
  },
  {
    name: "+ control server (instead of bare ROUTER/PUB)",
    code: `setInterval(() => {}, 1 << 30);\n${ARBITER}
import { startControlServer } from ${src("protocol/server.ts")};
await startControlServer(arbiter, config.circus);`,
  },
  { name: "circus daemon (src/main.ts, compiled)", code: null },
];

interface Memory {
  rss: number;
  anon: number;
  file: number;
}

/** VmRSS, RssAnon and RssFile of `pid` in MB. */
function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
}

const sleepersOf = (pid: number) => childrenOf(pid).filter((p) => commOf(p) === "sleep");

function writeConfig(dir: string, control: string, pubsub: string): string {
  const config = join(dir, "circus.ini");
  writeFileSync(
    config,
    `[circus]\nendpoint = ${control}\npubsub_endpoint = ${pubsub}\nmulticast_endpoint =\n\n` +
      `[watcher:sleepers]\ncmd = sleep 3600\nnumprocesses = ${WORKERS}\ngraceful_timeout = 1\nwarmup_delay = 0\n`,
  );
  return config;
}

/** Start `argv`, wait for its 10 sleepers and SETTLE_MS from its start, read its memory, kill it all. */
async function measureOnce(argv: string[], workers: number, stop: (pid: number) => Promise<void>): Promise<Memory> {
  const started = performance.now();
  const proc = Bun.spawn(argv, { stdio: ["ignore", "ignore", "inherit"] });
  try {
    await waitUntil(() => sleepersOf(proc.pid).length >= workers, 20000, `${workers} sleepers of ${argv[0]}`, 20);
    await Bun.sleep(Math.max(0, SETTLE_MS - (performance.now() - started)));
    return memoryOf(proc.pid);
  } finally {
    const sleepers = sleepersOf(proc.pid);
    await stop(proc.pid);
    for (const pid of sleepers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone with its parent
      }
    }
    await proc.exited;
  }
}

const kill = async (pid: number) => {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // exited on its own (a failing fixture); its error is on stderr
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(
  name: string,
  argv: () => string[],
  workers = WORKERS,
  stop: (pid: number) => Promise<void> = kill,
): Promise<Memory> {
  const runs: Memory[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measureOnce(argv(), workers, stop));
  const m = {
    rss: median(runs.map((r) => r.rss)),
    anon: median(runs.map((r) => r.anon)),
    file: median(runs.map((r) => r.file)),
  };
  process.stderr.write(`[rss bench] ${name}: VmRSS ${runs.map((r) => fmt(r.rss)).join(" / ")} MB\n`);
  return m;
}

function endpoints(): [string, string] {
  return [`tcp://127.0.0.1:${freePort()}`, `tcp://127.0.0.1:${freePort()}`];
}

/** Thrown to skip the peer when --only picked layers. */
class Done extends Error {}

const rows: { name: string; m: Memory }[] = [];
try {
  for (const [i, layer] of LAYERS.entries()) {
    if (ONLY !== null && !layer.name.includes(ONLY)) continue;
    const entry = join(DIR, `layer${i}.ts`);
    const binary = join(DIR, `layer${i}`);
    writeFileSync(
      entry,
      layer.code ??
        `import { main } from ${src("main.ts")};\nprocess.exit(await main("circus", process.argv.slice(2)));\n`,
    );
    if (!compile(entry, binary)) throw new Error(`could not compile ${entry}`);
    const argv = () => {
      const [control, pubsub] = endpoints();
      const config = writeConfig(DIR, control, pubsub);
      return layer.code === null
        ? [binary, "daemon", config, "--log-level", "warning"]
        : [binary, config, control, pubsub];
    };
    rows.push({ name: layer.name, m: await measure(layer.name, argv, i === 0 ? 0 : WORKERS) });
  }

  if (ONLY !== null) throw new Done();
  Bun.spawnSync(["bash", join(import.meta.dir, "peers.sh")], { stdio: ["ignore", "inherit", "inherit"] });
  const supervisorConf = join(DIR, "supervisord.conf");
  writeFileSync(
    supervisorConf,
    `[unix_http_server]\nfile=${DIR}/supervisor.sock\n\n[supervisord]\nlogfile=${DIR}/supervisord.log\npidfile=${DIR}/supervisord.pid\nnodaemon=true\nloglevel=warn\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[program:sleepers]\ncommand=sleep 3600\nprocess_name=%(program_name)s_%(process_num)04d\nnumprocs=${WORKERS}\n` +
      `autostart=true\nautorestart=true\nstartsecs=0\nstopwaitsecs=1\nstdout_logfile=NONE\nstderr_logfile=NONE\n`,
  );
  rows.push({
    name: "Debian supervisor (Python)",
    m: await measure("supervisor", () => ["supervisord", "-c", supervisorConf]),
  });
} catch (error) {
  if (!(error instanceof Done)) throw error;
} finally {
  rmSync(DIR, { recursive: true, force: true });
}

const daemon = rows.find((r) => r.name.startsWith("circus daemon"))?.m;
const supervisor = rows.find((r) => r.name.startsWith("Debian"))?.m;
console.log(`Idle, ${WORKERS} \`sleep\` workers, ${SETTLE_MS / 1000} s after start, median of ${RUNS} runs (MB):\n`);
console.log("| process | VmRSS | RssAnon | RssFile | Δ VmRSS |");
console.log("|---|---|---|---|---|");
let previous: number | null = null;
for (const { name, m } of rows) {
  const delta =
    previous === null || name.startsWith("Debian") ? "" : `${m.rss - previous >= 0 ? "+" : ""}${fmt(m.rss - previous)}`;
  console.log(`| ${name} | ${fmt(m.rss)} | ${fmt(m.anon)} | ${fmt(m.file)} | ${delta} |`);
  previous = m.rss;
}
if (daemon && supervisor) console.log(`\ncircus daemon / supervisor (VmRSS): ${fmt(daemon.rss / supervisor.rss, 2)}`);
