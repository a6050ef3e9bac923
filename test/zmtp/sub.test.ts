import { afterEach, describe, expect, test } from "bun:test";
import { PubSocket, SubSocket } from "../../src/zmtp/index.ts";
import { killAllPeers } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
});

/** Have the pyzmq PUB publish `frames` every 20 ms until our SUB receives something. */
async function publishUntilReceived(pub: ZmqPeer, sub: SubSocket, frames: string[]): Promise<string[]> {
  for (let i = 0; i < 250; i++) {
    pub.send(frames);
    const got = await recvWithin(sub, 20).catch(() => null);
    if (got) return text(got);
  }
  throw new Error("nothing received");
}

describe("SUB", () => {
  test("receives from a pyzmq PUB only the topics it subscribed to", async () => {
    const pub = await pyZmq({ type: "PUB", bind: "tcp://127.0.0.1:0" });
    const sub = track(new SubSocket());
    sub.connect(pub.endpoint);
    sub.subscribe("keep");
    expect(await publishUntilReceived(pub, sub, ["keep.1", "body"])).toEqual(["keep.1", "body"]);
    pub.send(["drop.1"]);
    pub.send(["keep.2"]);
    let next = text(await recvWithin(sub));
    while (next[0] === "keep.1") next = text(await recvWithin(sub)); // stragglers of the loop above
    expect(next).toEqual(["keep.2"]);
  });

  test("re-subscribes after the pyzmq PUB restarts on the same address", async () => {
    const first = await pyZmq({ type: "PUB", bind: "tcp://127.0.0.1:0" });
    const ep = first.endpoint;
    const sub = track(new SubSocket());
    sub.connect(ep);
    sub.subscribe("t");
    await publishUntilReceived(first, sub, ["t0"]);
    await first.kill();
    const second = await pyZmq({ type: "PUB", bind: ep });
    expect(await publishUntilReceived(second, sub, ["t1"])).toEqual(["t1"]);
  });

  test("unsubscribing stops delivery even of messages already on the way", async () => {
    const pub = track(new PubSocket());
    const sub = track(new SubSocket());
    sub.connect(await pub.bind("tcp://127.0.0.1:0"));
    sub.subscribe("a");
    while (pub.subscribersFor("a") === 0) await Bun.sleep(5);
    await pub.send(["a", "sync"]);
    await recvWithin(sub);
    sub.unsubscribe("a");
    pub.send(["a", "late"]);
    expect(await recvWithin(sub, 100).catch(() => "nothing")).toBe("nothing");
  });

  test("talks to our own PUB over an abstract-namespace ipc endpoint", async () => {
    const pub = track(new PubSocket());
    const ep = await pub.bind(`ipc://@circus-test-${process.pid}-${Date.now()}`);
    const sub = track(new SubSocket());
    sub.connect(ep);
    sub.subscribe("");
    while (pub.subscribersFor("hello") === 0) await Bun.sleep(5);
    await pub.send(["hello"]);
    expect(text(await recvWithin(sub))).toEqual(["hello"]);
  });

  test("sends 3.0-form subscriptions to a PUB announcing ZMTP 3.0", async () => {
    const pub = track(new PubSocket({ zmtpVersion: "3.0" }));
    const sub = track(new SubSocket());
    sub.connect(await pub.bind("tcp://127.0.0.1:0"));
    sub.subscribe("z");
    while (pub.subscribersFor("z1") === 0) await Bun.sleep(5);
    await pub.send(["z1"]);
    expect(text(await recvWithin(sub))).toEqual(["z1"]);
    expect(pub.subscribersFor("y1")).toBe(0);
  });
});
