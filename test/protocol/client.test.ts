import { afterEach, describe, expect, test } from "bun:test";
import {
  CallError,
  CircusClient,
  type CircusEvent,
  readClientCurveKeys,
  subscribe,
  TimeoutError,
} from "../../src/protocol/client.ts";
import { type CurveKeyPair, RouterSocket, writeCertificatePair, z85Encode } from "../../src/zmtp/index.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { startFakeCircusd, stopAll } from "../cli/fake-circusd.ts";
import { killAllPeers, removeTempDirs, tempDir } from "../helpers/peers.ts";
import { until } from "../helpers/wait.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

const clients: CircusClient[] = [];
function client(endpoint: string, timeoutMs?: number): CircusClient {
  const c = new CircusClient({ endpoint, timeoutMs });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});
afterEach(stopAll);

test("a call reaches a pyzmq ROUTER as one JSON frame with a 32-hex identity and id, and resolves with the reply", async () => {
  const fake = await startFakeCircusd();
  const c = client(fake.endpoint);
  const reply = await c.call("list");
  expect(reply.status).toBe("ok");
  expect(reply.watchers).toEqual(["circusd-stats", "web", "worker"]);
  const [req] = await fake.waitRequests(1);
  expect(req?.frames).toBe(2); // [identity, body]: no delimiter frame
  expect(req?.identity).toBe(c.identity);
  expect(c.identity).toMatch(/^[0-9a-f]{32}$/);
  expect(req?.request).toEqual({ command: "list", properties: {}, id: reply.id as string });
  expect(reply.id).toMatch(/^[0-9a-f]{32}$/);
});

test("an error reply resolves (it is a result, not an exception)", async () => {
  const fake = await startFakeCircusd();
  const reply = await client(fake.endpoint).call("list", { name: "nope" });
  expect(reply).toMatchObject({ status: "error", errno: 3, reason: "program nope not found" });
});

test("a reply carrying another request's id is discarded and the matching one is returned", async () => {
  const fake = await startFakeCircusd();
  const reply = await client(fake.endpoint).call("status", { name: "wrongid" });
  expect(reply.id).not.toBe("0".repeat(32));
  expect(reply.reason).toBe("program wrongid not found");
});

test("a call with no reply rejects with TimeoutError 'Timed out.' after the timeout", async () => {
  const fake = await startFakeCircusd();
  const c = client(fake.endpoint);
  const t0 = Date.now();
  const err = await c.call("status", { name: "slow" }, { timeoutMs: 300 }).catch((e) => e);
  expect(err).toBeInstanceOf(TimeoutError);
  expect(err.message).toBe("Timed out.");
  expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  // the client stays usable after a timeout
  expect((await c.call("numwatchers")).numwatchers).toBe(3);
});

test("a call to an endpoint nobody listens on times out instead of hanging", async () => {
  const r = new RouterSocket();
  const ep = await r.bind("tcp://127.0.0.1:0");
  await r.close();
  const err = await client(ep, 200)
    .call("list")
    .catch((e) => e);
  expect(err).toBeInstanceOf(TimeoutError);
});

test("overlapping calls on one client each get their own reply", async () => {
  const fake = await startFakeCircusd();
  const c = client(fake.endpoint);
  const [a, b, d] = await Promise.all([c.call("numwatchers"), c.call("list", { name: "web" }), c.call("status")]);
  expect(a.numwatchers).toBe(3);
  expect(b.pids).toEqual([1201, 1202, 1203]);
  expect(d.statuses).toMatchObject({ web: "active" });
});

test("cast sends msg_type cast and expects nothing back", async () => {
  const fake = await startFakeCircusd();
  const c = client(fake.endpoint);
  await c.cast("stop", { name: "web" });
  const [req] = await fake.waitRequests(1);
  expect(req?.request).toMatchObject({ command: "stop", msg_type: "cast", properties: { name: "web" } });
});

test("subscribe delivers topic and decoded JSON payload from a pyzmq PUB, filtered by prefix", async () => {
  const fake = await startFakeCircusd({ pub: true });
  const events: CircusEvent[] = [];
  const sub = subscribe(fake.pubsub!, ["watcher.web."], (e) => events.push(e));
  await until(() => events.length >= 2, 5000, "two events").catch(() => {});
  await sub.close();
  expect(events.length).toBeGreaterThanOrEqual(2);
  expect(events.every((e) => e.topic === "watcher.web.spawn")).toBe(true);
  expect(events[0]?.payload).toEqual({ process_pid: 1204, time: 1.5 });
});

