// The CurveZMQ handshake and MESSAGE boxes as pure state machines: both sides in memory, then every
// way a peer can get the handshake wrong. (Interop with libzmq: curve-interop.test.ts.)

import { describe, expect, test } from "bun:test";
import { CurveClientMechanism, type CurveAuthorizer, CurveServerMechanism } from "../../src/zmtp/curve.ts";
import { ZmtpAuthError, ZmtpProtocolError } from "../../src/zmtp/errors.ts";
import { type Command, FrameDecoder, parseCommand } from "../../src/zmtp/frames.ts";
import { encodeProperties } from "../../src/zmtp/handshake.ts";
import type { MessageCipher } from "../../src/zmtp/mechanism.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { z85Encode } from "../../src/zmtp/z85.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const meta = (type: string) => encodeProperties([["Socket-Type", enc(type)]]);
const WHERE = { endpoint: "tcp://127.0.0.1:5555", peer: "10.0.0.7:40000" };

/** The one frame body in `wire`. */
function body(wire: Uint8Array): Uint8Array {
  let out: Uint8Array | undefined;
  new FrameDecoder().push(wire, (b) => {
    out = b.slice();
  });
  return out!;
}
const command = (wire: Uint8Array): Command => parseCommand(body(wire));
/** Run `f`, a throw and a rejection alike ending as a rejected promise. */
const attempt = (f: () => unknown): Promise<unknown> => Promise.resolve().then(f);

function sides(authorize?: CurveAuthorizer) {
  const serverKeys = generateKeyPair();
  const clientKeys = generateKeyPair();
  const client = new CurveClientMechanism(serverKeys.publicKey, clientKeys, meta("DEALER"));
  const server = new CurveServerMechanism(serverKeys, meta("ROUTER"), authorize, WHERE);
  return { client, server, serverKeys, clientKeys };
}

/** Run HELLO → WELCOME → INITIATE and return the wire bytes of each plus the server's INITIATE step. */
async function upToInitiate(s: ReturnType<typeof sides>) {
  const hello = (await s.client.start()).send[0]!;
  const welcome = (await s.server.handle(command(hello))).send[0]!;
  const initiate = (await s.client.handle(command(welcome))).send[0]!;
  const step = await s.server.handle(command(initiate));
  return { hello, welcome, initiate, step };
}

async function handshake(authorize?: CurveAuthorizer) {
  const s = sides(authorize);
  const { step, hello, initiate } = await upToInitiate(s);
  const ready = step.send[0]!;
  const clientStep = await s.client.handle(command(ready));
  return {
    ...s,
    hello,
    initiate,
    ready,
    serverCipher: step.done!.cipher!,
    clientCipher: clientStep.done!.cipher!,
    serverSaw: step.done!.properties,
    clientSaw: clientStep.done!.properties,
  };
}

/** Seal one part into a standalone frame and return its body, as the peer's decoder would see it. */
function sealed(cipher: MessageCipher, payload: Uint8Array, more = false, cmd = false): Uint8Array {
  const frame = new Uint8Array(cipher.wireSize(payload.length));
  expect(cipher.writeFrame(frame, 0, payload, more, cmd)).toBe(frame.length);
  expect(frame[0]! & 0x05).toBe(0); // an ordinary data frame without MORE, as libzmq sends MESSAGE
  return body(frame);
}

