// CURVE keys for daemon tests, written as the certificate files the daemon and clients read, and a
// one-shot pyzmq (libzmq) CURVE request, the way a pyzmq program would talk to a CURVE daemon.

import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type CurveKeyPair, writeCertificatePair, z85Encode } from "../../src/zmtp/index.ts";

export interface KeyFiles {
  keyPair: CurveKeyPair;
  publicFile: string;
  secretFile: string;
  /** Z85 texts of the two keys. */
  publicZ85: string;
  secretZ85: string;
}

/** `dir/NAME.key` and `dir/NAME.key_secret` (mode 0600), as `circus keygen NAME` writes them. */
export async function keyFiles(dir: string, name: string): Promise<KeyFiles> {
  mkdirSync(dir, { recursive: true });
  const { publicFile, secretFile, keyPair } = await writeCertificatePair(dir, name);
  return {
    keyPair,
    publicFile,
    secretFile,
    publicZ85: z85Encode(keyPair.publicKey),
    secretZ85: z85Encode(keyPair.secretKey),
  };
}

/**
 * The usual CURVE setup in a daemon's directory: `server.key_secret`, a `clients/` folder holding
 * alice's public key (mode 0755), and bob's pair, which the daemon does not know.
 */
export async function curveSetup(dir: string): Promise<{ server: KeyFiles; alice: KeyFiles; bob: KeyFiles }> {
  const server = await keyFiles(dir, "server");
  const alice = await keyFiles(join(dir, "alice"), "alice");
  const bob = await keyFiles(join(dir, "bob"), "bob");
  mkdirSync(join(dir, "clients"));
  chmodSync(join(dir, "clients"), 0o755);
  await Bun.write(join(dir, "clients", "alice.key"), Bun.file(alice.publicFile));
  return { server, alice, bob };
}

const PY_CURVE_CALL = `
import sys, json, uuid, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
s.setsockopt(zmq.LINGER, 0)
s.curve_serverkey = sys.argv[4].encode()
s.curve_publickey = sys.argv[5].encode()
s.curve_secretkey = sys.argv[6].encode()
s.connect(sys.argv[1])
s.send(sys.argv[2].encode())
if s.poll(int(sys.argv[3])):
    print(s.recv().decode())
else:
    print(json.dumps({"status": "timeout"}))
`;

/** One request as circusctl sends it, through a pyzmq DEALER speaking CURVE with `client`'s keys. */
export async function pyCurveCall(
  endpoint: string,
  serverKey: string,
  client: KeyFiles,
  command: string,
  properties: Record<string, unknown> = {},
  timeoutMs = 3000,
): Promise<Record<string, unknown>> {
  const request = JSON.stringify({ id: crypto.randomUUID().replaceAll("-", ""), command, properties });
  const proc = Bun.spawn(
    [
      "/usr/bin/python3",
      "-c",
      PY_CURVE_CALL,
      endpoint,
      request,
      String(timeoutMs),
      serverKey,
      client.publicZ85,
      client.secretZ85,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [text, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  if (!text.trim()) throw new Error(`pyzmq CURVE client failed: ${err}`);
  return JSON.parse(text) as Record<string, unknown>;
}
