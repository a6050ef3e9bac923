// The NaCl operations against the reference vectors of NaCl's own tests (box.c, core1.c), so the
// glue around @noble (HSalsa20 words, MAC-first layout) is checked byte for byte.

import { describe, expect, test } from "bun:test";
import {
  generateKeyPair,
  generateKeyPairAsync,
  nativeX25519,
  open,
  publicKeyOf,
  publicKeyOfAsync,
  seal,
  sharedKey,
  sharedKeyAsync,
} from "../../src/zmtp/nacl.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const ALICE_SECRET = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const ALICE_PUBLIC = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
const BOB_SECRET = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
const BOB_PUBLIC = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
const NONCE = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
const MESSAGE = hex(
  "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705",
);
// The first and last bytes of crypto_box's output in box.c (MAC first, then ciphertext).
const BOX_HEAD = "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce";
const BOX_TAIL = "e355a5";

describe("NaCl glue", () => {
  test("crypto_box_beforenm of Alice's secret and Bob's public key is NaCl's shared key", () => {
    const k = sharedKey(BOB_PUBLIC, ALICE_SECRET)!;
    expect(Buffer.from(k).toHex()).toBe("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    expect(sharedKey(ALICE_PUBLIC, BOB_SECRET)).toEqual(k);
    expect(publicKeyOf(ALICE_SECRET)).toEqual(ALICE_PUBLIC);
  });

  test("a box is NaCl's box.c output and opens back; a flipped bit does not open", () => {
    const k = sharedKey(BOB_PUBLIC, ALICE_SECRET)!;
    const boxed = seal(k, NONCE, MESSAGE);
    expect(boxed.length).toBe(MESSAGE.length + 16);
    expect(Buffer.from(boxed.subarray(0, 32)).toHex()).toBe(BOX_HEAD);
    expect(Buffer.from(boxed.subarray(-3)).toHex()).toBe(BOX_TAIL);
    expect(open(k, NONCE, boxed)).toEqual(MESSAGE);
    boxed[40]! ^= 1;
    expect(open(k, NONCE, boxed)).toBeNull();
    expect(open(k, NONCE, new Uint8Array(10))).toBeNull();
  });

  test("a low-order public key gives no shared key instead of a predictable one", () => {
    expect(sharedKey(new Uint8Array(32), generateKeyPair().secretKey)).toBeNull();
  });

  test("Bun's WebCrypto X25519 is used and agrees with pure-JS noble on NaCl's vectors and random keys", async () => {
    expect(await nativeX25519()).toBe(true);
    expect(await sharedKeyAsync(BOB_PUBLIC, ALICE_SECRET)).toEqual(sharedKey(BOB_PUBLIC, ALICE_SECRET));
    for (let i = 0; i < 10; i++) {
      const a = await generateKeyPairAsync();
      const b = generateKeyPair();
      expect(publicKeyOf(a.secretKey)).toEqual(a.publicKey);
      expect(await publicKeyOfAsync(b.secretKey)).toEqual(b.publicKey);
      expect(await sharedKeyAsync(b.publicKey, a.secretKey)).toEqual(sharedKey(a.publicKey, b.secretKey));
    }
    expect(await sharedKeyAsync(new Uint8Array(32), generateKeyPair().secretKey)).toBeNull();
  });
});
