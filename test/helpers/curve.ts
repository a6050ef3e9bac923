// CURVE keys for daemon tests, written as the certificate files the daemon and clients read, and a
// one-shot pyzmq (libzmq) CURVE request, the way a pyzmq program would talk to a CURVE daemon.

import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type CurveKeyPair, writeCertificatePair, z85Encode } from "../../src/zmtp/index.ts";
import { pyCall } from "./daemon.ts";

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

/** One request as circusctl sends it, through a pyzmq DEALER speaking CURVE with `client`'s keys. */
export function pyCurveCall(
  endpoint: string,
  serverKey: string,
  client: KeyFiles,
  command: string,
  properties: Record<string, unknown> = {},
  timeoutMs = 3000,
): Promise<Record<string, unknown>> {
  return pyCall(endpoint, command, properties, timeoutMs, {
    curve: { serverKey, publicKey: client.publicZ85, secretKey: client.secretZ85 },
  });
}
