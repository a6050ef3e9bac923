// `circus keygen NAME [--dir D]`, run through the binary's subcommand table from the sources.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/daemon.ts";
import { killAllPeers, removeTempDirs, spawnPython, tempDir } from "../helpers/peers.ts";

afterEach(async () => {
  await killAllPeers();
  removeTempDirs();
});

function keygen(...args: string[]) {
  const r = Bun.spawnSync([process.execPath, join(ROOT, "src/main.ts"), "keygen", ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("circus keygen", () => {
  test("writes NAME.key and NAME.key_secret (0600) that pyzmq loads as one key pair", async () => {
    const dir = tempDir();
    const r = keygen("server", "--dir", dir);
    expect(r.code).toBe(0);
    const pub = r.stdout.match(/^public key: (.{40})$/m)?.[1];
    expect(pub).toBeDefined();
    expect(r.stdout).toContain(`wrote ${join(dir, "server.key")}`);
    expect(statSync(join(dir, "server.key_secret")).mode & 0o777).toBe(0o600);
    const py = spawnPython(
      `import sys, zmq, zmq.auth
p, s = zmq.auth.load_certificate(sys.argv[1]); q, _ = zmq.auth.load_certificate(sys.argv[2])
print(p.decode(), q.decode(), zmq.curve_public(s).decode())`,
      [join(dir, "server.key_secret"), join(dir, "server.key")],
    );
    expect(await py.line()).toBe(`${pub} ${pub} ${pub}`);
  });

  test("refuses to overwrite an existing pair and leaves it untouched", () => {
    const dir = tempDir();
    expect(keygen("me", "--dir", dir).code).toBe(0);
    const before = readFileSync(join(dir, "me.key_secret"), "utf8");
    const r = keygen("me", "--dir", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`circus keygen: ${join(dir, "me.key")} already exists; remove it or choose another name\n`);
    expect(readFileSync(join(dir, "me.key_secret"), "utf8")).toBe(before);
  });

  test("a missing NAME or directory is a one-line error", () => {
    const noName = keygen();
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain("give one NAME");
    const noDir = keygen("x", "--dir", "/nonexistent/keys");
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toBe("circus keygen: --dir /nonexistent/keys is not a directory; create it first\n");
  });
});
