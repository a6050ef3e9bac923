// CURVE benchmark: a ROUTER echo round trip with CURVE vs NULL in the same run, the handshake time,
// and pyzmq↔pyzmq (libzmq 4.3.4 + libsodium) beside them. Each side runs in its own process.
// Run: node_modules/.bin/bun scripts/bench/curve.ts [roundTrips=10000] [handshakes=200]
// Prints markdown. Not a test: numbers depend on the machine and its load.

import {
  type CurveKeyPair,
  DealerSocket,
  generateKeyPair,
  RouterSocket,
  type SocketOptions,
  z85Decode,
  z85Encode,
} from "../../src/zmtp/index.ts";
import { fmt, percentile } from "./common.ts";

const PY = "/usr/bin/python3";
const [first, ...rest] = process.argv.slice(2);

// ---- child role: our ROUTER echo, NULL or CURVE (`bun curve.ts --router <public|-> <secret|->`) ----
if (first === "--router") {
  const [pub, sec] = rest;
  const curve =
    pub === "-"
      ? undefined
      : { role: "server" as const, keyPair: { publicKey: z85Decode(pub!)!, secretKey: z85Decode(sec!)! } };
  const r = new RouterSocket({ curve });
  r.onMessage((f) => r.send(f));
  console.log(`READY ${await r.bind("tcp://127.0.0.1:0")}`);
  await new Promise(() => {});
}

const N = Number(first ?? 10_000);
const HANDSHAKES = Number(rest[0] ?? 200);
const BODY = '{"command":"list","id":"0123456789abcdef0123456789abcdef"}';

const PY_ROUTER = `
import zmq, sys
c = zmq.Context(); s = c.socket(zmq.ROUTER)
if sys.argv[1] != "-":
    s.curve_server = True; s.curve_publickey = sys.argv[1].encode(); s.curve_secretkey = sys.argv[2].encode()
s.bind("tcp://127.0.0.1:0")
print("READY", s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
while True: s.send_multipart(s.recv_multipart())
`;
// Round trips, then handshake times: connect until the monitor reports HANDSHAKE_SUCCEEDED.
const PY_CLIENT = `
import zmq, sys, time
from zmq.utils.monitor import recv_monitor_message
ep, server_key, n, hs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = zmq.Context()
def dealer():
    s = c.socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0)
    if server_key != "-":
        pub, sec = zmq.curve_keypair()
        s.curve_serverkey = server_key.encode(); s.curve_publickey = pub; s.curve_secretkey = sec
    return s
s = dealer(); s.connect(ep)
body = b'${BODY}'
for _ in range(200): s.send(body); s.recv()
ts = []
for _ in range(n):
    t = time.perf_counter(); s.send(body); s.recv(); ts.append((time.perf_counter() - t) * 1e6)
ts.sort(); print("RESULT", ts[len(ts)//2], ts[int(len(ts)*0.99)], flush=True)
s.close()
hts = []
for _ in range(hs):
    d = dealer(); m = d.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    t = time.perf_counter(); d.connect(ep); recv_monitor_message(m); hts.append((time.perf_counter() - t) * 1e3)
    d.disable_monitor(); m.close(); d.close()
hts.sort(); print("HANDSHAKE", hts[len(hts)//2], hts[int(len(hts)*0.99)], flush=True)
`;

interface Proc {
  next(prefix: string): Promise<string>;
  kill(): void;
}

function spawn(cmd: string[]): Proc {
  const p = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
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
    kill: () => p.kill("SIGKILL"),
  };
}

interface Figures {
  median: number;
  p99: number;
  handshakeMedian: number;
  handshakeP99: number;
}

const keyArgs = (k: CurveKeyPair | null) => (k ? [z85Encode(k.publicKey), z85Encode(k.secretKey)] : ["-", "-"]);

