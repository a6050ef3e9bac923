// CURVE against libzmq (pyzmq 24 / libzmq 4.3.4 with libsodium) in both roles, for every socket type
// we have; refused keys both ways; and what crosses the wire, recorded by a relay.

import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { join } from "node:path";
import {
  type CurveKeyPair,
  DealerSocket,
  PubSocket,
  readCurvePublicKey,
  RepSocket,
  ReqSocket,
  RouterSocket,
  SubSocket,
  writeCertificatePair,
  z85Encode,
  ZmtpAuthError,
} from "../../src/zmtp/index.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { killAllPeers, removeTempDirs, spawnPython, tempDir } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track, untilDelivered } from "../helpers/zmtp.ts";
import { type PeerCurve, pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
  for (const r of relays.splice(0)) r.stop();
  removeTempDirs();
});

const z = z85Encode;
const pyServer = (k: CurveKeyPair): PeerCurve => ({
  server: true,
  publicKey: z(k.publicKey),
  secretKey: z(k.secretKey),
});
const pyClient = (server: Uint8Array, k: CurveKeyPair = generateKeyPair()): PeerCurve => ({
  serverKey: z(server),
  publicKey: z(k.publicKey),
  secretKey: z(k.secretKey),
});

describe("CURVE with libzmq", () => {
  test("our ROUTER serves a pyzmq DEALER and a pyzmq REQ", async () => {
    const server = generateKeyPair();
    const router = track(new RouterSocket({ curve: { role: "server", keyPair: server } }));
    router.onMessage((frames) => router.send(frames));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const dealer = await pyZmq({ type: "DEALER", connect: [ep], curve: pyClient(server.publicKey) });
    dealer.send(["multi", "part", new Uint8Array(300).fill(1)]);
    const back = await dealer.recv();
    expect(text(back.slice(0, 2))).toEqual(["multi", "part"]);
    expect(back[2]!.length).toBe(300);
    const req = await pyZmq({ type: "REQ", connect: [ep], curve: pyClient(server.publicKey) });
    req.send(["question"]);
    expect(await req.recvText()).toEqual(["question"]);
  });

  test("our DEALER and REQ talk to a pyzmq ROUTER, the server key read from the .key file pyzmq wrote", async () => {
    const dir = tempDir();
    await spawnPython("import sys, zmq.auth; zmq.auth.create_certificates(sys.argv[1], 'server')", [dir]).proc.exited;
    const py = await pyZmq({
      type: "ROUTER",
      bind: "tcp://127.0.0.1:0",
      echo: true,
      curve: { server: true, certificate: join(dir, "server.key_secret") },
    });
    const server = { publicKey: await readCurvePublicKey(join(dir, "server.key")) };
    const dealer = track(new DealerSocket({ curve: { role: "client", serverKey: server.publicKey } }));
    dealer.connect(py.endpoint);
    await dealer.send(["a", "b"]);
    expect(text(await recvWithin(dealer))).toEqual(["a", "b"]);
    const req = track(new ReqSocket({ curve: { role: "client", serverKey: server.publicKey } }));
    req.connect(py.endpoint);
    expect(text(await req.request(["ping"]))).toEqual(["ping"]);
    expect(text(await req.request(["again"]))).toEqual(["again"]);
  });

  test("our REP answers a pyzmq REQ", async () => {
    const server = generateKeyPair();
    const rep = track(new RepSocket({ curve: { role: "server", keyPair: server } }));
    rep.onMessage((frames) => rep.send(["re:", ...frames]));
    const req = await pyZmq({
      type: "REQ",
      connect: [await rep.bind("tcp://127.0.0.1:0")],
      curve: pyClient(server.publicKey),
    });
    req.send(["x"]);
    expect(await req.recvText()).toEqual(["re:", "x"]);
  });

  test("our PUB feeds a pyzmq SUB only its topics; subscriptions arrive sealed", async () => {
    const server = generateKeyPair();
    const pub = track(new PubSocket({ curve: { role: "server", keyPair: server } }));
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const sub = await pyZmq({ type: "SUB", connect: [ep], subscribe: ["watcher."], curve: pyClient(server.publicKey) });
    await untilDelivered(
      () => pub.send(["watcher.sync"]),
      () => sub.recv(50),
    );
    await pub.send(["stats.x", "no"]);
    await pub.send(["watcher.web.start", "yes"]);
    let got = await sub.recvText();
    while (got[0] === "watcher.sync") got = await sub.recvText();
    expect(got).toEqual(["watcher.web.start", "yes"]);
  });

  test("our PUB announcing ZMTP 3.0 gets a pyzmq SUB's subscriptions in the sealed 0x01 form", async () => {
    const server = generateKeyPair();
    const pub = track(new PubSocket({ zmtpVersion: "3.0", curve: { role: "server", keyPair: server } }));
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const sub = await pyZmq({ type: "SUB", connect: [ep], subscribe: ["x"], curve: pyClient(server.publicKey) });
    await untilDelivered(
      () => pub.send(["x-sync"]),
      () => sub.recv(50),
    );
    expect(pub.subscribersFor("y")).toBe(0);
    expect(pub.subscribersFor("xy")).toBe(1);
  });

  test("libzmq's heartbeats travel sealed: its PINGs are answered and the link stays up", async () => {
    const server = generateKeyPair();
    const router = track(new RouterSocket({ curve: { role: "server", keyPair: server } }));
    router.onMessage((frames) => router.send(frames));
    const ep = await router.bind("tcp://127.0.0.1:0");
    let drops = 0;
    router.on("disconnected", () => drops++);
    const py = await pyZmq({
      type: "DEALER",
      connect: [ep],
      curve: pyClient(server.publicKey),
      sockopts: { HEARTBEAT_IVL: 50, HEARTBEAT_TIMEOUT: 150, HEARTBEAT_TTL: 300 },
    });
    py.send(["first"]);
    expect(await py.recvText()).toEqual(["first"]);
    await Bun.sleep(600); // several heartbeat timeouts: an unanswered PING would drop the link
    py.send(["second"]);
    expect(await py.recvText()).toEqual(["second"]);
    expect(drops).toBe(0);
  });

  test("our SUB receives from a pyzmq PUB", async () => {
    const server = generateKeyPair();
    const py = await pyZmq({ type: "PUB", bind: "tcp://127.0.0.1:0", curve: pyServer(server) });
    const sub = track(new SubSocket({ curve: { role: "client", serverKey: server.publicKey } }));
    sub.connect(py.endpoint);
    sub.subscribe("keep");
    await untilDelivered(
      () => py.send(["keep.0"]),
      () => recvWithin(sub, 50),
    );
    py.send(["drop"]);
    py.send(["keep.1", "body"]);
    let got = text(await recvWithin(sub));
    while (got[0] === "keep.0") got = text(await recvWithin(sub));
    expect(got).toEqual(["keep.1", "body"]);
  });
});

