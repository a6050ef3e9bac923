// Wire benchmark for src/zmtp against pyzmq (libzmq 4.3.4): DEALER→ROUTER round trips and
// PUB→SUB throughput, each side in its own process as circusctl/circusd would be.
// Run: node_modules/.bin/bun scripts/bench/wire.ts [roundTrips=10000] [pubMessages=200000]
// Prints a markdown table. Not a test: numbers depend on the machine and its load.

import { DealerSocket, PubSocket, RouterSocket, SubSocket } from "../../src/zmtp/index.ts";

const PY = "/usr/bin/python3";
const [roleOrN, ...rest] = process.argv.slice(2);

// ---- child roles (run as `bun wire.ts --role …`) ----
if (roleOrN === "--role") {
  const [role, ep] = rest;
  if (role === "router") {
    const r = new RouterSocket();
    const bound = await r.bind(ep!);
    r.onMessage((f) => r.send(f));
    console.log(`READY ${bound}`);
  } else if (role === "sub") {
    const s = new SubSocket();
    s.connect(ep!);
    s.subscribe("");
    let count = 0;
    let t0 = 0;
    s.onMessage((f) => {
      const first = f[0]!;
      if (first.length === 4) {
        // "sync" or "done" control messages
        if (first[0] === 0x73 && t0 === 0) console.log("SYNC");
        else if (first[0] === 0x64) {
          console.log(`DONE ${count} ${(performance.now() - t0) / 1000}`);
          process.exit(0);
        }
        return;
      }
      if (count++ === 0) t0 = performance.now();
    });
    console.log("READY");
  }
  await new Promise(() => {});
}

const N = Number(roleOrN ?? 10_000);
const PUB_N = Number(rest[0] ?? 200_000);

const PY_ROUTER = `
import zmq, sys
c = zmq.Context(); s = c.socket(zmq.ROUTER); s.bind(sys.argv[1])
print("READY", s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
while True: s.send_multipart(s.recv_multipart())
`;
const PY_DEALER = `
import zmq, sys, time, statistics
c = zmq.Context(); s = c.socket(zmq.DEALER); s.setsockopt(zmq.IDENTITY, b"bench"); s.connect(sys.argv[1])
n = int(sys.argv[2]); body = b'{"command":"list","id":"0123456789abcdef0123456789abcdef"}'
for _ in range(200): s.send(body); s.recv()
ts = []
for _ in range(n):
    t = time.perf_counter(); s.send(body); s.recv(); ts.append((time.perf_counter() - t) * 1e6)
ts.sort(); print("RESULT", ts[len(ts)//2], ts[int(len(ts)*0.99)], flush=True)
`;
const PY_PUB = `
import zmq, sys, time
c = zmq.Context(); s = c.socket(zmq.PUB); s.bind(sys.argv[1]); n = int(sys.argv[2])
print("READY", s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
sys.stdin.readline()
body = b"x" * 100
for i in range(n): s.send(body)
for _ in range(50): s.send(b"done"); time.sleep(0.01)
`;
const PY_SUB = `
import zmq, sys, time
c = zmq.Context(); s = c.socket(zmq.SUB); s.connect(sys.argv[1]); s.setsockopt(zmq.SUBSCRIBE, b"")
print("READY", flush=True)
count = 0; t0 = 0; synced = False
while True:
    m = s.recv()
    if len(m) == 4:
        if m == b"sync" and not synced: synced = True; print("SYNC", flush=True)
        elif m == b"done": print("DONE", count, time.perf_counter() - t0, flush=True); break
        continue
    if count == 0: t0 = time.perf_counter()
    count += 1
`;

interface Proc {
  next(prefix: string): Promise<string>;
  write(line: string): void;
  kill(): void;
}

function spawn(cmd: string[]): Proc {
  const p = Bun.spawn(cmd, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  let buf = "";
  const dec = new TextDecoder();
  return {
    async next(prefix) {
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith(prefix)) return line.slice(prefix.length).trim();
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`${cmd.join(" ")} exited before printing ${prefix}`);
        buf += dec.decode(value);
      }
    },
    write(line) {
      p.stdin.write(line + "\n");
      p.stdin.flush();
    },
    kill: () => p.kill("SIGKILL"),
  };
}

const self = import.meta.path;
const bun = process.execPath;
const us = (x: number) => `${x.toFixed(0)} µs`;

