// The NaCl operations CurveZMQ is built from (crypto_box_keypair, crypto_box_beforenm,
// crypto_box_afternm / crypto_secretbox and their opening), on the audited @noble primitives: X25519
// from @noble/curves, HSalsa20 and XSalsa20-Poly1305 from @noble/ciphers. The only module that
// imports them (loaded on first use through keys.ts); nothing here implements a primitive.
// X25519 goes through @noble/curves' WebCrypto wrapper when the runtime supports it (Bun's BoringSSL:
// ~0.1 ms against ~0.5 ms in pure JS, eight per handshake, and ~10 MB less RSS), else pure noble.

import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
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
