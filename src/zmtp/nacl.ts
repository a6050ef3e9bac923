// The NaCl operations CurveZMQ is built from (crypto_box_keypair, crypto_box_beforenm,
// crypto_box_afternm / crypto_secretbox and their opening), on the audited @noble primitives: X25519
// from @noble/curves, HSalsa20 and XSalsa20-Poly1305 from @noble/ciphers. The only module that
// imports them (loaded on first use through keys.ts); nothing here implements a primitive.
// X25519 goes through @noble/curves' WebCrypto wrapper when the runtime supports it (Bun's BoringSSL:
// ~0.1 ms against ~0.5 ms in pure JS, eight per handshake, and ~10 MB less RSS), else pure noble.

import { poly1305 } from "@noble/ciphers/_poly1305.js";
import { hsalsa, salsa20, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { x25519 as webX25519 } from "@noble/curves/webcrypto.js";
import type { CurveKeyPair } from "./keys.ts";

/** A fresh key pair from the system's CSPRNG (crypto_box_keypair). */
export function generateKeyPair(): CurveKeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { publicKey, secretKey };
}

/** The public key belonging to `secretKey`. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

// HSalsa20 works on little-endian 32-bit words; Linux on x86-64 and arm64 is little-endian, so a
// Uint32Array view of the bytes is the word form noble's own XSalsa20 passes it.
const SIGMA = new Uint32Array(new TextEncoder().encode("expand 32-byte k").buffer);
const ZERO_NONCE = new Uint32Array(4);

/** crypto_box_beforenm's second half: HSalsa20 of the X25519 point under a zero nonce. */
function beforenm(point: Uint8Array): Uint8Array {
  const words = new Uint32Array(point.buffer, point.byteOffset, 8);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words, ZERO_NONCE, out);
  point.fill(0);
  return new Uint8Array(out.buffer);
}

/**
 * crypto_box_beforenm in pure JS: the symmetric key shared by `mySecret` and `theirPublic`. null for a
 * public key of low order, which would make the result predictable.
 */
export function sharedKey(theirPublic: Uint8Array, mySecret: Uint8Array): Uint8Array | null {
  let point: Uint8Array;
  try {
    point = x25519.getSharedSecret(mySecret, theirPublic);
  } catch {
    return null; // noble refuses an all-zero result (low-order point); CurveZMQ treats it as a bad key
  }
  return beforenm(point);
}

let webCrypto: Promise<boolean> | undefined;

/** Whether the runtime's WebCrypto derives X25519 (checked once; some runtimes generate but cannot derive). */
export function nativeX25519(): Promise<boolean> {
  webCrypto ??= webX25519.isSupported();
  return webCrypto;
}

const RAW = { formatSec: "raw", formatPub: "raw" } as const;

/** The wrapper types keys as bytes or JWK; in "raw" format they are bytes. */
function rawKey(key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError("WebCrypto X25519 returned a non-raw key");
  return key;
}

/** `sharedKey` through the runtime's WebCrypto when it has X25519; same result, same null. */
export async function sharedKeyAsync(theirPublic: Uint8Array, mySecret: Uint8Array): Promise<Uint8Array | null> {
  if (!(await nativeX25519())) return sharedKey(theirPublic, mySecret);
  let point: Uint8Array;
  try {
    point = await webX25519.getSharedSecret(mySecret, theirPublic, RAW);
  } catch {
    return null; // WebCrypto refuses an all-zero result too (RFC 7748 §6.1)
  }
  return beforenm(point);
}

/** `publicKeyOf` through the runtime's WebCrypto when it has X25519 (pure-JS X25519 also costs ~15 MB RSS). */
export async function publicKeyOfAsync(secretKey: Uint8Array): Promise<Uint8Array> {
  if (!(await nativeX25519())) return publicKeyOf(secretKey);
  return rawKey(await webX25519.getPublicKey(secretKey, RAW));
}

/** `generateKeyPair` through the runtime's WebCrypto when it has X25519. */
export async function generateKeyPairAsync(): Promise<CurveKeyPair> {
  if (!(await nativeX25519())) return generateKeyPair();
  const secretKey = rawKey(await webX25519.utils.randomSecretKey("raw"));
  return { publicKey: await publicKeyOfAsync(secretKey), secretKey };
}

/** crypto_box_afternm / crypto_secretbox in libsodium's "easy" layout: 16-byte MAC, then ciphertext. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, nonce).encrypt(plaintext);
}

/** Open what `seal` made; null when the MAC does not verify (wrong key, nonce or tampered bytes). */
export function open(key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array): Uint8Array | null {
  if (boxed.length < 16) return null;
  try {
    return xsalsa20poly1305(key, nonce).decrypt(boxed);
  } catch {
    return null; // "invalid tag": the box was not made with this key and nonce
  }
}

/**
 * crypto_secretbox (XSalsa20-Poly1305) under one key for every 24-byte nonce that starts with the same
 * 16 bytes: CurveZMQ's MESSAGE nonces are a fixed prefix and an 8-byte counter. XSalsa20 is defined as
 * Salsa20 keyed with HSalsa20(key, nonce[0..16]) over nonce[16..24], so that subkey is derived once per
 * connection and direction instead of once per box; the box itself is the same as `seal`'s, byte for
 * byte (test/zmtp/nacl.test.ts compares them), built from noble's salsa20 and poly1305 the way its own
 * xsalsa20poly1305 is.
 */
export class PrefixedBox {
  private readonly subkey: Uint8Array;
  private scratch = new Uint8Array(256);

  constructor(key: Uint8Array, prefix: Uint8Array) {
    if (key.length !== 32 || prefix.length !== 16)
      throw new RangeError("PrefixedBox needs a 32-byte key and a 16-byte prefix");
    const out = new Uint32Array(8);
    const words = (b: Uint8Array) => new Uint32Array(b.slice().buffer);
    hsalsa(SIGMA, words(key), words(prefix), out);
    this.subkey = new Uint8Array(out.buffer);
  }

  /** Room for 32 bytes of Poly1305 key and `size` bytes of text. */
  private room(size: number): Uint8Array {
    if (this.scratch.length < 32 + size) this.scratch = new Uint8Array(Math.max(32 + size, this.scratch.length * 2));
    const s = this.scratch.subarray(0, 32 + size);
    s.fill(0, 0, 32);
    return s;
  }

  /** The box of `plain` under nonce prefix‖`tail` (8 bytes), written to `dst` at `at`: 16-byte MAC, then ciphertext. */
  sealInto(tail: Uint8Array, plain: Uint8Array, dst: Uint8Array, at: number): void {
    const s = this.room(plain.length);
    s.set(plain, 32);
    salsa20(this.subkey, tail, s, s); // keystream block 0 begins with the Poly1305 key, as in NaCl
    const text = s.subarray(32);
    dst.set(poly1305(text, s.subarray(0, 32)), at);
    dst.set(text, at + 16);
    s.fill(0);
  }

  /** Open a box made under nonce prefix‖`tail`; null when its MAC does not verify. */
  open(tail: Uint8Array, boxed: Uint8Array): Uint8Array | null {
    if (boxed.length < 16) return null;
    const cipherText = boxed.subarray(16);
    const s = this.room(cipherText.length);
    s.set(cipherText, 32);
    salsa20(this.subkey, tail, s, s);
    const tag = poly1305(cipherText, s.subarray(0, 32));
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= tag[i]! ^ boxed[i]!;
    const plain = diff === 0 ? s.slice(32) : null;
    s.fill(0);
    return plain;
  }
}
