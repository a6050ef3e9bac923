import { afterEach, describe, expect, test } from "bun:test";
import { ReqSocket, SocketStateError, ZmtpTimeoutError } from "../../src/zmtp/index.ts";
import { killAllPeers } from "../helpers/peers.ts";
import { closeSockets, text, track } from "../helpers/zmtp.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";

afterEach(async () => {
  await killAllPeers();
  await closeSockets();
});

describe("REQ", () => {
  test("gets replies from a pyzmq REP, one request at a time", async () => {
    const rep = await pyZmq({ type: "REP", bind: "tcp://127.0.0.1:0", echo: true });
    const req = track(new ReqSocket());
    req.connect(rep.endpoint);
    expect(text(await req.request(["one", "two"]))).toEqual(["one", "two"]);
    expect(text(await req.request(["three"]))).toEqual(["three"]);
  });

  test("puts an empty delimiter frame before the body for a pyzmq ROUTER", async () => {
    const router = await pyZmq({ type: "ROUTER", bind: "tcp://127.0.0.1:0" });
    const req = track(new ReqSocket());
    req.connect(router.endpoint);
    const reply = req.request(["q"]);
    const [id, delim, body] = await router.recv();
    expect(delim!.length).toBe(0);
    expect(text([body!])).toEqual(["q"]);
    router.send([id!, "", "a"]);
    expect(text(await reply)).toEqual(["a"]);
  });

  test("refuses a second request before the first is answered", async () => {
    const req = track(new ReqSocket());
    req.connect("tcp://127.0.0.1:1");
    req.send(["first"]);
    expect(() => req.send(["second"])).toThrow(SocketStateError);
  });

  test("request() times out with ZmtpTimeoutError and then allows a new request", async () => {
    const req = track(new ReqSocket());
    req.connect("tcp://127.0.0.1:1");
    await expect(req.request(["x"], 50)).rejects.toBeInstanceOf(ZmtpTimeoutError);
    expect(() => req.send(["y"])).not.toThrow();
  });
});
