import { afterEach, describe, expect, test } from "bun:test";
import { PubSocket } from "../../src/zmtp/index.ts";
import { killAllPeers, spawnPython, until } from "../helpers/peers.ts";
import { enc, rawPeer, wireCommand, wireMessage, type RawPeer } from "../helpers/raw-zmtp.ts";
import { closeSockets, track } from "../helpers/zmtp.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
});

const portOf = (ep: string) => Number(ep.slice(ep.lastIndexOf(":") + 1));

/** Publish `[topic]` until the subscriber has it: the subscription has then reached the PUB. */
async function syncPy(pub: PubSocket, sub: ZmqPeer, topic: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    pub.send([topic, "sync"]);
    const got = await sub.recvText(50).catch(() => null);
    if (got) {
      // Probes sent before the one that arrived may still be in flight (a fixed wait for them is too short
      // on a loaded machine): a last one follows them on the connection; read up to it.
      pub.send([topic, "last"]);
      while ((await sub.recvText(5000))[1] !== "last");
      return;
    }
  }
  throw new Error("subscription never reached the publisher");
}

/**
 * Wait until our PUB has read the raw peer's subscription to `topic`. It says so itself: publishing probes
 * until one arrives left duplicates in flight that a loaded machine delivered after any fixed drain.
 */
async function syncRaw(pub: PubSocket, raw: RawPeer, topic: string): Promise<void> {
  await until(() => pub.subscribersFor(topic) === 1, 5000, `the subscription to ${topic}`);
  expect(raw.messages).toEqual([]);
}