describe("CURVE", () => {
  afterEach(killAllPeers);
  afterEach(removeTempDirs);

  async function curveRouter(server: CurveKeyPair): Promise<ZmqPeer> {
    return pyZmq({
      type: "ROUTER",
      bind: "tcp://127.0.0.1:0",
      echo: true,
      curve: { server: true, publicKey: z85Encode(server.publicKey), secretKey: z85Encode(server.secretKey) },
    });
  }

  test("keys read from key files or Z85 text let a call through a pyzmq CURVE ROUTER", async () => {
    const dir = tempDir();
    const server = await writeCertificatePair(dir, "daemon");
    const mine = await writeCertificatePair(dir, "me");
    const py = await curveRouter(server.keyPair);
    // The echo sends our request back: same id, so it resolves as the reply.
    const fromFiles = await readClientCurveKeys(server.publicFile, mine.secretFile);
    expect(fromFiles).toEqual({ serverKey: server.keyPair.publicKey, keyPair: mine.keyPair });
    const known = new CircusClient({ endpoint: py.endpoint, curve: fromFiles });
    clients.push(known);
    expect((await known.call("list")).command).toBe("list");
    // Only the server key, as Z85 text: the client makes up its own pair (this server authorizes any).
    const fromText = await readClientCurveKeys(z85Encode(server.keyPair.publicKey));
    expect(fromText).toEqual({ serverKey: server.keyPair.publicKey });
    const anonymous = new CircusClient({ endpoint: py.endpoint, curve: fromText });
    clients.push(anonymous);
    expect((await anonymous.call("status")).command).toBe("status");
  });

  test("a wrong server key fails the call at once with the handshake's reason, not 'Timed out.'", async () => {
    const py = await curveRouter(generateKeyPair());
    // "At once" against a 30 s deadline: a loaded machine may take seconds over the handshake, and the
    // deadline is what a client without the handshake's reason would wait for.
    const c = new CircusClient({
      endpoint: py.endpoint,
      curve: { serverKey: generateKeyPair().publicKey },
      timeoutMs: 30_000,
    });
    clients.push(c);
    const t0 = Date.now();
    const err = await c.call("list").catch((e) => e);
    expect(err).toBeInstanceOf(CallError);
    expect(err.message).toContain(`cannot talk to ${py.endpoint}`);
    expect(err.message).toContain("is the server key right?");
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test("a plain client at a CURVE daemon is told the mechanisms differ", async () => {
    const py = await curveRouter(generateKeyPair());
    const err = await client(py.endpoint)
      .call("list")
      .catch((e) => e);
    expect(err).toBeInstanceOf(CallError);
    // libzmq may hang up before the rest of its greeting (with the mechanism) is out: either way, a reason.
    expect(err.message).toMatch(
      /peer uses security mechanism "CURVE", we use "NULL"|during the greeting \(does only one side use CURVE\?\)/,
    );
  });

  test("subscribe with CURVE keys receives from a pyzmq CURVE PUB", async () => {
    const server = generateKeyPair();
    const py = await pyZmq({
      type: "PUB",
      bind: "tcp://127.0.0.1:0",
      curve: { server: true, publicKey: z85Encode(server.publicKey), secretKey: z85Encode(server.secretKey) },
    });
    const events: CircusEvent[] = [];
    const sub = subscribe(py.endpoint, ["watcher."], (e) => events.push(e), { curve: { serverKey: server.publicKey } });
    try {
      // libzmq's PUB answers the PING that follows our subscription from its I/O thread; the socket
      // thread may apply the subscription a moment later, so a first message can still be filtered out.
      await sub.ready;
      await until(
        () => {
          if (events.length === 0) py.send(["watcher.web.start", '{"time": 1}']);
          return events.length > 0;
        },
        5000,
        "the event",
      );
      expect(events[0]).toMatchObject({ topic: "watcher.web.start", payload: { time: 1 } });
    } finally {
      await sub.close();
    }
  });
});
