// Ready-made libzmq peers: a pyzmq socket (Debian python3) or a zeromq.js socket (Node) of any type,
// bound or connected, driven over stdin/stdout with JSON lines (frames travel as base64).
//   const py = await pyZmq({ type: "DEALER", connect: [ep], identity: "abc" });
//   py.send(["hello"]); const frames = await py.recv();   // Uint8Array[]
// With `echo: true` every received message is sent straight back instead of printed.

import { spawnNode, spawnPython, type Peer } from "./peers.ts";

export interface ZmqPeerConfig {
  type: "REQ" | "REP" | "DEALER" | "ROUTER" | "PUB" | "SUB";
  bind?: string;
  connect?: string[];
  identity?: string;
  subscribe?: string[];
  echo?: boolean;
  /** Extra integer socket options by pyzmq name, e.g. { HEARTBEAT_IVL: 50 } (Python only). */
  sockopts?: Record<string, number>;
  /** CURVE (Python only): Z85 keys; a server may name a folder of authorized `.key` files (pyzmq's ZAP). */
  curve?: PeerCurve;
  /** Print libzmq monitor events (Python only); read them with `event(name)`. */
  monitor?: boolean;
}

export type PeerCurve =
  | { server: true; publicKey: string; secretKey: string; authorizedKeys?: string }
  | { server: true; certificate: string; authorizedKeys?: string }
  | { server?: false; serverKey: string; publicKey: string; secretKey: string };

/** A libzmq monitor event: its ZMQ_EVENT_* name without the prefix, and its value (e.g. a ZAP status). */
export interface PeerEvent {
  event: string;
  value: number;
}

export interface ZmqPeer {
  readonly peer: Peer;
  /** The peer's bound endpoint (LAST_ENDPOINT), or "" when it only connects. */
  readonly endpoint: string;
  send(frames: (string | Uint8Array)[]): void;
  recv(timeoutMs?: number): Promise<Uint8Array[]>;
  /** Received frames decoded as UTF-8. */
  recvText(timeoutMs?: number): Promise<string[]>;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** The next monitor event called `name` (needs `monitor: true`); messages read meanwhile are kept. */
  event(name: string, timeoutMs?: number): Promise<PeerEvent>;
  kill(): Promise<void>;
}

const PY_DRIVER = String.raw`
import sys, os, json, base64, zmq
cfg = json.loads(sys.argv[1])
ctx = zmq.Context()
s = ctx.socket(getattr(zmq, cfg["type"]))
s.setsockopt(zmq.LINGER, 0)
if cfg.get("identity") is not None: s.setsockopt(zmq.IDENTITY, cfg["identity"].encode())
for k, v in cfg.get("sockopts", {}).items(): s.setsockopt(getattr(zmq, k), v)
cur = cfg.get("curve")
if cur:
    if cur.get("server"):
        s.curve_server = True
    else:
        s.curve_serverkey = cur["serverKey"].encode()
    if cur.get("certificate"):
        import zmq.auth
        s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(cur["certificate"])
    else:
        s.curve_publickey = cur["publicKey"].encode(); s.curve_secretkey = cur["secretKey"].encode()
    if cur.get("authorizedKeys"):
        from zmq.auth.thread import ThreadAuthenticator
        auth = ThreadAuthenticator(ctx); auth.start()
        auth.configure_curve(domain="*", location=cur["authorizedKeys"])
mon = s.get_monitor_socket() if cfg.get("monitor") else None
ep = ""
if cfg.get("bind"):
    s.bind(cfg["bind"]); ep = s.getsockopt(zmq.LAST_ENDPOINT).decode()
for e in cfg.get("connect", []): s.connect(e)
for t in cfg.get("subscribe", []): s.setsockopt(zmq.SUBSCRIBE, t.encode())
print("READY", ep, flush=True)
echo = cfg.get("echo", False)
poller = zmq.Poller(); poller.register(s, zmq.POLLIN); poller.register(0, zmq.POLLIN)
if mon is not None: poller.register(mon, zmq.POLLIN)
buf = b""
while True:
    for sock, ev in poller.poll():
        if mon is not None and sock is mon:
            from zmq.utils.monitor import recv_monitor_message
            e = recv_monitor_message(mon)
            print(json.dumps({"event": zmq.Event(e["event"]).name, "value": e["value"]}), flush=True)
        elif sock is s:
            while s.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                msg = s.recv_multipart()
                if echo: s.send_multipart(msg)
                else: print(json.dumps([base64.b64encode(f).decode() for f in msg]), flush=True)
        else:
            data = os.read(0, 65536)
            if not data: sys.exit(0)
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = json.loads(line)
                if "send" in cmd: s.send_multipart([base64.b64decode(f) for f in cmd["send"]])
                if "subscribe" in cmd: s.setsockopt(zmq.SUBSCRIBE, base64.b64decode(cmd["subscribe"]))
                if "unsubscribe" in cmd: s.setsockopt(zmq.UNSUBSCRIBE, base64.b64decode(cmd["unsubscribe"]))
`;

