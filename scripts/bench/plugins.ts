// Plugins benchmark (not a test), ours next to Circus 0.19's plugin processes in the same run:
//   1. statsd: 10 000 events/s from a PUB into StatsdEmitter, datagrams counted on loopback;
//   2. RSS (VmRSS, RssAnon) of those two StatsdEmitter processes after the load;
//   3. event latency from a worker's exit (SIGKILL) to the plugin's handleRecv, through a real daemon;
//   4. Prometheus: one scrape with 1000 processes.
// Prints markdown. Needs dist/circus (`npm run build`) and Circus's source at /work/circus-src run by
// Debian's /usr/bin/python3 (python3-zmq, tornado, psutil): never part of the tests.
//
//   bun scripts/bench/plugins.ts [--rate 10000] [--seconds 5] [--kills 100] [--workers 1000]
//                                [--only statsd,latency,prometheus]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PubSocket, RouterSocket } from "../../src/zmtp/index.ts";
import { CIRCUS_SRC, CIRCUS_BINARY, fmt, freePort, percentile, startCircusDaemon, waitUntil } from "./common.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RATE = arg("rate", 10_000);
const SECONDS = arg("seconds", 5);
const KILLS = arg("kills", 100);
const WORKERS = arg("workers", 1000);
const PYTHON = "/usr/bin/python3";
const DIR = mkdtempSync(join(tmpdir(), "circus-bench-plugins-"));

const children: ReturnType<typeof Bun.spawn>[] = [];

function ours(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn([CIRCUS_BINARY, "plugin", "--log-level", "warning", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
  });
  children.push(p);
  return p;
}

function circus(args: string[]) {
  const p = Bun.spawn([PYTHON, "-c", "from circus import plugins; plugins.main()", "--log-level", "warning", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, PYTHONPATH: `${CIRCUS_SRC}:${DIR}` },
  });
  children.push(p);
  return p;
}

/** VmRSS and RssAnon (/proc/PID/status) and Pss (smaps_rollup: shared pages divided among their users), MB. */
function memory(pid: number): { vmRss: number; rssAnon: number; pss: number } {
  const kb = (text: string, key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) / 1024;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return { vmRss: kb(status, "VmRSS"), rssAnon: kb(status, "RssAnon"), pss: kb(rollup, "Pss") };
}

function memoryRow(name: string, pid: number): string {
  const m = memory(pid);
  return `| ${name} | ${fmt(m.vmRss)} | ${fmt(m.rssAnon)} | ${fmt(m.pss)} |`;
}

const MEMORY_HEAD = ["| process | VmRSS (MB) | RssAnon (MB) | Pss (MB) |", "|---|---|---|---|"];

function udpRcvbufErrors(): number {
  const lines = readFileSync("/proc/net/snmp", "utf8")
    .split("\n")
    .filter((l) => l.startsWith("Udp:"));
  const [head, values] = [lines[0]!.split(/\s+/), lines[1]!.split(/\s+/)];
  return Number(values[head.indexOf("RcvbufErrors")]);
}

// A UDP counter in its own process with a 32 MiB receive buffer, so the count measures the plugin and
// not this script's event loop. Prints its port, then the count for each line it reads.
const COUNTER = `
import socket, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE (root)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
count = 0
def serve():
    global count
    while True:
        s.recv(65536)
        count += 1
threading.Thread(target=serve, daemon=True).start()
for _ in sys.stdin:
    print(count, flush=True)
`;

async function counter() {
  const p = Bun.spawn([PYTHON, "-u", "-c", COUNTER], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  children.push(p);
  const reader = p.stdout.getReader();
  let buffered = "";
  const line = async () => {
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const l = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return l;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the UDP counter exited");
      buffered += new TextDecoder().decode(value);
    }
  };
  const port = Number(await line());
  return {
    port,
    async count(): Promise<number> {
      p.stdin.write("\n");
      p.stdin.flush();
      return Number(await line());
    },
    close: () => p.kill(),
  };
}

