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
import { rawPeer } from "../helpers/raw-zmtp.ts";
import { generateKeyPair, type PeerInfo, type RejectedEvent } from "../../src/zmtp/index.ts";

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

const portOf = (ep: string) => Number(ep.slice(ep.lastIndexOf(":") + 1));

describe("admission of accepted peers", () => {
  test("admit sees each peer's transport and descriptor before the handshake; a refused peer is closed", async () => {
    const seen: PeerInfo[] = [];
    let allow = false;
    const router = track(
      new RouterSocket({
        admit: (p) => {
          seen.push({ ...p });
          return allow;
        },
      }),
    );
    const rejected: RejectedEvent[] = [];
    router.on("rejected", (e) => rejected.push(e));
    const port = portOf(await router.bind("tcp://127.0.0.1:0"));
    const refused = await rawPeer(port);
    await refused.closed;
    expect(seen[0]).toMatchObject({ transport: "tcp", side: "accepted", curveKey: null });
    expect(seen[0]!.fd).toBeGreaterThan(2);
    expect(rejected[0]?.reason).toBe("refused by admit");
    allow = true;
    router.onMessage((f) => router.send(f));
    const dealer = track(new DealerSocket());
    dealer.connect(router.endpoint!);
    await dealer.send(["hi"]);
    expect(text(await recvWithin(dealer))).toEqual(["hi"]);
  });

  test("past maxConnections a newcomer replaces the oldest peer still in its handshake", async () => {
    const router = track(new RouterSocket({ maxConnections: 3 }));
    router.onMessage((f) => router.send(f));
    const port = portOf(await router.bind("tcp://127.0.0.1:0"));
    // Three silent peers fill the endpoint; none ever sends a greeting.
    const silent = [await rawPeer(port), await rawPeer(port), await rawPeer(port)];
    await until(() => router.peers().length === 3, 5000, "three connections");
    const dealer = track(new DealerSocket());
    dealer.connect(router.endpoint!);
    await dealer.send(["still served"]);
    expect(text(await recvWithin(dealer))).toEqual(["still served"]);
    await silent[0]!.closed; // the oldest silent one made room
    expect(silent[1]!.isClosed() || silent[2]!.isClosed()).toBe(false);
    expect(router.peers().length).toBe(3);
  });

  test("when every connection completed its handshake, a newcomer is closed at once", async () => {
    const router = track(new RouterSocket({ maxConnections: 2 }));
    router.onMessage((f) => router.send(f));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const rejected: RejectedEvent[] = [];
    router.on("rejected", (e) => rejected.push(e));
    const dealers = [track(new DealerSocket()), track(new DealerSocket())];
    for (const d of dealers) {
      d.connect(ep);
      await d.send(["x"]);
      await recvWithin(d);
    }
    const late = await rawPeer(portOf(ep));
    await late.closed;
    expect(rejected.map((e) => e.reason)).toEqual(["2 connections, all past their handshake"]);
    for (const d of dealers) {
      await d.send(["still"]);
      expect(text(await recvWithin(d))).toEqual(["still"]);
    }
  });

  test("peerOf names a message's sender with its CURVE key; disconnect drops the peers a filter picks", async () => {
    const server = await generateKeyPair();
    const router = track(new RouterSocket({ curve: { role: "server", keyPair: server } }));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const client = await generateKeyPair();
    const dealer = track(new DealerSocket({ curve: { role: "client", serverKey: server.publicKey, keyPair: client } }));
    dealer.connect(ep);
    await dealer.send(["who"]);
    const [id] = await recvWithin(router);
    const { z85Encode } = await import("../../src/zmtp/index.ts");
    expect(router.peerOf(id!)?.curveKey).toBe(z85Encode(client.publicKey));
    const gone = dealer.once("disconnected");
    expect(router.disconnect((p) => p.curveKey === z85Encode(client.publicKey))).toBe(1);
    await gone;
    expect(router.disconnect(() => true)).toBeLessThanOrEqual(1); // it may have reconnected already
  });
});