describe("CURVE refusals", () => {
  test("our client with the wrong server key gets handshake_failed promptly, not a hang", async () => {
    const py = await pyZmq({
      type: "ROUTER",
      bind: "tcp://127.0.0.1:0",
      echo: true,
      curve: pyServer(generateKeyPair()),
    });
    const dealer = track(new DealerSocket({ curve: { role: "client", serverKey: generateKeyPair().publicKey } }));
    const failed = dealer.once("handshake_failed");
    dealer.connect(py.endpoint);
    const e = await failed;
    expect(e.reason).toContain("is the server key right?");
    expect(dealer.peerCount).toBe(0);
  });

  test("a pyzmq client with the wrong server key is dropped and our server keeps serving", async () => {
    const server = generateKeyPair();
    const router = track(new RouterSocket({ curve: { role: "server", keyPair: server } }));
    router.onMessage((frames) => router.send(frames));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const failed = router.once("handshake_failed");
    const stranger = await pyZmq({ type: "DEALER", connect: [ep], curve: pyClient(generateKeyPair().publicKey) });
    stranger.send(["let me in"]);
    expect((await failed).reason).toBe("CURVE HELLO does not open: the client uses another server key");
    const friend = await pyZmq({ type: "DEALER", connect: [ep], curve: pyClient(server.publicKey) });
    friend.send(["hello"]);
    expect(await friend.recvText()).toEqual(["hello"]);
    expect(router.peerCount).toBe(1);
  });

  test("a pyzmq client whose key our authorizer refuses gets ZAP status 400, as from libzmq", async () => {
    const server = generateKeyPair();
    const allowed = generateKeyPair();
    const asked: string[] = [];
    const router = track(
      new RouterSocket({
        curve: {
          role: "server",
          keyPair: server,
          authorize: (c) => {
            asked.push(c.peer);
            return c.z85 === z(allowed.publicKey);
          },
        },
      }),
    );
    router.onMessage((frames) => router.send(frames));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const refused = router.once("handshake_failed");
    const intruder = await pyZmq({ type: "DEALER", connect: [ep], monitor: true, curve: pyClient(server.publicKey) });
    expect(await intruder.event("HANDSHAKE_FAILED_AUTH")).toEqual({ event: "HANDSHAKE_FAILED_AUTH", value: 400 });
    const r = await refused;
    expect(r.error).toBeInstanceOf(ZmtpAuthError);
    expect(r.reason).toContain(`from ${asked[0]} is not authorized`);
    const member = await pyZmq({ type: "DEALER", connect: [ep], curve: pyClient(server.publicKey, allowed) });
    member.send(["in"]);
    expect(await member.recvText()).toEqual(["in"]);
  });

  test("our client refused by pyzmq's ZAP authenticator learns why; with its .key in the folder it is let in", async () => {
    const server = generateKeyPair();
    const allowedDir = tempDir();
    const member = (await writeCertificatePair(allowedDir, "member")).keyPair;
    const py = await pyZmq({
      type: "ROUTER",
      bind: "tcp://127.0.0.1:0",
      echo: true,
      curve: { ...pyServer(server), server: true, authorizedKeys: allowedDir } as PeerCurve,
    });
    const outsider = track(new DealerSocket({ curve: { role: "client", serverKey: server.publicKey } }));
    const failed = outsider.once("handshake_failed");
    outsider.connect(py.endpoint);
    const e = await failed;
    expect(e.error).toBeInstanceOf(ZmtpAuthError);
    expect(e.reason).toContain("the server refused our CURVE key (ZAP status 400)");
    const insider = track(
      new DealerSocket({ curve: { role: "client", serverKey: server.publicKey, keyPair: member } }),
    );
    insider.connect(py.endpoint);
    await insider.send(["hi"]);
    expect(text(await recvWithin(insider))).toEqual(["hi"]);
  });
});

