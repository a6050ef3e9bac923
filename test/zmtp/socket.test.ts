// The contracts every socket type shares: what `send` promises, what a closed socket does, and that
// close with linger ends on the drain itself.

import { afterEach, describe, expect, test } from "bun:test";
import {
  DealerSocket,
  PeerUnreachableError,
  PubSocket,
  QueueFullError,
  RepSocket,
  ReqSocket,
  RouterSocket,
  SocketClosedError,
  SocketStateError,
  SubSocket,
} from "../../src/zmtp/index.ts";
import { killAllPeers, spawnPython, until } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
});

/** How long `p` takes to settle, and how. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; error?: unknown }> {
  const t0 = performance.now();
  try {
    await p;
    return { ms: performance.now() - t0 };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

describe("socket contracts", () => {
  test("a socket type offers only what it can do: PUB cannot receive, SUB cannot send", () => {
    const pub = track(new PubSocket());
    const sub = track(new SubSocket());
    // @ts-expect-error a PUB has no receive
    expect(pub.receive).toBeUndefined();
    // @ts-expect-error a PUB has no onMessage
    expect(pub.onMessage).toBeUndefined();
    // @ts-expect-error a SUB has no send
    expect(sub.send).toBeUndefined();
  });

  test("send on a closed socket of every type rejects at once with SocketClosedError", async () => {
    const sockets = [new DealerSocket(), new RouterSocket(), new ReqSocket(), new RepSocket(), new PubSocket()];
    for (const s of sockets) {
      await s.close();
      const { ms, error } = await timed(s.send(["id", "x"]));
      expect(error).toBeInstanceOf(SocketClosedError);
      expect(ms).toBeLessThan(50);
    }
  });

  test("a request on a closed REQ fails at once; one in flight fails as soon as the socket closes", async () => {
    const closedReq = new ReqSocket();
    await closedReq.close();
    const early = await timed(closedReq.request(["x"], 5000));
    expect(early.error).toBeInstanceOf(SocketClosedError);
    expect(early.ms).toBeLessThan(50);

    const req = new ReqSocket();
    req.connect("tcp://127.0.0.1:1");
    const inFlight = timed(req.request(["x"], 5000));
    await req.close();
    const late = await inFlight;
    expect(late.error).toBeInstanceOf(SocketClosedError);
    expect(late.ms).toBeLessThan(200);
  });

  test("receive on a closed socket rejects at once; a pending receive rejects when it closes", async () => {
    const d = new DealerSocket();
    const pending = timed(d.receive());
    await d.close();
    expect((await pending).error).toBeInstanceOf(SocketClosedError);
    const after = await timed(d.receive());
    expect(after.error).toBeInstanceOf(SocketClosedError);
    expect(after.ms).toBeLessThan(50);
  });

  test("patterns refuse a send out of turn with SocketStateError", async () => {
    const req = track(new ReqSocket());
    req.connect("tcp://127.0.0.1:1");
    await req.send(["first"]);
    await expect(req.send(["second"])).rejects.toBeInstanceOf(SocketStateError);
    const rep = track(new RepSocket());
    await expect(rep.send(["no request yet"])).rejects.toBeInstanceOf(SocketStateError);
  });

  test("a DEALER with no peer keeps up to hwm messages, then refuses with QueueFullError", async () => {
    const d = track(new DealerSocket({ hwm: 2 }));
    d.connect("tcp://127.0.0.1:1");
    await d.send(["1"]);
    await d.send(["2"]);
    await expect(d.send(["3"])).rejects.toBeInstanceOf(QueueFullError);
  });

  test("a REP whose requester left refuses the reply with PeerUnreachableError and serves the next", async () => {
    const rep = track(new RepSocket());
    const ep = await rep.bind("tcp://127.0.0.1:0");
    const leaving = await pyZmq({ type: "REQ", connect: [ep] });
    leaving.send(["bye"]);
    expect(text(await recvWithin(rep))).toEqual(["bye"]);
    const gone = rep.once("disconnected");
    await leaving.kill();
    await gone;
    await expect(rep.send(["too late"])).rejects.toBeInstanceOf(PeerUnreachableError);
    const staying = await pyZmq({ type: "REQ", connect: [ep] });
    staying.send(["hello"]);
    expect(text(await recvWithin(rep))).toEqual(["hello"]);
    await rep.send(["world"]);
    expect(await staying.recvText()).toEqual(["world"]);
  });

  test("an onMessage handler whose promise rejects is logged and delivery goes on", async () => {
    const router = track(new RouterSocket());
    const ep = await router.bind("tcp://127.0.0.1:0");
    const seen: string[] = [];
    router.onMessage(async (frames) => {
      seen.push(text(frames.slice(1))[0]!);
      throw new Error("handler bug");
    });
    const d = track(new DealerSocket());
    d.connect(ep);
    await d.send(["a"]);
    await d.send(["b"]);
    await until(() => seen.length === 2, 5000, "both messages");
    expect(seen).toEqual(["a", "b"]);
  });

  test("close with linger resolves as soon as the queue has drained, well before the linger", async () => {
    const router = track(new RouterSocket());
    const ep = await router.bind("tcp://127.0.0.1:0");
    const d = track(new DealerSocket());
    d.connect(ep);
    await d.send(["hi"]);
    const [id] = await recvWithin(router);
    const big = new Uint8Array(16 * 1024 * 1024).fill(7);
    await router.send([id!, big]);
    const { ms } = await timed(router.close({ lingerMs: 20_000 }));
    expect(ms).toBeLessThan(5000);
    expect((await recvWithin(d, 10_000))[0]!.length).toBe(big.length);
  });

  test("close with linger gives up at the linger when the peer does not read", async () => {
    const router = track(new RouterSocket());
    const ep = await router.bind("tcp://127.0.0.1:0");
    const port = Number(ep.slice(ep.lastIndexOf(":") + 1));
    const up = router.once("handshake_succeeded");
    await spawnPython(STALLED_DEALER, [String(port)]).waitFor("READY");
    await up;
    await until(() => router.peerCount === 1, 5000, "peer");
    // The id is generated: learn it from the one message the stalled peer sent.
    const [id] = await recvWithin(router);
    for (let i = 0; i < 8; i++) await router.send([id!, new Uint8Array(4 * 1024 * 1024)]);
    const { ms } = await timed(router.close({ lingerMs: 400 }));
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(3000);
  });
});

/** A raw DEALER that handshakes, sends one message and then never reads. */
const STALLED_DEALER = String.raw`
import socket, sys, struct, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
greeting = b"\xff" + b"\0" * 8 + b"\x7f\x03\x01NULL" + b"\0" * 48
ready = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER" + b"\x08Identity" + struct.pack(">I", 0)
s.sendall(greeting + bytes([4, len(ready)]) + ready + b"\x00\x02hi")
print("READY", flush=True)
time.sleep(60)
`;
