// Bad input drops only the offending peer; the server keeps serving everyone else.

import { afterEach, describe, expect, test } from "bun:test";
import { DealerSocket, RouterSocket } from "../../src/zmtp/index.ts";
import { encodeGreeting } from "../../src/zmtp/greeting.ts";
import { killAllPeers, until } from "../helpers/peers.ts";
import { enc, rawPeer, wireCommand, wireMessage, type RawPeer } from "../helpers/raw-zmtp.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
});

async function server(opts = {}): Promise<{ router: RouterSocket; port: number }> {
  const router = track(new RouterSocket(opts));
  const ep = await router.bind("tcp://127.0.0.1:0");
  router.onMessage((frames) => router.send(frames));
  return { router, port: Number(ep.slice(ep.lastIndexOf(":") + 1)) };
}

async function stillServes(router: RouterSocket): Promise<void> {
  const d = track(new DealerSocket());
  d.connect(router.endpoint!);
  d.send(["still there?"]);
  expect(text(await recvWithin(d))).toEqual(["still there?"]);
}

async function droppedWithin(raw: RawPeer, ms: number): Promise<void> {
  await Promise.race([
    raw.closed,
    Bun.sleep(ms).then(() => Promise.reject(new Error(`peer not dropped within ${ms} ms`))),
  ]);
}

describe("bad input", () => {
  test("random bytes drop that peer", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.write(crypto.getRandomValues(new Uint8Array(200)).map((b, i) => (i === 0 ? 0x47 : b)));
    await droppedWithin(raw, 1000);
    await stillServes(router);
  });

  test("an HTTP request instead of a greeting is dropped", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.write(enc("GET / HTTP/1.1\r\n\r\n"));
    await droppedWithin(raw, 1000);
    await stillServes(router);
  });

  test("a greeting whose byte 9 low bit is clear (wrong signature) is dropped", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    const g = encodeGreeting();
    g[9] = 0;
    raw.write(g);
    await droppedWithin(raw, 1000);
    await stillServes(router);
  });

  test("half a greeting and then silence is dropped after the handshake timeout", async () => {
    const { router, port } = await server({ handshakeTimeout: 200 });
    // Timed from before the connection: the server's timeout starts later, at its accept. (A look at 100 ms
    // raced the timeout itself on a loaded machine, where a 100 ms sleep can last past 200.)
    const t0 = performance.now();
    const raw = await rawPeer(port);
    raw.write(encodeGreeting().subarray(0, 20));
    await droppedWithin(raw, 1000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195); // by the timeout, not by the half greeting
    await stillServes(router);
  });

  test("an 8-byte frame length of 2^63 drops the peer without allocating", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("DEALER");
    raw.write(new Uint8Array([0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]));
    await droppedWithin(raw, 1000);
    await stillServes(router);
  });

  test("a message over maxMessageSize drops the peer", async () => {
    const { router, port } = await server({ maxMessageSize: 1000 });
    const raw = await rawPeer(port);
    raw.handshake("DEALER");
    raw.write(wireMessage(new Uint8Array(600), new Uint8Array(600)));
    await droppedWithin(raw, 1000);
    await stillServes(router);
  });

  test("a wrong Socket-Type pair gets an ERROR command and is closed", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("PUB");
    await droppedWithin(raw, 1000);
    expect(raw.commands).toEqual(["READY", "ERROR"]);
    await stillServes(router);
  });

  test("a very long unknown Socket-Type still gets a well-formed ERROR whose reason fits its length byte", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("X".repeat(400));
    await droppedWithin(raw, 1000);
    expect(raw.commands).toEqual(["READY", "ERROR"]);
    const data = raw.commandData[1]!;
    expect(data[0]).toBe(data.length - 1);
    expect(new TextDecoder().decode(data.subarray(1))).toStartWith("socket type XXXX");
    await stillServes(router);
  });

  test("a libzmq SUB connecting to our ROUTER is refused and the ROUTER carries on", async () => {
    const { router } = await server();
    await pyZmq({ type: "SUB", connect: [router.endpoint!], subscribe: [""] });
    await Bun.sleep(150);
    expect(router.peerCount).toBe(0);
    await stillServes(router);
  });

  test("a peer that sends ERROR is dropped", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("DEALER");
    await until(() => router.peerCount === 1, 2000, "handshake");
    raw.write(wireCommand("ERROR", new Uint8Array([3, ...enc("bye")])));
    await droppedWithin(raw, 1000);
    await until(() => router.peerCount === 0, 2000, "peer removal");
    await stillServes(router);
  });

  test("a peer vanishing mid-frame is forgotten and the server carries on", async () => {
    const { router, port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("DEALER");
    await until(() => router.peerCount === 1, 2000, "handshake");
    raw.write(new Uint8Array([0x00, 200, 1, 2, 3, 4, 5]));
    raw.end();
    await until(() => router.peerCount === 0, 2000, "peer removal");
    await stillServes(router);
  });

  test("a PING is answered with a PONG", async () => {
    const { port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("DEALER");
    raw.write(wireCommand("PING", new Uint8Array([0, 10, 9, 9])));
    await until(() => raw.commands.includes("PONG"), 2000, "PONG");
    expect([...raw.commandData[raw.commands.indexOf("PONG")]!]).toEqual([9, 9]);
  });

  test("a PONG echoes at most 16 bytes of PING context, however much the peer sent", async () => {
    const { port } = await server();
    const raw = await rawPeer(port);
    raw.handshake("DEALER");
    const context = new Uint8Array(1 << 20).fill(7);
    const ping = new Uint8Array(2 + context.length);
    ping.set([0, 10]);
    ping.set(context, 2);
    raw.write(wireCommand("PING", ping));
    await until(() => raw.commands.includes("PONG"), 5000, "PONG");
    expect(raw.commandData[raw.commands.indexOf("PONG")]!.length).toBe(16);
  });
});