/** Our DEALER against our ROUTER (in a child process): round trips, then fresh-socket handshakes. */
async function ours(server: CurveKeyPair | null): Promise<Figures> {
  const srv = spawn([process.execPath, import.meta.path, "--router", ...keyArgs(server)]);
  try {
    const ep = await srv.next("READY");
    // A fresh client pair per socket, made before the clock starts (pyzmq's loop does the same).
    const options = async (): Promise<SocketOptions> =>
      server ? { curve: { role: "client", serverKey: server.publicKey, keyPair: await generateKeyPair() } } : {};
    const d = new DealerSocket(await options());
    d.connect(ep);
    for (let i = 0; i < 200; i++) {
      await d.send([BODY]);
      await d.receive();
    }
    const ts: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await d.send([BODY]);
      await d.receive();
      ts.push((performance.now() - t) * 1000);
    }
    await d.close();
    const hs: number[] = [];
    for (let i = 0; i < HANDSHAKES; i++) {
      const s = new DealerSocket(await options());
      const done = s.once("handshake_succeeded");
      const t = performance.now();
      s.connect(ep);
      await done;
      hs.push(performance.now() - t);
      await s.close();
    }
    ts.sort((a, b) => a - b);
    hs.sort((a, b) => a - b);
    return {
      median: percentile(ts, 50),
      p99: percentile(ts, 99),
      handshakeMedian: percentile(hs, 50),
      handshakeP99: percentile(hs, 99),
    };
  } finally {
    srv.kill();
  }
}

/** pyzmq DEALER against pyzmq ROUTER, the same measurements taken inside Python. */
async function pyzmq(server: CurveKeyPair | null): Promise<Figures> {
  const srv = spawn([PY, "-u", "-c", PY_ROUTER, ...keyArgs(server)]);
  try {
    const ep = await srv.next("READY");
    const serverKey = server ? z85Encode(server.publicKey) : "-";
    const cli = spawn([PY, "-u", "-c", PY_CLIENT, ep, serverKey, String(N), String(HANDSHAKES)]);
    const [median, p99] = (await cli.next("RESULT")).split(" ").map(Number);
    const [handshakeMedian, handshakeP99] = (await cli.next("HANDSHAKE")).split(" ").map(Number);
    cli.kill();
    return { median: median!, p99: p99!, handshakeMedian: handshakeMedian!, handshakeP99: handshakeP99! };
  } finally {
    srv.kill();
  }
}

const serverKeys = await generateKeyPair();
// Interleave so load changes on the shared machine touch both mechanisms alike.
const oursNull = await ours(null);
const oursCurve = await ours(serverKeys);
const pyNull = await pyzmq(null);
const pyCurve = await pyzmq(serverKeys);

const us = (x: number) => `${fmt(x, 0)} µs`;
const ms = (x: number) => `${fmt(x, 2)} ms`;
console.log(`## CURVE vs NULL (${N} DEALER→ROUTER echo round trips, ${HANDSHAKES} handshakes, tcp loopback)\n`);
console.log("| pair | mechanism | round trip median | p99 | handshake median | p99 |");
console.log("|---|---|---|---|---|---|");
for (const [pair, mech, f] of [
  ["ours → ours", "NULL", oursNull],
  ["ours → ours", "CURVE", oursCurve],
  ["pyzmq → pyzmq", "NULL", pyNull],
  ["pyzmq → pyzmq", "CURVE", pyCurve],
] as const) {
  console.log(
    `| ${pair} | ${mech} | ${us(f.median)} | ${us(f.p99)} | ${ms(f.handshakeMedian)} | ${ms(f.handshakeP99)} |`,
  );
}
console.log(`\nours CURVE / NULL round trip (median): ${fmt(oursCurve.median / oursNull.median, 2)}× (goal ≤ 1.3×)`);
console.log(`pyzmq CURVE / NULL round trip (median): ${fmt(pyCurve.median / pyNull.median, 2)}×`);
console.log(`ours CURVE handshake (median): ${ms(oursCurve.handshakeMedian)} (goal ≤ 5 ms)`);
process.exit(0);
