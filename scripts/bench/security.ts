// Security benchmarks, one run, one machine:
//   - `list` round trip against two daemons, one plain (NULL) and one CURVE, same config, measured in
//     interleaved blocks: from a pyzmq DEALER (libsodium on the client side) and from our CircusClient
//     (what `circus ctl` uses: pure-JS boxes on both sides)
//   - CURVE handshake against the daemon: our DEALER and pyzmq's
//   - beside them, pyzmq DEALER → pyzmq ROUTER answering a list-shaped reply, NULL and CURVE
//   - a flood of 50 000 SUBSCRIBEs on the daemon's pub/sub endpoint while a pyzmq client keeps calling
//     `list`: its latency throughout
// Run: bun scripts/bench/security.ts [--calls 5000]   (after `npm run build`)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CircusClient } from "../../src/protocol/client.ts";
import { encodeCommand } from "../../src/zmtp/frames.ts";
import { encodeGreeting } from "../../src/zmtp/greeting.ts";
import { encodeProperties } from "../../src/zmtp/handshake.ts";
import { type CurveKeyPair, DealerSocket, writeCertificatePair, z85Encode } from "../../src/zmtp/index.ts";
import { fmt, freePort, percentile } from "./common.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BINARY = join(ROOT, "dist/circus");
const PY = "/usr/bin/python3";
const i = process.argv.indexOf("--calls");
const CALLS = i > 0 ? Number(process.argv[i + 1]) : 5000;
const BLOCKS = 5;
const HANDSHAKES = 200;

// pyzmq DEALER: `n` list calls as circusctl sends them (NULL, or CURVE with the given keys), then
// `hs` fresh-socket handshakes timed to ZMQ_EVENT_HANDSHAKE_SUCCEEDED. Prints latencies as JSON.
const PY_CLIENT = `
import json, sys, time, uuid, zmq
from zmq.utils.monitor import recv_monitor_message
ep, server_key, pub, sec, n, hs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
c = zmq.Context()
def dealer():
    s = c.socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0); s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
    if server_key != "-":
        s.curve_serverkey = server_key.encode(); s.curve_publickey = pub.encode(); s.curve_secretkey = sec.encode()
    return s
s = dealer(); s.connect(ep)
def call():
    rid = uuid.uuid4().hex
    s.send(json.dumps({"id": rid, "command": "list", "properties": {}}).encode())
    while json.loads(s.recv()).get("id") != rid: pass
for _ in range(min(200, n)): call()
lat = []
for _ in range(n):
    t = time.perf_counter(); call(); lat.append((time.perf_counter() - t) * 1e6)
s.close()
hts = []
for _ in range(hs):
    d = dealer(); m = d.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    t = time.perf_counter(); d.connect(ep); recv_monitor_message(m); hts.append((time.perf_counter() - t) * 1e3)
    d.disable_monitor(); m.close(); d.close()
print(json.dumps({"lat": lat, "hs": hts}), flush=True)
`;

// pyzmq ROUTER answering every request with a list-shaped reply, NULL or CURVE (any client key).
const PY_ECHO = `
import json, sys, time, zmq
s = zmq.Context().socket(zmq.ROUTER); s.setsockopt(zmq.LINGER, 0)
if sys.argv[2] != "-":
    s.curve_server = True; s.curve_publickey = sys.argv[2].encode(); s.curve_secretkey = sys.argv[3].encode()
s.bind(sys.argv[1])
print("READY", flush=True)
while True:
    ident, body = s.recv_multipart()
    req = json.loads(body)
    s.send_multipart([ident, json.dumps({"status": "ok", "time": time.time(), "id": req.get("id"), "watchers": ["sleepers"]}).encode()])
`;

// pyzmq DEALER calling `list` for `seconds`, printing every latency (µs) with its start offset (ms).
const PY_TIMELINE = `
import json, sys, time, uuid, zmq
s = zmq.Context().socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
def call():
    rid = uuid.uuid4().hex
    s.send(json.dumps({"id": rid, "command": "list", "properties": {}}).encode())
    while json.loads(s.recv()).get("id") != rid: pass
for _ in range(200): call()
print("READY", flush=True)
sys.stdin.readline()
start = time.perf_counter(); out = []
while time.perf_counter() - start < float(sys.argv[2]):
    t = time.perf_counter(); call(); out.append([(t - start) * 1e3, (time.perf_counter() - t) * 1e6])
print(json.dumps(out), flush=True)
`;

