// A CURVE server fed broken handshakes over real connections, as connection.test.ts does for the
// NULL greeting: each bad peer is dropped, the server never crashes and keeps serving real clients.

import { afterEach, describe, expect, test } from "bun:test";
import { CurveClientMechanism } from "../../src/zmtp/curve.ts";
import { encodeCommand } from "../../src/zmtp/frames.ts";
import { encodeGreeting } from "../../src/zmtp/greeting.ts";
import { encodeProperties } from "../../src/zmtp/handshake.ts";
import { type CurveKeyPair, DealerSocket, RouterSocket } from "../../src/zmtp/index.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { until } from "../helpers/peers.ts";
import { enc, type RawPeer, rawPeer, wireMessage } from "../helpers/raw-zmtp.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";

afterEach(closeSockets);

interface Server {
  router: RouterSocket;
  port: number;
  keys: CurveKeyPair;
}

async function server(opts: { handshakeTimeout?: number } = {}): Promise<Server> {
  const keys = generateKeyPair();
  const router = track(new RouterSocket({ ...opts, curve: { role: "server", keyPair: keys } }));
  router.onMessage((frames) => router.send(frames));
  const ep = await router.bind("tcp://127.0.0.1:0");
  return { router, port: Number(ep.slice(ep.lastIndexOf(":") + 1)), keys };
}

async function stillServes(s: Server): Promise<void> {
  const d = track(new DealerSocket({ curve: { role: "client", serverKey: s.keys.publicKey } }));
  d.connect(s.router.endpoint!);
  await d.send(["still there?"]);
  expect(text(await recvWithin(d))).toEqual(["still there?"]);
}

async function droppedWithin(raw: RawPeer, ms: number): Promise<void> {
  await Promise.race([
    raw.closed,
    Bun.sleep(ms).then(() => Promise.reject(new Error(`peer not dropped within ${ms} ms`))),
  ]);
}

/** A raw peer that has sent a CURVE greeting, with a real client mechanism to make valid commands. */
async function curvePeer(s: Server) {
  const raw = await rawPeer(s.port);
  raw.write(encodeGreeting(1, "CURVE"));
  const mech = new CurveClientMechanism(
    s.keys.publicKey,
    generateKeyPair(),
    encodeProperties([["Socket-Type", enc("DEALER")]]),
  );
  const hello = (await mech.start()).send[0]!;
  /** Send HELLO, wait for WELCOME and return the INITIATE answering it (not sent). */
  const initiate = async (): Promise<Uint8Array> => {
    raw.write(hello);
    await until(() => raw.commands.includes("WELCOME"), 3000, "WELCOME");
    const data = raw.commandData[raw.commands.indexOf("WELCOME")]!;
    return (await mech.handle({ name: "WELCOME", data })).send[0]!;
  };
  return { raw, hello, initiate };
}

const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const out = bytes.slice();
  out[at]! ^= 0x01;
  return out;
};

describe("CURVE server under bad handshakes", () => {
  test("a truncated HELLO is dropped", async () => {
    const s = await server();
    const { raw, hello } = await curvePeer(s);
    const body = hello.subarray(2, 2 + 120);
    raw.write(encodeCommand("HELLO", body.subarray(6)));
    await droppedWithin(raw, 2000);
    await stillServes(s);
  });

  test("a garbled HELLO box and an unknown CURVE version are dropped without a WELCOME", async () => {
    const s = await server();
    const a = await curvePeer(s);
    a.raw.write(flip(a.hello, a.hello.length - 5));
    await droppedWithin(a.raw, 2000);
    const b = await curvePeer(s);
    b.raw.write(flip(b.hello, 2 + 6)); // version 1.0 → 0.0
    await droppedWithin(b.raw, 2000);
    expect([...a.raw.commands, ...b.raw.commands]).toEqual([]);
    await stillServes(s);
  });

  test("commands in the wrong order are dropped: INITIATE first, a message first, READY from a client", async () => {
    const s = await server();
    const donor = await curvePeer(s);
    const initiate = await donor.initiate();
    const cases = [
      initiate,
      wireMessage(enc("plaintext before the handshake")),
      encodeCommand("MESSAGE", new Uint8Array(40)),
      encodeCommand("READY", encodeProperties([["Socket-Type", enc("DEALER")]])),
    ];
    for (const bytes of cases) {
      const { raw } = await curvePeer(s);
      raw.write(bytes);
      await droppedWithin(raw, 2000);
    }
    await stillServes(s);
  });

  test("a cookie from another connection does not open: the replayed INITIATE is dropped", async () => {
    const s = await server();
    const first = await curvePeer(s);
    const stolen = await first.initiate();
    const second = await curvePeer(s);
    second.raw.write(second.hello);
    await until(() => second.raw.commands.includes("WELCOME"), 3000, "WELCOME");
    second.raw.write(stolen);
    await droppedWithin(second.raw, 2000);
    await stillServes(s);
  });

  test("an INITIATE sent again after READY is dropped, as is one with a bad box", async () => {
    const s = await server();
    const a = await curvePeer(s);
    const initiate = await a.initiate();
    a.raw.write(initiate);
    await until(() => a.raw.commands.includes("READY"), 3000, "READY");
    a.raw.write(initiate);
    await droppedWithin(a.raw, 2000);
    const b = await curvePeer(s);
    const bad = await b.initiate();
    b.raw.write(flip(bad, bad.length - 1));
    await droppedWithin(b.raw, 2000);
    expect(b.raw.commands).toEqual(["WELCOME"]);
    await stillServes(s);
  });

  test("a HELLO followed by silence is dropped at the handshake timeout", async () => {
    const s = await server({ handshakeTimeout: 200 });
    const { raw, hello } = await curvePeer(s);
    raw.write(hello);
    await until(() => raw.commands.includes("WELCOME"), 3000, "WELCOME");
    expect(raw.isClosed()).toBe(false);
    await droppedWithin(raw, 2000);
    await stillServes(s);
  });

  test("randomly mutated HELLOs and INITIATEs are each dropped and the server lives on", async () => {
    // A mutation may leave a command valid-looking but incomplete (a larger size byte) or harmless
    // (HELLO padding): such peers wait, and are dropped at the handshake timeout.
    const s = await server({ handshakeTimeout: 300 });
    const rand = (n: number) => Math.floor(Math.random() * n);
    for (let i = 0; i < 30; i++) {
      const p = await curvePeer(s);
      const valid = i % 2 === 0 ? p.hello : await p.initiate();
      const bytes = valid.slice(0, i % 3 === 0 ? 2 + rand(valid.length - 2) : valid.length);
      for (let k = 0; k <= rand(3); k++) bytes[2 + rand(bytes.length - 2)] = rand(256);
      p.raw.write(bytes);
      if (i % 3 === 0) p.raw.end(); // a cut command is also a peer that vanishes mid-frame
      await droppedWithin(p.raw, 2000);
    }
    await stillServes(s);
    expect(s.router.peerCount).toBe(1);
  });
});
