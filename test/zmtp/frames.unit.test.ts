import { describe, expect, test } from "bun:test";
import { MessageTooLargeError, ZmtpProtocolError } from "../../src/zmtp/errors.ts";
import {
  encodeCommand,
  encodeMessage,
  FLAG_COMMAND,
  FLAG_LONG,
  FLAG_MORE,
  FrameDecoder,
  MAX_FRAMES_PER_MESSAGE,
  parseCommand,
} from "../../src/zmtp/frames.ts";

type Got = { body: number[]; flags: number };

function decode(chunks: Uint8Array[], max?: number): Got[] {
  const d = new FrameDecoder(max);
  const out: Got[] = [];
  for (const c of chunks) d.push(c, (body, flags) => out.push({ body: [...body], flags }));
  return out;
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** A tiny deterministic PRNG so a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe("frame encoder", () => {
  test("frames up to 255 bytes use the short form, longer ones the 8-byte long form", () => {
    expect([...encodeMessage([bytes(255)]).subarray(0, 2)]).toEqual([0, 255]);
    const long = encodeMessage([bytes(256)]);
    expect([...long.subarray(0, 9)]).toEqual([FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(long.length).toBe(9 + 256);
  });

  test("every frame but the last carries MORE", () => {
    const m = encodeMessage([bytes(1), bytes(0), bytes(2)]);
    expect([...m]).toEqual([FLAG_MORE, 1, 1, FLAG_MORE, 0, 0, 2, 1, 32]);
  });

  test("a command frame holds the name length, the name and the data", () => {
    const c = encodeCommand("PING", new Uint8Array([0, 10, 7]));
    expect(c[0]).toBe(FLAG_COMMAND);
    expect(parseCommand(c.subarray(2))).toEqual({ name: "PING", data: new Uint8Array([0, 10, 7]) });
  });
});

describe("frame decoder", () => {
  test("decodes a multi-frame message with empty, 255-, 256- and 1 MiB-byte frames", () => {
    const frames = [bytes(0), bytes(255), bytes(256), bytes(1 << 20)];
    const got = decode([encodeMessage(frames)]);
    expect(got.map((g) => g.body.length)).toEqual([0, 255, 256, 1 << 20]);
    expect(got.map((g) => g.flags & FLAG_MORE)).toEqual([1, 1, 1, 0]);
    expect(got[3]!.body).toEqual([...frames[3]!]);
  });

  test("accepts the long form for a short frame", () => {
    const got = decode([new Uint8Array([FLAG_LONG, 0, 0, 0, 0, 0, 0, 0, 3, 7, 8, 9])]);
    expect(got).toEqual([{ body: [7, 8, 9], flags: FLAG_LONG }]);
  });

  test("splitting the stream anywhere, even byte by byte, yields identical frames", () => {
    const stream = new Uint8Array([
      ...encodeMessage([bytes(3), bytes(300)]),
      ...encodeCommand("PING", new Uint8Array([0, 1])),
      ...encodeMessage([bytes(0)]),
    ]);
    const whole = decode([stream]);
    const oneByOne = decode([...stream].map((b) => new Uint8Array([b])));
    expect(oneByOne).toEqual(whole);
    expect(whole.length).toBe(4);
  });

  test("an 8-byte length of 2^63 is refused as too large, not allocated", () => {
    const evil = new Uint8Array([FLAG_LONG, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => decode([evil])).toThrow(MessageTooLargeError);
  });

  test("the size limit applies to the whole multi-frame message", () => {
    const m = encodeMessage([bytes(60), bytes(60)]);
    expect(() => decode([m], 100)).toThrow(MessageTooLargeError);
    expect(decode([m], 120).length).toBe(2);
  });

  test("a flood of empty MORE frames is refused past MAX_FRAMES_PER_MESSAGE, and the count restarts per message", () => {
    const empty = new Uint8Array([FLAG_MORE, 0]);
    const flood = new Uint8Array(2 * (MAX_FRAMES_PER_MESSAGE + 1));
    for (let i = 0; i < flood.length; i += 2) flood.set(empty, i);
    expect(() => decode([flood])).toThrow(/more than 10000 frames/);
    // Many messages of a few frames each are fine.
    const messages = Array.from({ length: MAX_FRAMES_PER_MESSAGE }, () => encodeMessage([bytes(1), bytes(1)]));
    expect(decode(messages).length).toBe(2 * MAX_FRAMES_PER_MESSAGE);
  });

  test("a command frame with MORE set is a protocol error", () => {
    expect(() => decode([new Uint8Array([FLAG_COMMAND | FLAG_MORE, 0])])).toThrow(ZmtpProtocolError);
  });

  test("after an error the decoder stays failed", () => {
    const d = new FrameDecoder(10);
    expect(() => d.push(new Uint8Array([0, 200]), () => {})).toThrow(MessageTooLargeError);
    expect(() => d.push(new Uint8Array([0, 1, 1]), () => {})).toThrow(ZmtpProtocolError);
  });

  test("fuzz: random chunking of valid streams gives the same frames as one chunk", () => {
    const rand = rng(42);
    for (let round = 0; round < 200; round++) {
      const msgs: Uint8Array[] = [];
      const n = 1 + Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) {
        const frames = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => bytes(Math.floor(rand() * 600), i));
        msgs.push(encodeMessage(frames));
      }
      const stream = new Uint8Array(msgs.reduce((a, m) => a + m.length, 0));
      let off = 0;
      for (const m of msgs) {
        stream.set(m, off);
        off += m.length;
      }
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < stream.length; ) {
        const len = 1 + Math.floor(rand() * 400);
        chunks.push(stream.subarray(i, i + len));
        i += len;
      }
      expect(decode(chunks)).toEqual(decode([stream]));
    }
  });

  test("fuzz: random garbage never throws anything but ZmtpProtocolError", () => {
    const rand = rng(7);
    for (let round = 0; round < 2000; round++) {
      const junk = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      try {
        decode([junk.subarray(0, 10), junk.subarray(10)], 1024);
      } catch (e) {
        expect(e).toBeInstanceOf(ZmtpProtocolError);
      }
    }
  });
});