/** 1 + 2: StatsdEmitter (ours, compiled) and Circus's, both subscribed to one PUB publishing RATE events/s. */
async function statsd(): Promise<string[]> {
  const router = new RouterSocket(); // the plugins' control channel: StatsdEmitter sends nothing on it
  const endpoint = await router.bind("tcp://127.0.0.1:0");
  const pub = new PubSocket();
  const pubsub = await pub.bind("tcp://127.0.0.1:0");
  const [a, b] = [await counter(), await counter()];
  const mine = ours([
    "--endpoint",
    endpoint,
    "--pubsub",
    pubsub,
    "--config",
    `host:127.0.0.1:::port:${a.port}`,
    "statsd",
  ]);
  const theirs = circus([
    "--endpoint",
    endpoint,
    "--pubsub",
    pubsub,
    "--config",
    `host:127.0.0.1:::port:${b.port}`,
    "circus.plugins.statsd.StatsdEmitter",
  ]);
  // Both subscribed: probe until each has reported one event.
  for (const started = performance.now(); ; ) {
    pub.send(["watcher.probe.spawn", '{"time": 0}']);
    if ((await a.count()) > 0 && (await b.count()) > 0) break;
    if (performance.now() - started > 20_000) throw new Error("the plugins did not subscribe");
    await Bun.sleep(20);
  }
  await Bun.sleep(200);
  const [baseA, baseB] = [await a.count(), await b.count()];
  const errorsBefore = udpRcvbufErrors();
  const total = RATE * SECONDS;
  const payload = JSON.stringify({ process_pid: 1234, time: Date.now() / 1000, exit_code: 0 });
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
    for (; sent < due; sent++) pub.send([`watcher.w${sent % 10}.reap`, payload]);
    await Bun.sleep(2);
  }
  const publishMs = performance.now() - t0;
  // Wait for the tail to drain (until neither count moves for 1 s).
  let last = -1;
  for (;;) {
    const sum = (await a.count()) + (await b.count());
    if (sum === last) break;
    last = sum;
    await Bun.sleep(1000);
  }
  const got = [(await a.count()) - baseA, (await b.count()) - baseB];
  const rcvErrors = udpRcvbufErrors() - errorsBefore;
  const memoryRows = [memoryRow("ours (alone)", mine.pid), memoryRow("Circus 0.19", theirs.pid)];
  for (const p of [mine, theirs]) p.kill("SIGTERM");
  await Promise.all([mine.exited, theirs.exited]);
  a.close();
  b.close();
  await pub.close();
  await router.close();
  return [
    `### statsd: ${total} events in ${fmt(publishMs / 1000, 2)} s (${fmt(total / (publishMs / 1000), 0)} events/s)`,
    "",
    "| plugin process | datagrams received | lost |",
    "|---|---|---|",
    `| ours (\`circus plugin statsd\`, compiled) | ${got[0]} | ${total - got[0]!} |`,
    `| Circus 0.19 StatsdEmitter (Python) | ${got[1]} | ${total - got[1]!} |`,
    "",
    `UDP receive-buffer drops on the host during the run (/proc/net/snmp RcvbufErrors): ${rcvErrors}.`,
    "",
    "### Memory of one plugin process: StatsdEmitter after the load above",
    "",
    ...MEMORY_HEAD,
    ...memoryRows,
    "",
  ];
}

const OUR_PROBE = `
import { CircusPlugin, kinds, option, type EventTopic, type WatcherEventData } from "circus";
const options = { port: option(kinds.int, { default: 0, doc: "where to report" }) };
export class LatencyProbe extends CircusPlugin<typeof options> {
  static override options = options;
  private socket: Awaited<ReturnType<typeof Bun.udpSocket>> | null = null;
  override async handleInit() { this.socket = await Bun.udpSocket({}); }
  override handleRecv(topic: EventTopic, event: WatcherEventData) {
    if (topic.action !== "reap") return;
    this.socket!.send(event.process_pid + " " + Number(event.time) * 1000, this.options.port, "127.0.0.1");
  }
}
`;

