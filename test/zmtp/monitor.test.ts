// Socket events (libzmq's monitor, typed): what each side of a connection reports, and when.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  DealerSocket,
  type HandshakeFailedEvent,
  PubSocket,
  RouterSocket,
  type SocketEventMap,
  type SocketEventName,
  ZmtpAuthError,
  ZmtpProtocolError,
  type ZmtpSocket,
} from "../../src/zmtp/index.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { killAllPeers, removeTempDirs, tempDir } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
  removeTempDirs();
});

/** Every event `s` emits, in order, as [name, payload]. */
function record(s: ZmtpSocket): [SocketEventName, unknown][] {
  const seen: [SocketEventName, unknown][] = [];
  const names: SocketEventName[] = [
    "listening",
    "accepted",
    "connected",
    "handshake_succeeded",
    "handshake_failed",
    "disconnected",
    "closed",
  ];
  for (const name of names) s.on(name, (e: SocketEventMap[typeof name]) => seen.push([name, e]));
  return seen;
}

const portOf = (ep: string) => Number(ep.slice(ep.lastIndexOf(":") + 1));

describe("socket events", () => {
  test("each side reports the connection with the other side's address, then the handshake", async () => {
    const router = track(new RouterSocket());
    const routerEvents = record(router);
    const ep = await router.bind("tcp://127.0.0.1:0");
    const dealer = track(new DealerSocket());
    const dealerEvents = record(dealer);
    const succeeded = router.once("handshake_succeeded");
    dealer.connect(ep);
    const { peer } = await succeeded;
    expect(peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(routerEvents).toEqual([
      ["listening", { endpoint: ep }],
      ["accepted", { endpoint: ep, peer }],
      ["handshake_succeeded", { endpoint: ep, peer }],
    ]);
    await dealer.send(["hi"]);
    await recvWithin(router);
    expect(dealerEvents).toEqual([
      ["connected", { endpoint: ep, peer: `127.0.0.1:${portOf(ep)}` }],
      ["handshake_succeeded", { endpoint: ep, peer: `127.0.0.1:${portOf(ep)}` }],
    ]);
  });

  test("the accepted peer's address is the connecting socket's own address", async () => {
    const router = track(new RouterSocket());
    const port = portOf(await router.bind("tcp://127.0.0.1:0"));
    const accepted = router.once("accepted");
    const raw = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    expect((await accepted).peer).toBe(`127.0.0.1:${raw.localPort}`);
    raw.end();
  });

  test("a peer that goes away is reported as disconnected; close reports closed for every endpoint", async () => {
    const router = track(new RouterSocket());
    const ep = await router.bind("tcp://127.0.0.1:0");
    const dealer = new DealerSocket();
    const gone = router.once("disconnected");
    const up = router.once("handshake_succeeded");
    dealer.connect(ep);
    const { peer } = await up;
    await dealer.close();
    expect(await gone).toEqual({ endpoint: ep, peer });
    const ipc = `ipc://${join(tempDir(), "m.sock")}`;
    await router.bind(ipc);
    const closed: string[] = [];
    router.on("closed", (e) => closed.push(e.endpoint));
    await router.close();
    expect(closed).toEqual([ep, ipc]);
  });

  test("an ipc peer, which has no address, is reported by the endpoint", async () => {
    const router = track(new RouterSocket());
    const ep = await router.bind(`ipc://${join(tempDir(), "p.sock")}`);
    const accepted = router.once("accepted");
    track(new DealerSocket()).connect(ep);
    expect(await accepted).toEqual({ endpoint: ep, peer: ep });
  });

  test("a socket-type mismatch is a handshake failure with the reason, on both sides", async () => {
    const router = track(new RouterSocket());
    const ep = await router.bind("tcp://127.0.0.1:0");
    const pub = track(new PubSocket({ reconnectInterval: 5000 }));
    const onRouter = router.once("handshake_failed");
    const onPub = pub.once("handshake_failed");
    pub.connect(ep);
    const r = await onRouter;
    expect(r.reason).toBe("socket type PUB cannot talk to ROUTER");
    expect(r.error).toBeInstanceOf(ZmtpProtocolError);
    // The PUB saw the ROUTER first as incompatible, or got its ERROR: either way a reason, never silence.
    expect((await onPub).reason).toMatch(/ROUTER cannot talk to PUB|PUB cannot talk to ROUTER/);
  });

  test("a NULL client at a CURVE server fails its handshake on both sides, naming the mechanisms", async () => {
    const router = track(new RouterSocket({ curve: { role: "server", keyPair: generateKeyPair() } }));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const dealer = track(new DealerSocket({ reconnectInterval: 5000 }));
    const onRouter = router.once("handshake_failed");
    const onDealer = dealer.once("handshake_failed");
    dealer.connect(ep);
    expect((await onRouter).reason).toBe('peer uses security mechanism "NULL", we use "CURVE"');
    expect((await onDealer).reason).toBe('peer uses security mechanism "CURVE", we use "NULL"');
  });

  test("a refused CURVE key is an auth failure for both sides", async () => {
    const server = generateKeyPair();
    const router = track(new RouterSocket({ curve: { role: "server", keyPair: server, authorize: () => false } }));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const dealer = track(
      new DealerSocket({ reconnectInterval: 5000, curve: { role: "client", serverKey: server.publicKey } }),
    );
    const onRouter = router.once("handshake_failed");
    const onDealer = dealer.once("handshake_failed");
    dealer.connect(ep);
    const r: HandshakeFailedEvent = await onRouter;
    const d: HandshakeFailedEvent = await onDealer;
    expect(r.error).toBeInstanceOf(ZmtpAuthError);
    expect(r.reason).toContain("is not authorized");
    expect(d.error).toBeInstanceOf(ZmtpAuthError);
    expect(d.reason).toContain("the server refused our CURVE key (ZAP status 400)");
  });

  test("a throwing listener is logged and the socket carries on", async () => {
    const router = track(new RouterSocket());
    router.on("handshake_succeeded", () => {
      throw new Error("listener bug");
    });
    router.onMessage((f) => router.send(f));
    const ep = await router.bind("tcp://127.0.0.1:0");
    const dealer = track(new DealerSocket());
    dealer.connect(ep);
    await dealer.send(["still works"]);
    expect(text(await recvWithin(dealer))).toEqual(["still works"]);
  });
});