// ---- a TCP relay that records both directions ----

interface Relay {
  port: number;
  bytes(): Uint8Array;
  stop(): void;
}
const relays: Relay[] = [];

/** Forward loopback connections on a fresh port to `targetPort`, keeping a copy of every byte. */
function relay(targetPort: number): Relay {
  const seen: Uint8Array[] = [];
  type Side = { peer?: Socket<Side>; early: Uint8Array[] };
  const forward = (from: Socket<Side>, chunk: Uint8Array) => {
    seen.push(chunk.slice());
    if (from.data.peer) from.data.peer.write(chunk);
    else from.data.early.push(chunk.slice());
  };
  const server = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(inbound) {
        inbound.data = { early: [] };
        void Bun.connect<Side>({
          hostname: "127.0.0.1",
          port: targetPort,
          data: { peer: inbound, early: [] },
          socket: {
            open(outbound) {
              inbound.data.peer = outbound;
              for (const c of inbound.data.early.splice(0)) outbound.write(c);
            },
            data: forward,
            close: () => {
              inbound.end();
            },
          },
        });
      },
      data: forward,
      close: (s) => {
        s.data.peer?.end();
      },
    },
  });
  const r = {
    port: server.port,
    bytes: () => Buffer.concat(seen),
    stop: () => server.stop(true),
  };
  relays.push(r);
  return r;
}

describe("CURVE on the wire", () => {
  const SECRET = "the launch code is 0000";
  const IDENTITY = "visible-identity";

  async function exchangeThroughRelay(curve: boolean): Promise<{ wire: string; peer: ZmqPeer }> {
    const server = generateKeyPair();
    const py = await pyZmq({
      type: "ROUTER",
      bind: "tcp://127.0.0.1:0",
      echo: true,
      ...(curve ? { curve: pyServer(server) } : {}),
    });
    const r = relay(Number(py.endpoint.slice(py.endpoint.lastIndexOf(":") + 1)));
    const dealer = track(
      new DealerSocket({
        identity: IDENTITY,
        ...(curve ? { curve: { role: "client", serverKey: server.publicKey } as const } : {}),
      }),
    );
    dealer.connect(`tcp://127.0.0.1:${r.port}`);
    await dealer.send([SECRET]);
    expect(text(await recvWithin(dealer))).toEqual([SECRET]);
    return { wire: Buffer.from(r.bytes()).toString("latin1"), peer: py };
  }

  test("with CURVE neither the message nor the identity can be read on the wire", async () => {
    const { wire } = await exchangeThroughRelay(true);
    expect(wire).toContain("CURVE");
    expect(wire).toContain("HELLO");
    expect(wire).not.toContain(SECRET);
    expect(wire).not.toContain(IDENTITY);
    expect(wire).not.toContain("Socket-Type");
  });

  test("the same exchange without CURVE shows both (the relay does see plaintext)", async () => {
    const { wire } = await exchangeThroughRelay(false);
    expect(wire).toContain(SECRET);
    expect(wire).toContain(IDENTITY);
  });
});