const CIRCUS_PROBE = `
import socket, time
from circus.plugins import CircusPlugin

class LatencyProbe(CircusPlugin):
    name = "latency_probe"
    def __init__(self, *args, **config):
        super().__init__(*args, **config)
        self.port = int(config["port"])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    def handle_recv(self, data):
        watcher, action, msg = self.split_data(data)
        if action == "reap":
            event = self.load_message(msg)
            self.sock.sendto(("%s %f" % (event["process_pid"], event["time"] * 1000)).encode(), ("127.0.0.1", self.port))
`;

/** 3: kill one worker at a time; both probes report when their handleRecv saw its reap. */
async function latency(): Promise<string[]> {
  writeFileSync(join(DIR, "probe.ts"), OUR_PROBE);
  writeFileSync(join(DIR, "circus_probe.py"), CIRCUS_PROBE);
  // pid → [when its report arrived here (performance.now()), the daemon's reap time (Date.now() there)].
  // Times of different processes are compared only on the wall clock (Date.now()): performance.now()
  // is per process, and timeOrigin + now() drifts from the wall clock on this host.
  const reports = new Map<string, Map<number, [number, number]>>([
    ["ours", new Map()],
    ["circus", new Map()],
  ]);
  // Woken by each report: the wait below must not poll, because a benchmark spinning on this 2-core
  // host delays the daemon's own wake-up (a 0.2 ms poll loop made the daemon look 3–8 ms slow).
  const waiters: (() => void)[] = [];
  const reportedSoon = async (check: () => boolean, ms: number, what: string) => {
    const deadline = performance.now() + ms;
    while (!check()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  const listen = async (who: string) =>
    Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(_s, data) {
          const [pid, reaped] = Buffer.from(data).toString().split(" ");
          reports.get(who)!.set(Number(pid), [performance.now(), Number(reaped)]);
          for (const wake of waiters.splice(0)) wake();
        },
      },
    });
  const [mineSock, theirsSock] = [await listen("ours"), await listen("circus")];
  const daemon = await startCircusDaemon(
    DIR,
    `[watcher:w]\ncmd = sleep 3600\nnumprocesses = ${KILLS}\n\n[plugin:probe]\nuse = ./probe.ts:LatencyProbe\nport = ${mineSock.port}\n`,
  );
  const ini = readFileSync(join(DIR, "circus.ini"), "utf8");
  const pubsub = /pubsub_endpoint = (\S+)/.exec(ini)![1]!;
  const endpoint = /^endpoint = (\S+)/m.exec(ini)![1]!;
  const theirs = circus([
    "--endpoint",
    endpoint,
    "--pubsub",
    pubsub,
    "--config",
    `port:${theirsSock.port}`,
    "circus_probe.LatencyProbe",
  ]);
  const lat: Record<string, number[]> = { ours: [], circus: [], daemon: [] };
  let latencyMemory: string[] = [];
  try {
    let pids: number[] = [];
    for (;;) {
      pids = ((await daemon.client.call("list", { name: "w" })).pids ?? []) as number[];
      if (pids.length === KILLS) break;
      await Bun.sleep(100);
    }
    await Bun.sleep(1500); // workers older than 1 s are respawned without backoff
    const reported = (pid: number) => reports.get("ours")!.has(pid) && reports.get("circus")!.has(pid);
    // Warm-up: kill workers until both probes report one (both subscribed).
    let used = 0;
    for (;;) {
      const pid = pids[used++]!;
      process.kill(pid, "SIGKILL");
      const ok = await waitUntil(() => reported(pid), 3000, "warm-up", 1).then(
        () => true,
        () => false,
      );
      if (ok) break;
    }
    const probePid = ((await daemon.client.call("list", { name: "plugin:probe" })).pids as number[])[0]!;
    latencyMemory = [
      memoryRow("ours (user plugin run by the daemon, sharing its binary's pages)", probePid),
      memoryRow("Circus 0.19 (the same plugin in Python)", theirs.pid),
    ];
    for (const pid of pids.slice(used)) {
      const at = performance.now();
      const wallAt = Date.now();
      process.kill(pid, "SIGKILL");
      await reportedSoon(() => reported(pid), 10_000, `reports for ${pid}`);
      const [mine, reaped] = reports.get("ours")!.get(pid)!;
      const [theirs] = reports.get("circus")!.get(pid)!;
      lat.ours!.push(mine - at);
      lat.circus!.push(theirs - at);
      lat.daemon!.push(reaped - wallAt);
    }
  } finally {
    theirs.kill("SIGTERM");
    await theirs.exited;
    await daemon.stop();
    mineSock.close();
    theirsSock.close();
  }
  const row = (name: string, xs: number[]) => {
    const s = xs.slice().sort((x, y) => x - y);
    return `| ${name} | ${fmt(percentile(s, 50), 2)} | ${fmt(percentile(s, 90), 2)} | ${fmt(percentile(s, 99), 2)} | ${fmt(s[s.length - 1]!, 2)} |`;
  };
  return [
    `### Event latency: worker killed → its reap in the plugin's handleRecv (${lat.ours!.length} kills, ms)`,
    "",
    "| path (both plugins against our daemon, in one run) | p50 | p90 | p99 | max |",
    "|---|---|---|---|---|",
    row("kill → ours (a user plugin run by the compiled binary)", lat.ours!),
    row("kill → Circus 0.19 CircusPlugin (Python)", lat.circus!),
    row("kill → the daemon noticed the exit (the event's `time`)", lat.daemon!),
    "",
    "### Memory of the latency probes (idle plugin processes next to a running daemon)",
    "",
    ...MEMORY_HEAD,
    ...latencyMemory,
    "",
    "Each plugin's handleRecv sends a UDP datagram back; the time is measured here, on one clock, when",
    "the datagram arrives (so it includes that loopback hop). The daemon's part is the reap event's",
    "`time` (Date.now() in the daemon, millisecond resolution) against the wall clock at the kill.",
    "",
  ];
}

