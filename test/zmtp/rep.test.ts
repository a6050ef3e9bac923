import { afterEach, describe, expect, test } from "bun:test";
import { RepSocket, ReqSocket } from "../../src/zmtp/index.ts";
import { killAllPeers } from "../helpers/peers.ts";
import { closeSockets, text, track } from "../helpers/zmtp.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
});

describe("REP", () => {
  test("answers a pyzmq REQ without exposing the envelope", async () => {
    const rep = track(new RepSocket());
    const ep = await rep.bind("tcp://127.0.0.1:0");
    const seen: string[][] = [];
    rep.onMessage((frames) => {
      seen.push(text(frames));
      rep.send(["re:", ...frames]);
    });
    const py = await pyZmq({ type: "REQ", connect: [ep] });
    py.send(["hello"]);
    expect(await py.recvText()).toEqual(["re:", "hello"]);
    expect(seen).toEqual([["hello"]]);
  });

  test("serves a pyzmq DEALER that sends its own empty delimiter", async () => {
    const rep = track(new RepSocket());
    const ep = await rep.bind("tcp://127.0.0.1:0");
    rep.onMessage((frames) => rep.send(frames));
    const py = await pyZmq({ type: "DEALER", connect: [ep] });
    py.send(["", "x"]);
    expect(await py.recvText()).toEqual(["", "x"]);
  });

  test("answers several REQ clients, each getting its own reply", async () => {
    const rep = track(new RepSocket());
    const ep = await rep.bind("tcp://127.0.0.1:0");
    rep.onMessage((frames) => rep.send(frames));
    const clients = [1, 2, 3].map(() => track(new ReqSocket()));
    for (const c of clients) c.connect(ep);
    const replies = await Promise.all(clients.map((c, i) => c.request([`c${i}`])));
    expect(replies.map((r) => text(r)[0])).toEqual(["c0", "c1", "c2"]);
  });
});