async function oursDealer(ep: string): Promise<[number, number]> {
  const d = new DealerSocket({ identity: "bench" });
  d.connect(ep);
  const body = '{"command":"list","id":"0123456789abcdef0123456789abcdef"}';
  for (let i = 0; i < 200; i++) {
    await d.send([body]);
    await d.receive();
  }
  const ts: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await d.send([body]);
    await d.receive();
    ts.push((performance.now() - t) * 1000);
  }
  await d.close();
  ts.sort((a, b) => a - b);
  return [ts[Math.floor(ts.length / 2)]!, ts[Math.floor(ts.length * 0.99)]!];
}

async function roundTrip(server: "ours" | "py", client: "ours" | "py"): Promise<[number, number]> {
  const srv =
    server === "ours"
      ? spawn([bun, self, "--role", "router", "tcp://127.0.0.1:0"])
      : spawn([PY, "-u", "-c", PY_ROUTER, "tcp://127.0.0.1:0"]);
  try {
    const ep = await srv.next("READY");
    if (client === "ours") return await oursDealer(ep);
    const cli = spawn([PY, "-u", "-c", PY_DEALER, ep, String(N)]);
    const [med, p99] = (await cli.next("RESULT")).split(" ").map(Number);
    return [med!, p99!];
  } finally {
    srv.kill();
  }
}

async function oursPubSub(): Promise<{ rate: number; received: number }> {
  const pub = new PubSocket();
  const ep = await pub.bind("tcp://127.0.0.1:0");
  const sub = spawn([bun, self, "--role", "sub", ep]);
  try {
    await sub.next("READY");
    const synced = sub.next("SYNC");
    let ok = false;
    void synced.then(() => (ok = true));
    while (!ok) {
      await pub.send(["sync"]);
      await Bun.sleep(10);
    }
    const body = new Uint8Array(100).fill(120);
    // Yield between batches so the event loop can drain the socket (PUB drops when full).
    for (let i = 0; i < PUB_N; i += 500) {
      for (let j = 0; j < 500; j++) await pub.send([body]);
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 50; i++) {
      await pub.send(["done"]);
      await Bun.sleep(10);
    }
    const [count, secs] = (await sub.next("DONE")).split(" ").map(Number);
    return { rate: count! / secs!, received: count! };
  } finally {
    sub.kill();
    await pub.close();
  }
}

async function pyPubSub(): Promise<{ rate: number; received: number }> {
  // pyzmq's PUB cannot be sync'ed from here, so it is started after its SUB connects.
  const pubProc = spawn([
    PY,
    "-u",
    "-c",
    PY_PUB.replace(
      "sys.stdin.readline()",
      "sys.stdin.readline()\nfor _ in range(30): s.send(b'sync'); time.sleep(0.01)",
    ),
    "tcp://127.0.0.1:0",
    String(PUB_N),
  ]);
  const ep = await pubProc.next("READY");
  const sub = spawn([PY, "-u", "-c", PY_SUB, ep]);
  try {
    await sub.next("READY");
    await Bun.sleep(300);
    pubProc.write("go");
    await sub.next("SYNC");
    const [count, secs] = (await sub.next("DONE")).split(" ").map(Number);
    return { rate: count! / secs!, received: count! };
  } finally {
    sub.kill();
    pubProc.kill();
  }
}

const rows: string[] = [];
const rt = async (label: string, s: "ours" | "py", c: "ours" | "py") => {
  const [med, p99] = await roundTrip(s, c);
  rows.push(`| ${label} | ${us(med)} | ${us(p99)} |`);
  return med;
};
console.log(`## DEALER→ROUTER round trips (${N}, tcp loopback, one JSON frame)\n`);
const pyMed = await rt("pyzmq DEALER → pyzmq ROUTER", "py", "py");
const ourMed = await rt("ours DEALER → ours ROUTER", "ours", "ours");
await rt("pyzmq DEALER → ours ROUTER", "ours", "py");
await rt("ours DEALER → pyzmq ROUTER", "py", "ours");
console.log("| pair | median | p99 |\n|---|---|---|\n" + rows.join("\n"));
console.log(`\nours/pyzmq median: ${(ourMed / pyMed).toFixed(2)}×`);

const py = await pyPubSub();
const ours = await oursPubSub();
console.log(`\n## PUB→SUB throughput (${PUB_N} × 100-byte messages, tcp loopback)\n`);
console.log("| pair | received | messages/s |\n|---|---|---|");
console.log(`| pyzmq PUB → pyzmq SUB | ${py.received} | ${Math.round(py.rate)} |`);
console.log(`| ours PUB → ours SUB | ${ours.received} | ${Math.round(ours.rate)} |`);
console.log(`\nours/pyzmq throughput: ${((ours.rate / py.rate) * 100).toFixed(0)}%`);
process.exit(0);
