import { afterEach, describe, expect, test } from "bun:test";
import { PubSocket, SubSocket } from "../../src/zmtp/index.ts";
import { closeSockets, recvWithin, text, track, untilDelivered } from "../helpers/zmtp.ts";
import { until } from "../helpers/wait.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

afterEach(closeSockets);

/** Have the pyzmq PUB publish `frames` every 20 ms until our SUB receives something. */
function publishUntilReceived(pub: ZmqPeer, sub: SubSocket, frames: string[]): Promise<string[]> {
  return untilDelivered(
    () => pub.send(frames),
    async () => text(await recvWithin(sub, 20)),
  );
}

describe("SUB", () => {
  test("receives from a pyzmq PUB only the topics it subscribed to", async () => {
    const pub = await pyZmq({ type: "PUB", bind: "tcp://127.0.0.1:0" });
    const sub = track(new SubSocket());
    sub.connect(pub.endpoint);
    sub.subscribe("keep");
    await sub.subscribed();
    // Each round publishes the dropped topic first: had it passed the filter, it would arrive first.
    const first = await untilDelivered(
      () => {
        pub.send(["drop.1"]);
        pub.send(["keep.1", "body"]);
      },
      async () => text(await recvWithin(sub, 20)),
    );
    expect(first).toEqual(["keep.1", "body"]);
  });

  test("once subscribed() resolves, our PUB has the subscription: its very next message arrives", async () => {
    const pub = track(new PubSocket());
    const sub = track(new SubSocket());
    sub.subscribe("a");
    sub.connect(await pub.bind("tcp://127.0.0.1:0"));
    await sub.subscribed();
    expect(pub.subscribersFor("a")).toBe(1);
    await pub.send(["a", "first"]);
    expect(text(await recvWithin(sub))).toEqual(["a", "first"]);
  });

  test("subscribed() waits for the publisher: it is pending until the PUB binds", async () => {
    const pub = track(new PubSocket());
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await pub.close();
    const sub = track(new SubSocket());
    sub.subscribe("");
    sub.connect(ep);
    const later = sub.subscribed().then(() => "subscribed");
    expect(await Promise.race([later, Bun.sleep(150).then(() => "pending")])).toBe("pending");
    const again = track(new PubSocket());
    await again.bind(ep);
    expect(await later).toBe("subscribed");
    expect(again.subscribersFor("x")).toBe(1);
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
    await sub.subscribed();
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
    await sub.subscribed();
    await pub.send(["hello"]);
    expect(text(await recvWithin(sub))).toEqual(["hello"]);
  });

  test("sends 3.0-form subscriptions to a PUB announcing ZMTP 3.0", async () => {
    const pub = track(new PubSocket({ zmtpVersion: "3.0" }));
    const sub = track(new SubSocket());
    sub.connect(await pub.bind("tcp://127.0.0.1:0"));
    sub.subscribe("z");
    // ZMTP 3.0 has no PING: subscribed() resolves after the handshake, the subscription may still be on its way.
    await sub.subscribed();
    await until(() => pub.subscribersFor("z1") > 0, 5000, "the 3.0 subscription");
    await pub.send(["z1"]);
    expect(text(await recvWithin(sub))).toEqual(["z1"]);
    expect(pub.subscribersFor("y1")).toBe(0);
  });
});
