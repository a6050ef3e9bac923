import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DealerSocket } from "../../src/zmtp/index.ts";
import { killAllPeers, removeTempDirs, tempDir } from "../helpers/peers.ts";
import { closeSockets, recvWithin, text, track } from "../helpers/zmtp.ts";
import { nodeZmq, pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
  removeTempDirs();
});

describe("DEALER", () => {
  test("talks to a pyzmq ROUTER, which sees our identity as routing id", async () => {
    const py = await pyZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0" });
    const d = track(new DealerSocket({ identity: "abc123" }));
    d.connect(py.endpoint);
    d.send(["hi", new Uint8Array([0, 1, 2])]);
    const [id, a, b] = await py.recv();
    expect(text([id!, a!])).toEqual(["abc123", "hi"]);
    expect([...b!]).toEqual([0, 1, 2]);
    py.send([id!, "back"]);
    expect(text(await recvWithin(d))).toEqual(["back"]);
  });

  test("talks to a zeromq.js ROUTER under Node", async () => {
    const js = await nodeZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0", echo: true });
    const d = track(new DealerSocket());
    d.connect(js.endpoint);
    d.send(["x", "y"]);
    expect(text(await recvWithin(d))).toEqual(["x", "y"]);
  });

  test("queues messages sent before the server exists and delivers them once it is up", async () => {
    const sock = join(tempDir(), "late.sock");
    const d = track(new DealerSocket());
    d.connect(`ipc://${sock}`);
    d.send(["early"]);
    await Bun.sleep(150);
    const py = await pyZmq({ type: "ROUTER", bind: `ipc://${sock}`, echo: true });
    expect(py.endpoint).toBe(`ipc://${sock}`);
    expect(text(await recvWithin(d))).toEqual(["early"]);
  });

  test("reconnects to a restarted pyzmq ROUTER and keeps working", async () => {
    const first = await pyZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0", echo: true });
    const ep = first.endpoint;
    const d = track(new DealerSocket({ identity: "me" }));
    d.connect(ep);
    d.send(["one"]);
    expect(text(await recvWithin(d))).toEqual(["one"]);
    await first.kill();
    await Bun.sleep(50);
    await pyZmq({ type: "ROUTER", bind: ep, echo: true });
    // Sent while reconnecting: queued (or sent on the new link) and answered by the new server.
    const deadline = Date.now() + 5000;
    let got: string[] = [];
    while (Date.now() < deadline) {
      d.send(["two"]);
      got = text(await recvWithin(d, 500).catch(() => []));
      if (got.length > 0) break;
    }
    expect(got).toEqual(["two"]);
  });

  test("iterates received messages with for await", async () => {
    const py = await pyZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0", echo: true });
    const d = track(new DealerSocket());
    d.connect(py.endpoint);
    for (const m of ["a", "b", "c"]) d.send([m]);
    const seen: string[] = [];
    for await (const msg of d) {
      seen.push(...text(msg));
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(["a", "b", "c"]);
  });

  test("round-robins over several servers", async () => {
    const a = await pyZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0" });
    const b = await pyZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0" });
    const d = track(new DealerSocket());
    d.connect(a.endpoint);
    d.connect(b.endpoint);
    while (d.peerCount < 2) await Bun.sleep(5);
    d.send(["1"]);
    d.send(["2"]);
    const got = [text(await a.recv()).at(-1), text(await b.recv()).at(-1)].sort();
    expect(got).toEqual(["1", "2"]);
  });
});