describe("PUB", () => {
  test("sends a pyzmq SUB only the topics it subscribed to, by byte prefix", async () => {
    const pub = track(new PubSocket());
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const sub = await pyZmq({ type: "SUB", connect: [ep], subscribe: ["watcher."] });
    await syncPy(pub, sub, "watcher.sync");
    pub.send(["watcher.web.start", "1"]);
    pub.send(["stats.web", "2"]);
    pub.send(["watcher.api.stop", "3"]);
    expect(await sub.recvText()).toEqual(["watcher.web.start", "1"]);
    expect(await sub.recvText()).toEqual(["watcher.api.stop", "3"]);
    expect(await sub.recvText(100).catch(() => "nothing")).toBe("nothing");
  });

  test("stops sending a topic after a pyzmq SUB unsubscribes", async () => {
    const pub = track(new PubSocket());
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const sub = await pyZmq({ type: "SUB", connect: [ep], subscribe: ["a", "b"] });
    await syncPy(pub, sub, "b");
    sub.unsubscribe("a");
    // Once a "b" marker arrives with no "a" before it, the cancel has taken effect.
    let clean = false;
    for (let i = 0; i < 100 && !clean; i++) {
      pub.send(["a"]);
      pub.send(["b"]);
      const first = await sub.recvText();
      if (first[0] === "b") clean = true;
      else await sub.recvText();
    }
    expect(clean).toBe(true);
  });

  test("when announcing ZMTP 3.0, a libzmq SUB's 0x01-prefixed subscription messages filter correctly", async () => {
    const pub = track(new PubSocket({ zmtpVersion: "3.0" }));
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const sub = await pyZmq({ type: "SUB", connect: [ep], subscribe: ["x"] });
    await syncPy(pub, sub, "x-sync");
    pub.send(["y", "no"]);
    pub.send(["xy", "yes"]);
    expect(await sub.recvText()).toEqual(["xy", "yes"]);
  });

  test("accepts 3.0-form subscribe and cancel messages from a raw peer", async () => {
    const pub = track(new PubSocket());
    const raw = await rawPeer(portOf(await pub.bind("tcp://127.0.0.1:0")));
    raw.handshake("SUB", 0);
    raw.write(wireMessage(new Uint8Array([1, ...enc("t")])));
    await syncRaw(pub, raw, "t");
    pub.send(["u1"]);
    pub.send(["t1"]);
    // Messages leave in order: once t1 is in, u1 would have been before it.
    await until(() => raw.messages.length > 0, 5000, "t1");
    expect(raw.messages.map((m) => new TextDecoder().decode(m[0]))).toEqual(["t1"]);
    // A peer's messages are read in order: once the marker subscription is in, so is the cancel before it.
    raw.write(wireMessage(new Uint8Array([0, ...enc("t")])));
    raw.write(wireMessage(new Uint8Array([1, ...enc("mark")])));
    await until(() => pub.subscribersFor("mark") === 1, 5000, "the marker subscription");
    expect(pub.subscribersFor("t2")).toBe(0);
  });

  test("counts 3.1 SUBSCRIBE commands: two subscribes need two CANCELs", async () => {
    const pub = track(new PubSocket());
    const raw = await rawPeer(portOf(await pub.bind("tcp://127.0.0.1:0")));
    raw.handshake("SUB", 1);
    raw.write(wireCommand("SUBSCRIBE", enc("t")));
    raw.write(wireCommand("SUBSCRIBE", enc("t")));
    await syncRaw(pub, raw, "t");
    // A peer's commands are read in order: once a marker subscription is in, so is the CANCEL before it.
    raw.write(wireCommand("CANCEL", enc("t")));
    raw.write(wireCommand("SUBSCRIBE", enc("mark1")));
    await until(() => pub.subscribersFor("mark1") === 1, 5000, "the first marker");
    expect(pub.subscribersFor("t1")).toBe(1);
    raw.write(wireCommand("CANCEL", enc("t")));
    raw.write(wireCommand("SUBSCRIBE", enc("mark2")));
    await until(() => pub.subscribersFor("mark2") === 1, 5000, "the second marker");
    expect(pub.subscribersFor("t2")).toBe(0);
  });

  test("a flood of 50 000 SUBSCRIBEs is absorbed at once and capped per subscriber", async () => {
    const pub = track(new PubSocket({ maxSubscriptions: 10_000 }));
    const raw = await rawPeer(portOf(await pub.bind("tcp://127.0.0.1:0")));
    raw.handshake("SUB", 1);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 50_000; i++) parts.push(wireCommand("SUBSCRIBE", enc(`flood.${i}.`)));
    parts.push(wireCommand("SUBSCRIBE", enc("watcher.")));
    raw.write(Buffer.concat(parts));
    // The event loop stays free while the flood is read: a 5 ms timer keeps firing throughout. Between two
    // of its ticks this process may use little CPU time: CPU time rather than wall time, since a loaded
    // machine that sets the whole process aside for a while (595 ms seen) is no sign of a busy loop, while
    // a read that never yields (the old quadratic one froze for ~45 s) uses all of its gap.
    let worstCpuMs = 0;
    let last = process.cpuUsage();
    const timer = setInterval(() => {
      const used = process.cpuUsage(last);
      worstCpuMs = Math.max(worstCpuMs, (used.user + used.system) / 1000);
      last = process.cpuUsage();
    }, 5);
    await until(() => pub.subscribersFor("flood.9999.x") === 1, 10_000, "the flood to be read");
    await Bun.sleep(100);
    clearInterval(timer);
    expect(worstCpuMs).toBeLessThan(500);
    // Past the cap, the rest (and the late "watcher.") is ignored; the first 10 000 stand.
    expect(pub.subscribersFor("flood.10000.x")).toBe(0);
    expect(pub.subscribersFor("watcher.web.start")).toBe(0);
    expect(pub.peerCount).toBe(1);
  });

  test("never blocks: drops for a subscriber that stops reading once its queue hits the HWM", async () => {
    const pub = track(new PubSocket({ hwm: 5 }));
    const port = portOf(await pub.bind("tcp://127.0.0.1:0"));
    // A Python raw socket that handshakes, subscribes to everything and then never reads.
    const stalled = spawnPython(STALLED_SUB, [String(port)]);
    await stalled.waitFor("READY");
    await until(() => pub.subscribersFor("x") === 1, 5000, "subscriber");
    const big = new Uint8Array(1 << 20);
    const start = Date.now();
    for (let i = 0; i < 200; i++) await pub.send([big]);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(pub.peerCount).toBe(1); // dropped messages, not the subscriber
    // Once it reads, the subscriber gets what was queued (5) and what the kernel buffers held: far
    // fewer than the 200 MiB published.
    stalled.send("read");
    const received = Number(await stalled.waitFor("RECEIVED"));
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(50 << 20);
  });
});

const STALLED_SUB = String.raw`
import socket, sys, struct, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
greeting = b"\xff" + b"\0" * 8 + b"\x7f\x03\x01NULL" + b"\0" * 48
ready = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 3) + b"SUB"
sub = b"\x09SUBSCRIBE"
s.sendall(greeting + bytes([4, len(ready)]) + ready + bytes([4, len(sub)]) + sub)
print("READY", flush=True)
sys.stdin.readline()
s.settimeout(1.0)
total = 0
try:
    while True:
        data = s.recv(1 << 20)
        if not data: break
        total += len(data)
except socket.timeout:
    pass
print("RECEIVED", total, flush=True)
`;
