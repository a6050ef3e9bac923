// CURVE certificates in the files ZeroMQ tools already use (CZMQ zcert, pyzmq's
// zmq.auth.create_certificates): `NAME.key` holds the public key, `NAME.key_secret` both keys, as
// Z85 in a small ZPL document:
//   metadata
//   curve
//       public-key = "…40 Z85 characters…"
//       secret-key = "…"            (secret file only)

import { nodeFs } from "../util/node.ts";
import { join } from "../util/path.ts";
import { CurveKeyError } from "./errors.ts";
import { type CurveKeyPair, generateKeyPair, KEY_SIZE, publicKeyOf } from "./keys.ts";
import { z85Decode, z85Encode } from "./z85.ts";

export interface Certificate {
  publicKey: Uint8Array;
  /** Present in a `.key_secret` file only. */
  secretKey?: Uint8Array;
  /** The `metadata` section's entries (zcert lets users add e.g. `name`). */
  metadata: Map<string, string>;
}

/** Z85 text of a 32-byte key: 40 characters. */
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** A key from its 40-character Z85 text; null if the text is not one. */
export function keyFromZ85(text: string): Uint8Array | null {
  if (!Z85_KEY.test(text)) return null;
  const key = z85Decode(text);
  return key && key.length === KEY_SIZE ? key : null;
}

/** Read a ZPL `name = value` line's value: quoted with " or ', or bare. */
function zplValue(raw: string): string {
  const v = raw.trim();
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) return v.slice(1, -1);
  return v;
}

/**
 * Parse a certificate file's text; `source` names it in errors. Checks the form only: whether a
 * secret key belongs to the public key is `readCertificate`'s (it needs the crypto code).
 */
export function parseCertificate(text: string, source: string): Certificate {
  let section = "";
  const curve = new Map<string, string>();
  const metadata = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      section = trimmed;
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (eq < 0) continue;
    const name = trimmed.slice(0, eq).trim();
    const value = zplValue(trimmed.slice(eq + 1));
    if (section === "curve") curve.set(name, value);
    else if (section === "metadata") metadata.set(name, value);
  }
  const decode = (name: string): Uint8Array | undefined => {
    const value = curve.get(name);
    if (value === undefined) return undefined;
    const key = keyFromZ85(value);
    if (!key) throw new CurveKeyError(`${source}: ${name} is not a 40-character Z85 key`);
    return key;
  };
  const publicKey = decode("public-key");
  if (!publicKey) {
    throw new CurveKeyError(`${source}: no curve public-key; is this a ZeroMQ certificate (.key / .key_secret)?`);
  }
  const secretKey = decode("secret-key");
  return secretKey ? { publicKey, secretKey, metadata } : { publicKey, metadata };
}

