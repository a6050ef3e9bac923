// The NaCl operations CurveZMQ is built from (crypto_box_keypair, crypto_box_beforenm,
// crypto_box_afternm / crypto_secretbox and their opening), on the audited @noble primitives: X25519
// from @noble/curves, HSalsa20 and XSalsa20-Poly1305 from @noble/ciphers. The only module that
// imports them; nothing here implements a primitive.

import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { x25519 } from "@noble/curves/ed25519.js";

/** Bytes in a CURVE public or secret key. */
export const KEY_SIZE = 32;

/** A long-term (or short-term) CURVE key pair, raw 32-byte keys. */
export interface CurveKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

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

/**
 * crypto_box_beforenm: the symmetric key shared by `mySecret` and `theirPublic` (HSalsa20 of the
 * X25519 result). null for a public key of low order, which would make the result predictable.
 */
export function sharedKey(theirPublic: Uint8Array, mySecret: Uint8Array): Uint8Array | null {
  let point: Uint8Array;
  try {
    point = x25519.getSharedSecret(mySecret, theirPublic);
  } catch {
    return null; // noble refuses an all-zero result (low-order point); CurveZMQ treats it as a bad key
  }
  const words = new Uint32Array(point.buffer, point.byteOffset, 8);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words, ZERO_NONCE, out);
  point.fill(0);
  return new Uint8Array(out.buffer);
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
