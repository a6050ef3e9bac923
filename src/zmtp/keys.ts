// CURVE keys without the crypto code: the types, and the NaCl module loaded on first use. Its @noble
// code costs ~3 MB RSS in the compiled daemon, which a daemon without CURVE should not pay.

/** Bytes in a CURVE public or secret key. */
export const KEY_SIZE = 32;

/** A long-term (or short-term) CURVE key pair, raw 32-byte keys. */
export interface CurveKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export type Nacl = typeof import("./nacl.ts");

let nacl: Promise<Nacl> | undefined;

/** The NaCl operations (nacl.ts), imported the first time CURVE is used. */
export function loadNacl(): Promise<Nacl> {
  nacl ??= import("./nacl.ts");
  return nacl;
}

/** A fresh key pair from the system's CSPRNG. */
export async function generateKeyPair(): Promise<CurveKeyPair> {
  return (await loadNacl()).generateKeyPairAsync();
}

/** The public key belonging to `secretKey`. */
export async function publicKeyOf(secretKey: Uint8Array): Promise<Uint8Array> {
  return (await loadNacl()).publicKeyOfAsync(secretKey);
}