const NODE_DRIVER = String.raw`
const zmq = require("zeromq");
const cfg = JSON.parse(process.argv[1]);
const Cls = { REQ: zmq.Request, REP: zmq.Reply, DEALER: zmq.Dealer, ROUTER: zmq.Router, PUB: zmq.Publisher, SUB: zmq.Subscriber }[cfg.type];
const opts = { linger: 0 };
if (cfg.identity != null) opts.routingId = cfg.identity;
const s = new Cls(opts);
(async () => {
  let ep = "";
  if (cfg.bind) { await s.bind(cfg.bind); ep = s.lastEndpoint; }
  for (const e of cfg.connect || []) s.connect(e);
  for (const t of cfg.subscribe || []) s.subscribe(t);
  console.log("READY " + ep);
  let buf = "";
  process.stdin.on("data", async (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const cmd = JSON.parse(buf.slice(0, nl)); buf = buf.slice(nl + 1);
      if (cmd.send) await s.send(cmd.send.map((f) => Buffer.from(f, "base64")));
      if (cmd.subscribe !== undefined) s.subscribe(Buffer.from(cmd.subscribe, "base64"));
      if (cmd.unsubscribe !== undefined) s.unsubscribe(Buffer.from(cmd.unsubscribe, "base64"));
    }
  });
  process.stdin.on("end", () => process.exit(0));
  for await (const msg of s) {
    if (cfg.echo) await s.send(msg);
    else console.log(JSON.stringify(msg.map((f) => Buffer.from(f).toString("base64"))));
  }
})();
`;

const enc = new TextEncoder();
const dec = new TextDecoder();
const b64 = (f: string | Uint8Array) => Buffer.from(typeof f === "string" ? enc.encode(f) : f).toString("base64");

async function drive(peer: Peer): Promise<ZmqPeer> {
  const endpoint = await peer.waitFor("READY");
  // Lines are either a message (a JSON array of base64 frames) or a monitor event (a JSON object).
  const messages: string[][] = [];
  const events: PeerEvent[] = [];
  const readLine = async (timeoutMs?: number) => {
    const line = await peer.json<string[] | PeerEvent>(timeoutMs);
    if (Array.isArray(line)) messages.push(line);
    else events.push(line);
  };
  const recv = async (timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length === 0) await readLine(Math.max(1, deadline - Date.now()));
    return messages.shift()!.map((f) => new Uint8Array(Buffer.from(f, "base64")));
  };
  const event = async (name: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = events.findIndex((e) => e.event === name);
      if (i >= 0) return events.splice(i, 1)[0]!;
      await readLine(Math.max(1, deadline - Date.now()));
    }
  };
  return {
    peer,
    endpoint,
    send: (frames) => peer.send(JSON.stringify({ send: frames.map(b64) })),
    recv,
    recvText: async (t) => (await recv(t)).map((f) => dec.decode(f)),
    subscribe: (t) => peer.send(JSON.stringify({ subscribe: b64(t) })),
    unsubscribe: (t) => peer.send(JSON.stringify({ unsubscribe: b64(t) })),
    event,
    kill: () => peer.kill(),
  };
}

/** A pyzmq (libzmq 4.3.4) socket; resolves once it printed READY. */
export function pyZmq(cfg: ZmqPeerConfig): Promise<ZmqPeer> {
  return drive(spawnPython(PY_DRIVER, [JSON.stringify(cfg)]));
}

/** A zeromq.js (libzmq 4.3.5, under Node) socket; resolves once it printed READY. */
export function nodeZmq(cfg: ZmqPeerConfig): Promise<ZmqPeer> {
  return drive(spawnNode(NODE_DRIVER, [JSON.stringify(cfg)]));
}