interface Sample {
  lat: number[];
  hs: number[];
}

async function py(args: string[]): Promise<Sample> {
  const proc = Bun.spawn([PY, "-c", PY_CLIENT, ...args], { stdout: "pipe", stderr: "inherit" });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(text) as Sample;
}

function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}
function p99(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    99,
  );
}

const dir = mkdtempSync(join(tmpdir(), "bench-security-"));
const server = await writeCertificatePair(dir, "server");
mkdirSync(join(dir, "clients"));
mkdirSync(join(dir, "me"));
const me = await writeCertificatePair(join(dir, "me"), "me");
writeFileSync(join(dir, "clients", "me.key"), await Bun.file(me.publicFile).text());
const keyArgs = (k: CurveKeyPair) => [z85Encode(k.publicKey), z85Encode(k.secretKey)];

function config(name: string, curve: boolean): { path: string; endpoint: string; pubsub: string } {
  const endpoint = `tcp://127.0.0.1:${freePort()}`;
  const pubsub = `tcp://127.0.0.1:${freePort()}`;
  const path = join(dir, `${name}.ini`);
  writeFileSync(
    path,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\n` +
      (curve ? "curve_secret_key = server.key_secret\ncurve_authorized_keys = clients\n" : "") +
      "\n[watcher:sleepers]\ncmd = sleep 3600\nnumprocesses = 10\ngraceful_timeout = 1\n",
  );
  return { path, endpoint, pubsub };
}

const plain = config("plain", false);
const curve = config("curve", true);
const daemons = [plain, curve].map((c) =>
  Bun.spawn([BINARY, "daemon", c.path, "--log-level", "warning"], {
    cwd: dir,
    stdio: ["ignore", "inherit", "inherit"],
  }),
);
const curveKeys = { serverKey: server.keyPair.publicKey, keyPair: me.keyPair };
const ours = {
  plain: new CircusClient({ endpoint: plain.endpoint, timeoutMs: 10_000 }),
  curve: new CircusClient({ endpoint: curve.endpoint, timeoutMs: 10_000, curve: curveKeys }),
};
for (const c of Object.values(ours)) {
  for (;;) {
    if ((await c.call("list").catch(() => null))?.status === "ok") break;
    await Bun.sleep(50);
  }
}

async function ourCalls(client: CircusClient, n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    await client.call("list");
    lat.push((performance.now() - t) * 1000);
  }
  return lat;
}

// Round trips in interleaved blocks, so a change of load on the shared machine touches both alike.
const per = Math.ceil(CALLS / BLOCKS);
const lat = { pyPlain: [] as number[], pyCurve: [] as number[], ourPlain: [] as number[], ourCurve: [] as number[] };
for (const c of Object.values(ours)) await ourCalls(c, 200);
for (let b = 0; b < BLOCKS; b++) {
  lat.pyPlain.push(...(await py([plain.endpoint, "-", "-", "-", String(per), "0"])).lat);
  lat.pyCurve.push(
    ...(await py([curve.endpoint, z85Encode(server.keyPair.publicKey), ...keyArgs(me.keyPair), String(per), "0"])).lat,
  );
  lat.ourPlain.push(...(await ourCalls(ours.plain, per)));
  lat.ourCurve.push(...(await ourCalls(ours.curve, per)));
}
const pyHandshakes = (
  await py([curve.endpoint, z85Encode(server.keyPair.publicKey), ...keyArgs(me.keyPair), "1", String(HANDSHAKES)])
).hs;
const ourHandshakes: number[] = [];
for (let k = 0; k < HANDSHAKES; k++) {
  const s = new DealerSocket({ curve: { role: "client", ...curveKeys } });
  const done = s.once("handshake_succeeded");
  const t = performance.now();
  s.connect(curve.endpoint);
  await done;
  ourHandshakes.push(performance.now() - t);
  await s.close();
}

// pyzmq ↔ pyzmq beside them.
async function pyEcho(withCurve: boolean): Promise<number[]> {
  const ep = `tcp://127.0.0.1:${freePort()}`;
  const echo = Bun.spawn([PY, "-u", "-c", PY_ECHO, ep, ...(withCurve ? keyArgs(server.keyPair) : ["-", "-"])], {
    stdout: "pipe",
    stderr: "inherit",
  });
  await echo.stdout.getReader().read();
  const args = withCurve ? [z85Encode(server.keyPair.publicKey), ...keyArgs(me.keyPair)] : ["-", "-", "-"];
  const sample = await py([ep, ...args, String(CALLS), "0"]);
  echo.kill();
  return sample.lat;
}
const echoPlain = await pyEcho(false);
const echoCurve = await pyEcho(true);

// The SUBSCRIBE flood on the plain daemon's pub/sub endpoint, `list` timed throughout.
const WINDOW_MS = 3000;
const timeline = Bun.spawn([PY, "-u", "-c", PY_TIMELINE, plain.endpoint, String((2 * WINDOW_MS) / 1000)], {
  stdin: "pipe",
  stdout: "pipe",
  stderr: "inherit",
});
const lines = timeline.stdout.getReader();
await lines.read(); // READY
const pubPort = Number(plain.pubsub.slice(plain.pubsub.lastIndexOf(":") + 1));
const flood = await Bun.connect({ hostname: "127.0.0.1", port: pubPort, socket: { data() {} } });
const frames: Uint8Array[] = [
  encodeGreeting(1),
  encodeCommand("READY", encodeProperties([["Socket-Type", new TextEncoder().encode("SUB")]])),
];
for (let k = 0; k < 50_000; k++) frames.push(encodeCommand("SUBSCRIBE", new TextEncoder().encode(`flood.${k}.`)));
timeline.stdin.write("go\n");
timeline.stdin.flush();
await Bun.sleep(WINDOW_MS);
const floodAt = WINDOW_MS;
flood.write(Buffer.concat(frames));
const timelineText = await new Response(
  new ReadableStream({
    async pull(ctl) {
      const { value, done } = await lines.read();
      if (done) ctl.close();
      else ctl.enqueue(value);
    },
  }),
).text();
const points = JSON.parse(timelineText) as [number, number][];
flood.end();
const during = points.filter(([t]) => t >= floodAt).map(([, us]) => us);
const before = points.filter(([t]) => t < floodAt).map(([, us]) => us);

for (const c of Object.values(ours)) {
  await c.call("quit").catch(() => null);
  await c.close();
}
await Promise.all(daemons.map((d) => d.exited));
rmSync(dir, { recursive: true, force: true });

const us = (x: number) => `${fmt(x, 0)} µs`;
const ms = (x: number) => `${fmt(x, 2)} ms`;
console.log(`## \`list\` over CURVE vs NULL (${CALLS} calls each, ${BLOCKS} interleaved blocks; 10 workers)\n`);
console.log("| client → server | NULL median | p99 | CURVE median | p99 | CURVE / NULL (median) |");
console.log("|---|---|---|---|---|---|");
const row = (name: string, a: number[], b: number[]) =>
  console.log(
    `| ${name} | ${us(median(a))} | ${us(p99(a))} | ${us(median(b))} | ${us(p99(b))} | ${fmt(median(b) / median(a), 2)}× |`,
  );
row("pyzmq DEALER → circus daemon", lat.pyPlain, lat.pyCurve);
row("CircusClient (circus ctl) → circus daemon", lat.ourPlain, lat.ourCurve);
row("pyzmq DEALER → pyzmq ROUTER (list-shaped reply)", echoPlain, echoCurve);
console.log(`\n| CURVE handshake with the daemon (${HANDSHAKES}) | median | p99 |`);
console.log("|---|---|---|");
console.log(`| our DEALER | ${ms(median(ourHandshakes))} | ${ms(p99(ourHandshakes))} |`);
console.log(`| pyzmq DEALER | ${ms(median(pyHandshakes))} | ${ms(p99(pyHandshakes))} |`);
console.log(`\n## SUBSCRIBE flood (50 000 distinct prefixes in one burst) while pyzmq calls \`list\`\n`);
console.log("| window | calls | median | p99 | max | calls over 5 ms |");
console.log("|---|---|---|---|---|---|");
const windowRow = (name: string, xs: number[]) =>
  console.log(
    `| ${name} | ${xs.length} | ${us(median(xs))} | ${us(p99(xs))} | ${us(Math.max(...xs))} | ${xs.filter((x) => x > 5000).length} |`,
  );
windowRow(`${WINDOW_MS} ms before the flood`, before);
windowRow(`${WINDOW_MS} ms from the flood on`, during);
const slowest = points.filter(([t]) => t >= floodAt).reduce((a, b) => (b[1] > a[1] ? b : a));
console.log(
  `\nslowest call during the flood: ${us(slowest[1])}, ${fmt(slowest[0] - floodAt, 0)} ms after the flood was sent`,
);
process.exit(0);
