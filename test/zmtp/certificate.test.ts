// Key files in the ZeroMQ certificate format, checked against pyzmq's own writer and reader.

import { afterEach, describe, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  parseCertificate,
  readCertificate,
  readCurveKeyPair,
  readCurvePublicKey,
  writeCertificatePair,
} from "../../src/zmtp/certificate.ts";
import { CurveKeyError } from "../../src/zmtp/errors.ts";
import { generateKeyPair } from "../../src/zmtp/nacl.ts";
import { z85Encode } from "../../src/zmtp/z85.ts";
import { killAllPeers, removeTempDirs, spawnPython, tempDir } from "../helpers/peers.ts";

afterEach(async () => {
  await killAllPeers();
  removeTempDirs();
});

/** Run pyzmq's zmq.auth on `args`; returns its stdout lines. */
async function pyAuth(script: string, args: string[]): Promise<string[]> {
  const py = spawnPython(`import sys, zmq.auth\n${script}`, args);
  const out: string[] = [];
  for (;;) {
    const line = await py.line().catch(() => null);
    if (line === null) return out;
    out.push(line);
  }
}

const PY_CREATE = `pub, sec = zmq.auth.create_certificates(sys.argv[1], sys.argv[2])
p, s = zmq.auth.load_certificate(sec)
print(p.decode()); print(s.decode())`;
const PY_LOAD = `for f in sys.argv[1:]:
    p, s = zmq.auth.load_certificate(f)
    print(p.decode(), s.decode() if s else "-")`;

describe("certificates", () => {
  test("reads the .key and .key_secret files pyzmq's create_certificates writes", async () => {
    const dir = tempDir();
    const [pub, sec] = await pyAuth(PY_CREATE, [dir, "server"]);
    const secret = await readCertificate(join(dir, "server.key_secret"));
    expect(z85Encode(secret.publicKey)).toBe(pub!);
    expect(z85Encode(secret.secretKey!)).toBe(sec!);
    const pubOnly = await readCertificate(join(dir, "server.key"));
    expect(z85Encode(pubOnly.publicKey)).toBe(pub!);
    expect(pubOnly.secretKey).toBeUndefined();
  });

  test("writes a pair pyzmq reads back, the secret file 0600, and refuses to overwrite either", async () => {
    const dir = tempDir();
    const { publicFile, secretFile, keyPair } = await writeCertificatePair(dir, "client");
    expect(publicFile).toBe(join(dir, "client.key"));
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const [fromPublic, fromSecret] = await pyAuth(PY_LOAD, [publicFile, secretFile]);
    expect(fromPublic).toBe(`${z85Encode(keyPair.publicKey)} -`);
    expect(fromSecret).toBe(`${z85Encode(keyPair.publicKey)} ${z85Encode(keyPair.secretKey)}`);
    const before = await Bun.file(secretFile).text();
    await expect(writeCertificatePair(dir, "client")).rejects.toThrow("already exists");
    expect(await Bun.file(secretFile).text()).toBe(before);
    await expect(writeCertificatePair(dir, "../x")).rejects.toBeInstanceOf(CurveKeyError);
  });

  test("parses a CZMQ zcert with metadata, quotes of either kind and CRLF line ends", () => {
    const k = generateKeyPair();
    const text = [
      "#   ****  Generated on 2015-03-02 17:34:01 by CZMQ  ****",
      "#   ZeroMQ CURVE **Secret** Certificate",
      "",
      "metadata",
      '    name = "backup host"',
      "curve",
      `    public-key = '${z85Encode(k.publicKey)}'`,
      `    secret-key = "${z85Encode(k.secretKey)}"`,
      "",
    ].join("\r\n");
    const cert = parseCertificate(text, "backup.key_secret");
    expect(cert.publicKey).toEqual(k.publicKey);
    expect(cert.secretKey).toEqual(k.secretKey);
    expect(cert.metadata.get("name")).toBe("backup host");
  });

  test("refuses a file without a public key, a key that is not Z85, and keys that do not belong together", async () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(() => parseCertificate("metadata\ncurve\n", "empty.key")).toThrow("empty.key: no curve public-key");
    expect(() => parseCertificate('curve\n    public-key = "short"\n', "bad.key")).toThrow(
      "bad.key: public-key is not a 40-character Z85 key",
    );
    const mixed = join(tempDir(), "mixed.key_secret");
    writeFileSync(
      mixed,
      `curve\n    public-key = "${z85Encode(a.publicKey)}"\n    secret-key = "${z85Encode(b.secretKey)}"\n`,
    );
    await expect(readCertificate(mixed)).rejects.toThrow(
      "mixed.key_secret: the public-key does not belong to the secret-key",
    );
  });

  test("a public key comes from a .key file, a .key_secret file or Z85 text", async () => {
    const dir = tempDir();
    const { publicFile, secretFile, keyPair } = await writeCertificatePair(dir, "s");
    expect(await readCurvePublicKey(publicFile)).toEqual(keyPair.publicKey);
    expect(await readCurvePublicKey(secretFile)).toEqual(keyPair.publicKey);
    expect(await readCurvePublicKey(z85Encode(keyPair.publicKey))).toEqual(keyPair.publicKey);
    await expect(readCurvePublicKey(join(dir, "missing.key"))).rejects.toThrow(
      "is neither a CURVE key file nor a 40-character Z85 public key",
    );
    writeFileSync(join(dir, "junk.key"), "hello\n");
    await expect(readCurvePublicKey(join(dir, "junk.key"))).rejects.toThrow("no curve public-key");
  });

  test("a key pair comes from a .key_secret file or a Z85 secret key, never from a public-only .key", async () => {
    const dir = tempDir();
    const { publicFile, secretFile, keyPair } = await writeCertificatePair(dir, "c");
    expect(await readCurveKeyPair(secretFile)).toEqual(keyPair);
    expect(await readCurveKeyPair(z85Encode(keyPair.secretKey))).toEqual(keyPair);
    await expect(readCurveKeyPair(publicFile)).rejects.toThrow("holds only a public key; give the .key_secret file");
  });
});
