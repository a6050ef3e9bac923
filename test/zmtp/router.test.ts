import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DealerSocket, PeerUnreachableError, RouterSocket } from "../../src/zmtp/index.ts";
import { killAllPeers, removeTempDirs, tempDir, until } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";
import { nodeZmq, pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
  removeTempDirs();
});

/** A ROUTER that echoes every message back to its sender. */
async function echoRouter(ep = "tcp://127.0.0.1:0", opts = {}): Promise<RouterSocket> {
  const r = track(new RouterSocket(opts));
  await r.bind(ep);
  r.onMessage((frames) => r.send(frames));
  return r;
}

describe("ROUTER", () => {
  test("answers a pyzmq DEALER with an identity, seeing that identity as routing id", async () => {
    const r = track(new RouterSocket());
    const ep = await r.bind("tcp://127.0.0.1:0");
    const py = await pyZmq({ type: "DEALER", connect: [ep], identity: "client-7" });
    py.send(["hello"]);
    const [id, body] = await recvWithin(r);
    expect(text([id!, body!])).toEqual(["client-7", "hello"]);
    r.send([id!, "world"]);
    expect(await py.recvText()).toEqual(["world"]);
  });

  test("gives a pyzmq DEALER without identity a 5-byte generated routing id", async () => {
    const r = track(new RouterSocket());
    const ep = await r.bind("tcp://127.0.0.1:0");
    const py = await pyZmq({ type: "DEALER", connect: [ep] });
    py.send(["a", "b"]);
    const [id, ...rest] = await recvWithin(r);
    expect(id!.length).toBe(5);
    expect(id![0]).toBe(0);
    expect(text(rest)).toEqual(["a", "b"]);
    r.send([id!, "ok"]);
    expect(await py.recvText()).toEqual(["ok"]);
  });

  test("receives a pyzmq REQ's delimiter envelope and replies through it", async () => {
    const r = track(new RouterSocket());
    const ep = await r.bind("tcp://127.0.0.1:0");
    const py = await pyZmq({ type: "REQ", connect: [ep] });
    py.send(["ping"]);
    const [id, delim, body] = await recvWithin(r);
    expect(delim!.length).toBe(0);
    expect(text([body!])).toEqual(["ping"]);
    r.send([id!, "", "pong"]);
    expect(await py.recvText()).toEqual(["pong"]);
  });

  test("answers a zeromq.js DEALER running under Node", async () => {
    const r = await echoRouter();
    const js = await nodeZmq({ type: "DEALER", connect: [r.endpoint!], identity: "js" });
    js.send(["from", "node"]);
    expect(await js.recvText()).toEqual(["from", "node"]);
  });

  test("carries 0, 255, 256 and 1 MiB byte frames intact over ipc", async () => {
    const r = await echoRouter(`ipc://${join(tempDir(), "r.sock")}`);
    const py = await pyZmq({ type: "DEALER", connect: [r.endpoint!] });
    const frames = [
      new Uint8Array(0),
      new Uint8Array(255).fill(1),
      new Uint8Array(256).fill(2),
      new Uint8Array(1 << 20).fill(3),
    ];
    py.send(frames);
    const got = await py.recv();
    expect(got.map((f) => f.length)).toEqual([0, 255, 256, 1 << 20]);
    expect(got[3]!.every((b) => b === 3)).toBe(true);
  });

  test("close with lingerMs delivers an 8 MiB reply already sent; without it the reply would be cut", async () => {
    const r = new RouterSocket();
    const ep = await r.bind("tcp://127.0.0.1:0");
    const d = track(new DealerSocket());
    d.connect(ep);
    d.send(["hi"]);
    const [id] = await recvWithin(r);
    const big = new Uint8Array(8 * 1024 * 1024).fill(97);
    r.send([id!, big]);
    await r.close({ lingerMs: 5000 });
    const [body] = await recvWithin(d, 5000);
    expect(body!.length).toBe(big.length);
  });

  test("refuses a reply to an unknown routing id with PeerUnreachableError, sending nothing", async () => {
    const r = track(new RouterSocket());
    await r.bind("tcp://127.0.0.1:0");
    await expect(r.send(["nobody", "x"])).rejects.toBeInstanceOf(PeerUnreachableError);
    await expect(r.send([new Uint8Array([0, 1, 2, 3, 4]), "x"])).rejects.toThrow("routing id 0x0001020304");
  });

  test("turns away a newcomer whose identity is already taken, keeping the first", async () => {
    const r = await echoRouter();
    const first = track(new DealerSocket({ identity: "same" }));
    first.connect(r.endpoint!);
    await until(() => r.peerCount === 1, 5000, "first peer");
    const second = track(new DealerSocket({ identity: "same", reconnectInterval: 1000 }));
    second.connect(r.endpoint!);
    second.send(["intruder"]);
    await Bun.sleep(100);
    first.send(["mine"]);
    expect(text(await recvWithin(first))).toEqual(["mine"]);
    expect(r.peerCount).toBe(1);
  });

  test("a pyzmq DEALER reconnects after our ROUTER restarts on the same address", async () => {
    let r = await echoRouter();
    const ep = r.endpoint!;
    const py = await pyZmq({ type: "DEALER", connect: [ep], identity: "again" });
    py.send(["one"]);
    expect(await py.recvText()).toEqual(["one"]);
    await r.close();
    r = await echoRouter(ep);
    py.send(["two"]);
    expect(await py.recvText(8000)).toEqual(["two"]);
  });

  test("keeps a connection with libzmq heartbeats enabled alive and answers its PINGs", async () => {
    const r = await echoRouter();
    const py = await pyZmq({
      type: "DEALER",
      connect: [r.endpoint!],
      sockopts: { HEARTBEAT_IVL: 50, HEARTBEAT_TIMEOUT: 150, HEARTBEAT_TTL: 300 },
    });
    py.send(["first"]);
    expect(await py.recvText()).toEqual(["first"]);
    await Bun.sleep(600); // several heartbeat timeouts: an unanswered PING would drop the link
    expect(r.peerCount).toBe(1);
    py.send(["second"]);
    expect(await py.recvText()).toEqual(["second"]);
  });
});
