// Control-channel benchmarks, one run, one machine:
//   - `list` round trip from one pyzmq DEALER (as circusctl sends it), 10 000 calls, next to the same
//     client against a bare pyzmq ROUTER that echoes a fixed reply
//   - `list <name>` with 500 processes
//   - time from exec of `circus daemon` until the first `status` reply
// Run: bun scripts/bench/control.ts [--calls 10000]   (after `npm run build`)

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BenchClient, fmt, freePort } from "./common.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BINARY = join(ROOT, "dist/circus");
const i = process.argv.indexOf("--calls");
const CALLS = i > 0 ? Number(process.argv[i + 1]) : 10000;

// One pyzmq DEALER timing `n` sequential requests; prints median and p99 in microseconds.
const PY_CLIENT = `
import json, sys, time, uuid, zmq
endpoint, command, props, n = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
s.setsockopt(zmq.LINGER, 0)
s.connect(endpoint)
def call():
    rid = uuid.uuid4().hex
    s.send(json.dumps({"id": rid, "command": command, "properties": props}).encode())
    while True:
        reply = json.loads(s.recv())
        if reply.get("id") == rid:
            return reply
for _ in range(min(200, n)): call()
lat = []
for _ in range(n):
    t = time.perf_counter(); call(); lat.append((time.perf_counter() - t) * 1e6)
lat.sort()
print(json.dumps({"median": lat[len(lat) // 2], "p99": lat[int(len(lat) * 0.99) - 1]}))
`;

// A bare ROUTER answering every request with a list-shaped reply, echoing the id.
const PY_ECHO = `
import json, sys, time, zmq
s = zmq.Context().socket(zmq.ROUTER)
s.setsockopt(zmq.LINGER, 0)
s.bind(sys.argv[1])
print("READY", flush=True)
while True:
    ident, body = s.recv_multipart()
    req = json.loads(body)
    s.send_multipart([ident, json.dumps({"status": "ok", "time": time.time(), "id": req.get("id"), "watchers": ["sleepers"]}).encode()])
`;

async function pyClient(
  endpoint: string,
  command: string,
  props: object,
  n: number,
): Promise<{ median: number; p99: number }> {
  const proc = Bun.spawn(["/usr/bin/python3", "-c", PY_CLIENT, endpoint, command, JSON.stringify(props), String(n)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(text);
}

const dir = mkdtempSync(join(tmpdir(), "bench-control-"));
const endpoint = `tcp://127.0.0.1:${freePort()}`;
const config = join(dir, "circus.ini");
writeFileSync(
  config,
  `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
    `[watcher:sleepers]\ncmd = sleep 3600\nnumprocesses = 500\ngraceful_timeout = 1\n`,
);

// First answer after exec, with a small config (one watcher of 2 workers): a DEALER of ours, already
// connecting every 5 ms, asks `status` until the daemon answers.
const { DealerSocket } = await import("../../src/zmtp/index.ts");
async function firstAnswerMs(
  configPath: string,
  controlEndpoint: string,
): Promise<{ ms: number; proc: ReturnType<typeof Bun.spawn> }> {
  const probe = new DealerSocket({ reconnectInterval: 5 });
  probe.connect(controlEndpoint);
  const start = performance.now();
  const proc = Bun.spawn([BINARY, "daemon", configPath, "--log-level", "warning"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (;;) {
    await probe.send([JSON.stringify({ id: "first", command: "status", properties: {} })]);
    if (await probe.receive(10).catch(() => null)) break;
  }
  const ms = performance.now() - start;
  await probe.close();
  return { ms, proc };
}
const smallEndpoint = `tcp://127.0.0.1:${freePort()}`;
const smallConfig = join(dir, "small.ini");
writeFileSync(
  smallConfig,
  `[circus]\nendpoint = ${smallEndpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
    `[watcher:sleepers]\ncmd = sleep 3600\nnumprocesses = 2\ngraceful_timeout = 1\n`,
);
const firstSamples: number[] = [];
for (let run = 0; run < 5; run++) {
  const { ms, proc } = await firstAnswerMs(smallConfig, smallEndpoint);
  firstSamples.push(ms);
  await pyClient(smallEndpoint, "quit", { waiting: true }, 1).catch(() => null);
  await proc.exited;
}
firstSamples.sort((a, b) => a - b);
const firstAnswer = firstSamples[2]!;
const big = await firstAnswerMs(config, endpoint);
const daemon = big.proc;
const firstAnswer500 = big.ms;

// Let all 500 workers come up before timing list.
const waiter = new BenchClient(endpoint);
while (((await waiter.call("list", { name: "sleepers" })).pids as number[]).length < 500) await Bun.sleep(100);
await waiter.close();

const echoEndpoint = `tcp://127.0.0.1:${freePort()}`;
const echo = Bun.spawn(["/usr/bin/python3", "-c", PY_ECHO, echoEndpoint], { stdout: "pipe", stderr: "inherit" });
const reader = echo.stdout.getReader();
await reader.read();

const echoLat = await pyClient(echoEndpoint, "list", {}, CALLS);
const listLat = await pyClient(endpoint, "list", {}, CALLS);
const list500 = await pyClient(endpoint, "list", { name: "sleepers" }, 1000);

echo.kill();
await pyClient(endpoint, "quit", { waiting: true }, 1).catch(() => null);
await daemon.exited;
rmSync(dir, { recursive: true, force: true });

console.log(`| metric | circus | bare pyzmq ROUTER echo | ratio |`);
console.log(`|---|---|---|---|`);
console.log(
  `| \`list\` round trip, median (${CALLS} calls) | ${fmt(listLat.median)} µs | ${fmt(echoLat.median)} µs | ${fmt(listLat.median / echoLat.median, 2)} |`,
);
console.log(
  `| \`list\` round trip, p99 | ${fmt(listLat.p99)} µs | ${fmt(echoLat.p99)} µs | ${fmt(listLat.p99 / echoLat.p99, 2)} |`,
);
console.log(
  `| \`list sleepers\` with 500 processes, median / p99 (1000 calls) | ${fmt(list500.median)} / ${fmt(list500.p99)} µs | | |`,
);
console.log(
  `| exec of \`circus daemon\` → first \`status\` reply, 2 workers (median of 5) | ${fmt(firstAnswer)} ms | | |`,
);
console.log(
  `| exec of \`circus daemon\` → first \`status\` reply while starting 500 workers | ${fmt(firstAnswer500)} ms | | |`,
);
