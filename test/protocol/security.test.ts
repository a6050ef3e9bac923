// src/protocol/security.ts and the reply rules of execution.ts: which endpoints count as reachable from
// other hosts, how the authorized-keys folder is read, the connection cap, and what a client is told
// about a config that does not load.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CIRCUS_DEFAULTS } from "../../src/config/options/circus.ts";
import { ConfigError } from "../../src/config/types.ts";
import { clientMessage } from "../../src/protocol/execution.ts";
import {
  AuthorizedKeys,
  connectionCap,
  MAX_CONNECTIONS_PER_ENDPOINT,
  prepareSecurity,
  reachableFromOtherHosts,
  SecurityError,
} from "../../src/protocol/security.ts";
import { keyFiles } from "../helpers/curve.ts";
import { removeTempDirs, tempDir } from "../helpers/peers.ts";

afterEach(removeTempDirs);

describe("reachableFromOtherHosts", () => {
  test("loopback addresses, localhost and ipc are local; wildcards and other addresses are not", async () => {
    for (const ep of ["tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://[::1]:1", "ipc:///run/c.sock", "ipc://@x"]) {
      expect(await reachableFromOtherHosts(ep)).toBe(false);
    }
    for (const ep of ["tcp://*:5555", "tcp://0.0.0.0:1", "tcp://[::]:1", "tcp://192.0.2.10:1"]) {
      expect(await reachableFromOtherHosts(ep)).toBe(true);
    }
  });
});

describe("prepareSecurity", () => {
  const circus = { ...CIRCUS_DEFAULTS };

  test("the defaults (loopback, no CURVE) need nothing and warn about nothing", async () => {
    expect(await prepareSecurity(circus, "/")).toEqual({ curve: null, warnings: [] });
  });

  test("a reachable pub/sub or stats endpoint without CURVE is refused, naming it, unless insecure", async () => {
    const exposed = { ...circus, pubsub_endpoint: "tcp://0.0.0.0:5556", statsd: true, stats_endpoint: "tcp://*:5557" };
    const err = await prepareSecurity(exposed, "/").catch((e) => e);
    expect(err).toBeInstanceOf(SecurityError);
    expect(err.message).toContain("pubsub_endpoint = tcp://0.0.0.0:5556, stats_endpoint = tcp://*:5557 can be reached");
    const accepted = await prepareSecurity(exposed, "/", { insecure: true });
    expect(accepted.warnings).toHaveLength(2);
  });

  test("authorized keys without the daemon's key, and a key without authorized keys, are refused", async () => {
    const dir = tempDir();
    await keyFiles(dir, "server");
    await expect(prepareSecurity({ ...circus, curve_authorized_keys: "clients" }, dir)).rejects.toThrow(
      "curve_authorized_keys needs the daemon's own CURVE key",
    );
    await expect(prepareSecurity({ ...circus, curve_secret_key: "server.key_secret" }, dir)).rejects.toThrow(
      "would admit any client key",
    );
    const open = await prepareSecurity({ ...circus, curve_secret_key: "server.key_secret", insecure: true }, dir);
    expect(open.warnings).toEqual([
      "insecure: CURVE without curve_authorized_keys encrypts but admits every client key",
    ]);
    expect(await open.curve!.authorize({ publicKey: new Uint8Array(32), z85: "any", endpoint: "", peer: "" })).toBe(
      true,
    );
  });

  test("with CURVE, the internal key and the folder's keys are admitted, nothing else", async () => {
    const dir = tempDir();
    await keyFiles(dir, "server");
    const alice = await keyFiles(join(dir, "a"), "alice");
    mkdirSync(join(dir, "clients"));
    copyFileSync(alice.publicFile, join(dir, "clients", "alice.key"));
    const s = await prepareSecurity(
      { ...circus, curve_secret_key: "server.key_secret", curve_authorized_keys: "clients" },
      dir,
    );
    const peer = (z85: string) => ({ publicKey: new Uint8Array(32), z85, endpoint: "", peer: "" });
    const { z85Encode } = await import("../../src/zmtp/index.ts");
    expect(await s.curve!.authorize(peer(alice.publicZ85))).toBe(true);
    expect(await s.curve!.authorize(peer(z85Encode(s.curve!.internal.publicKey)))).toBe(true);
    expect(await s.curve!.authorize(peer(z85Encode(new Uint8Array(32).fill(7))))).toBe(false);
  });
});

describe("AuthorizedKeys", () => {
  test("reads every .key certificate, skips what is not one, and reports the keys gone on a reload", async () => {
    const dir = tempDir();
    const a = await keyFiles(join(dir, "src"), "a");
    const b = await keyFiles(join(dir, "src"), "b");
    const folder = join(dir, "clients");
    mkdirSync(folder);
    copyFileSync(a.publicFile, join(folder, "a.key"));
    copyFileSync(b.publicFile, join(folder, "b.key"));
    writeFileSync(join(folder, "broken.key"), "not a certificate\n");
    writeFileSync(join(folder, "notes.txt"), "ignored\n");
    const keys = new AuthorizedKeys(folder);
    expect(await keys.load()).toEqual([]);
    expect(keys.size).toBe(2);
    expect(keys.has(a.publicZ85)).toBe(true);
    Bun.spawnSync(["rm", join(folder, "b.key")]);
    expect(await keys.load()).toEqual([b.publicZ85]);
  });

  test("a folder others may write is refused: whoever can add a file there would control the daemon", async () => {
    const folder = join(tempDir(), "clients");
    mkdirSync(folder);
    chmodSync(folder, 0o777);
    await expect(new AuthorizedKeys(folder).load()).rejects.toThrow("is writable by others (mode 777)");
  });
});

describe("connectionCap", () => {
  test("keeps half the fd table for the workers, between 8 and the per-endpoint maximum", () => {
    const cap = connectionCap(2);
    expect(cap).toBeGreaterThanOrEqual(8);
    expect(cap).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_ENDPOINT);
  });
});

describe("clientMessage", () => {
  test("main-file problems are shown cut to size; an included file is named with its count only", () => {
    const err = new ConfigError([
      {
        location: { file: "circus.ini", line: 3 },
        where: "watcher:w.numprocesses",
        message: `"${"x".repeat(500)}" is not an integer`,
      },
      { location: { file: "/etc/shadow", line: 1 }, where: "(no section)", message: '"root:$6$hash" comes first' },
      { location: { file: "/etc/shadow", line: 2 }, where: "(no section)", message: '"daemon:*" comes first' },
    ]);
    const shown = clientMessage(err, join(process.cwd(), "circus.ini"));
    expect(shown).not.toContain("$6$hash");
    expect(shown).toContain("/etc/shadow: 2 problems in this included file (not shown here; see the daemon's log)");
    expect(shown).toMatch(/^circus\.ini:3: watcher:w\.numprocesses: "x+… \(\d+ chars\)$/m);
  });
});