/** 4: one scrape of the Prometheus plugin with WORKERS processes. */
async function prometheus(): Promise<string[]> {
  const port = freePort();
  const half = Math.floor(WORKERS / 2);
  const daemon = await startCircusDaemon(
    DIR,
    `[watcher:a]\ncmd = sleep 3600\nnumprocesses = ${half}\n\n[watcher:b]\ncmd = sleep 3600\nnumprocesses = ${WORKERS - half}\n\n[plugin:prom]\nuse = prometheus\nport = ${port}\n`,
  );
  const url = `http://127.0.0.1:${port}/metrics`;
  const times: number[] = [];
  let first = 0;
  let bytes = 0;
  try {
    for (;;) {
      const n = (await daemon.client.call("numprocesses")).numprocesses;
      if (n === WORKERS + 1) break;
      await Bun.sleep(500);
    }
    await Bun.sleep(2000);
    let t = performance.now();
    const firstText = await (await fetch(url)).text();
    first = performance.now() - t;
    if (!firstText.includes(`circus_watcher_processes_running{watcher="a"} ${half}`))
      throw new Error("the scrape does not show every process");
    for (let i = 0; i < 20; i++) {
      t = performance.now();
      const text = await (await fetch(url)).text();
      times.push(performance.now() - t);
      bytes = text.length;
    }
  } finally {
    await daemon.stop();
  }
  times.sort((x, y) => x - y);
  return [
    `### Prometheus: one scrape with ${WORKERS} processes (${fmt(bytes / 1024, 0)} KiB of text)`,
    "",
    "| scrape | ms |",
    "|---|---|",
    `| first (learns each process's wid with one \`stats\` per watcher) | ${fmt(first, 1)} |`,
    `| next 20: median / p90 / max | ${fmt(percentile(times, 50), 1)} / ${fmt(percentile(times, 90), 1)} / ${fmt(times[times.length - 1]!, 1)} |`,
    "",
  ];
}

try {
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1]!.split(",") : null;
  const wanted = (part: string) => only === null || only.includes(part);
  const out = [
    ...(wanted("statsd") ? await statsd() : []),
    ...(wanted("latency") ? await latency() : []),
    ...(wanted("prometheus") ? await prometheus() : []),
  ];
  process.stdout.write(out.join("\n") + "\n");
} finally {
  for (const p of children) if (p.exitCode === null) p.kill("SIGKILL");
  rmSync(DIR, { recursive: true, force: true });
}
