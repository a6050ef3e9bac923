import { afterEach, describe, expect, test } from "bun:test";
import { z85Decode, z85Encode } from "../../src/zmtp/z85.ts";
import { killAllPeers, spawnPython } from "../helpers/peers.ts";

afterEach(killAllPeers);

describe("Z85", () => {
  test("encodes RFC 32's test vector as HelloWorld and decodes it back", () => {
    const bytes = new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect([...z85Decode("HelloWorld")!]).toEqual([...bytes]);
  });

  test("agrees with pyzmq's z85 on random keys, both ways", async () => {
    const keys = Array.from({ length: 20 }, () => crypto.getRandomValues(new Uint8Array(32)));
    const py = spawnPython(
      `
import sys, zmq.utils.z85 as z
for h in sys.argv[1:]: print(z.encode(bytes.fromhex(h)).decode(), flush=True)`,
      keys.map((k) => Buffer.from(k).toHex()),
    );
    for (const k of keys) {
      const text = await py.line();
      expect(z85Encode(k)).toBe(text);
      expect(z85Decode(text)).toEqual(k);
    }
  });

  test("refuses text that is not Z85: wrong length, foreign characters, a group above 2^32", () => {
    expect(z85Decode("Hello")).not.toBeNull();
    expect(z85Decode("Hell")).toBeNull();
    expect(z85Decode("Hell~")).toBeNull();
    expect(z85Decode("Hellé")).toBeNull();
    expect(z85Decode("#####")).toBeNull();
    expect(() => z85Encode(new Uint8Array(3))).toThrow(RangeError);
  });
});