describe("CURVE handshake", () => {
  test("client and server agree, learn each other's metadata and exchange sealed parts both ways", async () => {
    const h = await handshake();
    expect(dec(h.serverSaw.get("Socket-Type")!)).toBe("DEALER");
    expect(dec(h.clientSaw.get("Socket-Type")!)).toBe("ROUTER");
    const up = h.serverCipher.open(sealed(h.clientCipher, enc("hello"), true));
    expect({ ...up, payload: dec(up.payload) }).toEqual({ payload: "hello", more: true, command: false });
    const down = h.clientCipher.open(sealed(h.serverCipher, enc("\x09SUBSCRIBEx"), false, true));
    expect({ ...down, payload: dec(down.payload) }).toEqual({ payload: "\x09SUBSCRIBEx", more: false, command: true });
    const big = crypto.getRandomValues(new Uint8Array(70_000));
    expect(h.serverCipher.open(sealed(h.clientCipher, big)).payload).toEqual(big);
  });

  test("commands have libzmq's sizes and nonces: HELLO 200 bytes nonce 1, INITIATE nonce 2, READY nonce 1, MESSAGEs go on from there", async () => {
    const h = await handshake();
    expect(body(h.hello).length).toBe(200);
    expect(body(h.hello)[112 + 7]).toBe(1);
    expect(body(h.initiate)[105 + 7]).toBe(2);
    expect(body(h.ready)[6 + 7]).toBe(1);
    expect(sealed(h.clientCipher, enc("a"))[8 + 7]).toBe(3);
    expect(sealed(h.serverCipher, enc("b"))[8 + 7]).toBe(2);
  });

  test("a replayed or reordered MESSAGE is refused", async () => {
    const h = await handshake();
    const first = sealed(h.clientCipher, enc("1"));
    const second = sealed(h.clientCipher, enc("2"));
    h.serverCipher.open(second);
    expect(() => h.serverCipher.open(first)).toThrow("nonce did not increase");
    expect(() => h.serverCipher.open(second)).toThrow("nonce did not increase");
  });

  test("a MESSAGE with one flipped bit, or anything but a MESSAGE, is refused", async () => {
    const h = await handshake();
    const m = sealed(h.clientCipher, enc("secret"));
    m[m.length - 1]! ^= 0x40;
    expect(() => h.serverCipher.open(m)).toThrow(ZmtpProtocolError);
    expect(() => h.serverCipher.open(enc("\x05READYxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))).toThrow("expected a CURVE MESSAGE");
    expect(() => h.serverCipher.open(enc("\x07MESSAGE"))).toThrow(ZmtpProtocolError);
  });

  test("a HELLO made for another server key is refused without an answer", async () => {
    const s = sides();
    const stranger = new CurveClientMechanism(generateKeyPair().publicKey, s.clientKeys, meta("DEALER"));
    const hello = (await stranger.start()).send[0]!;
    await expect(attempt(() => s.server.handle(command(hello)))).rejects.toThrow("the client uses another server key");
  });

  test("an authorizer that says no sends ERROR 400 and fails with a ZmtpAuthError naming the key and address", async () => {
    const seen: string[] = [];
    const s = sides((c) => {
      seen.push(`${c.z85} ${c.peer} ${c.endpoint}`);
      return false;
    });
    const { step } = await upToInitiate(s);
    expect(seen).toEqual([`${z85Encode(s.clientKeys.publicKey)} ${WHERE.peer} ${WHERE.endpoint}`]);
    expect(step.done).toBeUndefined();
    const err = command(step.send[0]!);
    expect(err.name).toBe("ERROR");
    expect(dec(err.data)).toBe("\x03400");
    expect(step.fail).toBeInstanceOf(ZmtpAuthError);
    expect(step.fail!.message).toContain(z85Encode(s.clientKeys.publicKey));
    expect(step.fail!.message).toContain(WHERE.peer);
  });

  test("an asynchronous authorizer is awaited; one that throws refuses with ERROR 500", async () => {
    const allowed = await upToInitiate(sides(async () => true));
    expect(allowed.step.done).toBeDefined();
    const broken = await upToInitiate(
      sides(async () => {
        throw new Error("key folder unreadable");
      }),
    );
    expect(dec(command(broken.step.send[0]!).data)).toBe("\x03500");
    expect(broken.step.fail!.message).toContain("key folder unreadable");
  });

  test("the cookie works once: a second INITIATE on the connection is refused", async () => {
    const s = sides();
    const { initiate } = await upToInitiate(s);
    await expect(attempt(() => s.server.handle(command(initiate)))).rejects.toBeInstanceOf(ZmtpProtocolError);
  });

  test("an INITIATE carrying another connection's cookie is refused", async () => {
    const a = sides();
    const { initiate } = await upToInitiate(a);
    // A second server with the same long-term key, mid-handshake with its own client.
    const b = {
      ...a,
      server: new CurveServerMechanism(a.serverKeys, meta("ROUTER"), undefined, WHERE),
      client: new CurveClientMechanism(a.serverKeys.publicKey, a.clientKeys, meta("DEALER")),
    };
    const hello = (await b.client.start()).send[0]!;
    await b.server.handle(command(hello));
    await expect(attempt(() => b.server.handle(command(initiate)))).rejects.toThrow("cookie we did not issue");
  });

  test("commands out of order are refused on both sides", async () => {
    const s = sides();
    const { initiate, welcome } = await upToInitiate(sides());
    await expect(attempt(() => s.server.handle(command(initiate)))).rejects.toThrow("unexpected INITIATE");
    const hello = (await s.client.start()).send[0]!;
    await s.server.handle(command(hello));
    await expect(attempt(() => s.server.handle(command(hello)))).rejects.toThrow("unexpected HELLO");
    const ready = { name: "READY", data: new Uint8Array(40) };
    await expect(attempt(() => s.client.handle(ready))).rejects.toThrow("unexpected READY");
    await expect(attempt(() => s.client.handle(command(welcome)))).rejects.toThrow("does not open");
  });

  test("fuzzed HELLO and INITIATE bytes only ever fail as ZmtpProtocolError", async () => {
    const rand = (n: number) => Math.floor(Math.random() * n);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const s = sides();
      const hello = body((await s.client.start()).send[0]!);
      const mutate = (b: Uint8Array): Uint8Array => {
        const m = b.slice(0, i % 3 === 0 ? rand(b.length + 1) : b.length);
        for (let k = 0; k <= rand(4); k++) if (m.length > 0) m[rand(m.length)] = rand(256);
        return m;
      };
      const attempt = async (fn: () => unknown) => {
        try {
          await fn();
        } catch (e) {
          if (!(e instanceof ZmtpProtocolError)) throw e;
          refused++;
        }
      };
      if (i % 2 === 0) {
        await attempt(() => s.server.handle(parseCommand(mutate(hello))));
      } else {
        const welcome = (await s.server.handle(parseCommand(hello))).send[0]!;
        const initiate = body((await s.client.handle(command(welcome))).send[0]!);
        await attempt(() => s.server.handle(parseCommand(mutate(initiate))));
      }
    }
    expect(refused).toBeGreaterThan(250);
  });
});