function equalKeys(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const PUBLIC_BANNER = [
  "ZeroMQ CURVE Public Certificate",
  "Exchange securely, or use a secure mechanism to verify the contents",
  "of this file after exchange. Store public certificates in your home",
  "directory, in the .curve subdirectory.",
];
const SECRET_BANNER = [
  "ZeroMQ CURVE **Secret** Certificate",
  "DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
];

/** The text of `NAME.key` (kind "public") or `NAME.key_secret` (kind "secret"), as zcert writes it. */
export function formatCertificate(
  keys: { publicKey: Uint8Array; secretKey?: Uint8Array },
  kind: "public" | "secret",
  generated = new Date(),
): string {
  const banner = kind === "public" ? PUBLIC_BANNER : SECRET_BANNER;
  const lines = [`#   ****  Generated on ${generated.toISOString()} by circus  ****`, ...banner.map((l) => `#   ${l}`)];
  lines.push("", "metadata", "curve", `    public-key = "${z85Encode(keys.publicKey)}"`);
  if (kind === "secret") {
    if (!keys.secretKey) throw new CurveKeyError("a secret certificate needs the secret key");
    lines.push(`    secret-key = "${z85Encode(keys.secretKey)}"`);
  }
  return lines.join("\n") + "\n";
}

/** Read and parse a certificate file; a secret key must belong to its public key. */
export async function readCertificate(path: string): Promise<Certificate> {
  let text: string;
  try {
    text = await Bun.file(path).text();
  } catch (e) {
    throw new CurveKeyError(`cannot read CURVE key file ${path}: ${(e as Error).message}`, { cause: e });
  }
  const cert = parseCertificate(text, path);
  if (cert.secretKey && !equalKeys(await publicKeyOf(cert.secretKey), cert.publicKey)) {
    throw new CurveKeyError(`${path}: the public-key does not belong to the secret-key`);
  }
  return cert;
}

/**
 * Write a fresh key pair as `dir/NAME.key` and `dir/NAME.key_secret` (mode 0600). Refuses to overwrite
 * either file, so an existing identity is never replaced by accident. Returns the two paths.
 */
export async function writeCertificatePair(
  dir: string,
  name: string,
  given?: CurveKeyPair,
): Promise<{ publicFile: string; secretFile: string; keyPair: CurveKeyPair }> {
  if (name === "" || name.includes("/")) throw new CurveKeyError(`key name "${name}" must be a file name without "/"`);
  const publicFile = join(dir, `${name}.key`);
  const secretFile = join(dir, `${name}.key_secret`);
  const fs = nodeFs();
  for (const f of [publicFile, secretFile]) {
    if (fs.existsSync(f)) throw new CurveKeyError(`${f} already exists; remove it or choose another name`);
  }
  const keyPair = given ?? (await generateKeyPair());
  const now = new Date();
  // "wx": fail rather than follow or truncate a file that appeared meanwhile; the secret is 0600 from birth.
  const create = (path: string, text: string, mode: number) => {
    try {
      fs.writeFileSync(path, text, { flag: "wx", mode });
    } catch (e) {
      throw new CurveKeyError(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
  };
  create(secretFile, formatCertificate(keyPair, "secret", now), 0o600);
  try {
    create(publicFile, formatCertificate(keyPair, "public", now), 0o644);
  } catch (e) {
    fs.rmSync(secretFile, { force: true }); // no half-written identity
    throw e;
  }
  return { publicFile, secretFile, keyPair };
}

/** Whether `spec` names a file; false when nothing is there (it may be Z85 text, which can hold "/"). */
async function isFile(spec: string): Promise<boolean> {
  try {
    return (await Bun.file(spec).stat()).isFile();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG") return false;
    throw new CurveKeyError(`cannot read CURVE key file ${spec}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A public key from what a user typed: a `.key` or `.key_secret` file path, or the key's 40-character
 * Z85 text. Rejects with CurveKeyError saying which it tried.
 */
export async function readCurvePublicKey(spec: string): Promise<Uint8Array> {
  if (await isFile(spec)) return (await readCertificate(spec)).publicKey;
  const key = keyFromZ85(spec);
  if (key) return key;
  throw new CurveKeyError(`"${spec}" is neither a CURVE key file nor a 40-character Z85 public key`);
}

/**
 * A key pair from what a user typed: a `.key_secret` file path, or a 40-character Z85 secret key (its
 * public key is derived). Rejects with CurveKeyError, e.g. for a `.key` file, which has no secret.
 */
export async function readCurveKeyPair(spec: string): Promise<CurveKeyPair> {
  if (await isFile(spec)) {
    const cert = await readCertificate(spec);
    if (!cert.secretKey) {
      throw new CurveKeyError(`${spec} holds only a public key; give the .key_secret file of the pair`);
    }
    return { publicKey: cert.publicKey, secretKey: cert.secretKey };
  }
  const secretKey = keyFromZ85(spec);
  if (secretKey) return { publicKey: await publicKeyOf(secretKey), secretKey };
  throw new CurveKeyError(`"${spec}" is neither a CURVE .key_secret file nor a 40-character Z85 secret key`);
}
