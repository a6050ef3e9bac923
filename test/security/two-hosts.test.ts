// README's two-host CURVE example, run for real: two network namespaces joined by a veth pair stand
// for two hosts; the daemon serves CURVE on its LAN address in one, `circus ctl` and `circus keygen`
// run in the other. The namespaces are the test's own (ports there cannot collide) and are deleted
// afterwards with everything in them.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { circusCommand, waitFor } from "../helpers/daemon.ts";
import { removeTempDirs, tempDir } from "../helpers/peers.ts";
import { run } from "../helpers/processes.ts";

const tag = `${process.pid % 10000}`;
const SERVER_NS = `circus-srv-${tag}`;
const CLIENT_NS = `circus-cli-${tag}`;
const SERVER_IP = "10.231.7.1";
const CLIENT_IP = "10.231.7.2";

function sh(cmd: string[]): { code: number; out: string; err: string } {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
  } catch (err) {
    return { code: -1, out: "", err: (err as Error).message }; // no such program
  }
}
function must(cmd: string[]): void {
  const r = sh(cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")}: ${r.err}`);
}

// Namespaces need root. Not root (a developer's machine): the test is skipped, saying so. As root (CI)
// it must run: a missing `ip netns` (iproute2, which scripts/setup.sh installs) fails it.
const isRoot = process.getuid?.() === 0;
const netnsProblem = (() => {
  if (!isRoot) return null;
  const r = sh(["ip", "netns", "list"]);
  return r.code === 0
    ? null
    : `\`ip netns list\` failed (${r.err.trim() || `exit ${r.code}`}): install iproute2 (scripts/setup.sh does)`;
})();
if (!isRoot) console.warn("two-hosts: skipped: network namespaces need root (CI runs this test as root)");
let daemon: ReturnType<typeof Bun.spawn> | null = null;

beforeAll(() => {
  if (!isRoot || netnsProblem !== null) return;
  must(["ip", "netns", "add", SERVER_NS]);
  must(["ip", "netns", "add", CLIENT_NS]);
  must([
    "ip",
    "link",
    "add",
    `vs${tag}`,
    "netns",
    SERVER_NS,
    "type",
    "veth",
    "peer",
    "name",
    `vc${tag}`,
    "netns",
    CLIENT_NS,
  ]);
  for (const [ns, dev, ip] of [
    [SERVER_NS, `vs${tag}`, SERVER_IP],
    [CLIENT_NS, `vc${tag}`, CLIENT_IP],
  ] as const) {
    must(["ip", "-n", ns, "addr", "add", `${ip}/24`, "dev", dev]);
    must(["ip", "-n", ns, "link", "set", dev, "up"]);
    must(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill("SIGTERM");
    await daemon.exited;
  }
  // Deleting a namespace also deletes the veth end inside it (and so the pair).
  sh(["ip", "netns", "del", SERVER_NS]);
  sh(["ip", "netns", "del", CLIENT_NS]);
  removeTempDirs();
});

/** Run a circus tool inside namespace `ns`. */
async function inNs(ns: string, args: string[], cwd: string) {
  const r = await run(["ip", "netns", "exec", ns, ...circusCommand(), ...args], {
    cwd,
    env: { ...process.env, CIRCUS_CURVE_KEY: undefined, CIRCUS_CURVE_SERVER_KEY: undefined },
  });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe.if(isRoot)("CURVE between two hosts (as root; skipped otherwise)", () => {
  test("slow: the README example: keygen on both hosts, the daemon on its LAN address, ctl from the other host", async () => {
    expect(netnsProblem).toBeNull();
    const serverHost = tempDir("circus-host-a-"); // /etc/circus on the daemon's host
    const clientHost = tempDir("circus-host-b-"); // ~/.circus of the operator
    // On the daemon's host: its key pair, and a folder for the clients' public keys.
    expect((await inNs(SERVER_NS, ["keygen", "server", "--dir", serverHost], serverHost)).code).toBe(0);
    mkdirSync(join(serverHost, "clients"));
    // On the operator's host: a key pair; the public half goes to the daemon's host, and the daemon's
    // public key comes back (any channel will do: they are public).
    expect((await inNs(CLIENT_NS, ["keygen", "ops", "--dir", clientHost], clientHost)).code).toBe(0);
    copyFileSync(join(clientHost, "ops.key"), join(serverHost, "clients", "ops.key"));
    copyFileSync(join(serverHost, "server.key"), join(clientHost, "server.key"));
    writeFileSync(
      join(serverHost, "circus.ini"),
      `[circus]
endpoint = tcp://${SERVER_IP}:5555
pubsub_endpoint = tcp://${SERVER_IP}:5556
curve_secret_key = server.key_secret
curve_authorized_keys = clients

[watcher:web]
cmd = sleep 3600
numprocesses = 2
`,
    );
    daemon = Bun.spawn(["ip", "netns", "exec", SERVER_NS, ...circusCommand(), "daemon", "circus.ini"], {
      cwd: serverHost,
      stdout: "pipe",
      stderr: "pipe",
    });
    const ctl = (...args: string[]) =>
      inNs(
        CLIENT_NS,
        [
          "ctl",
          "--endpoint",
          `tcp://${SERVER_IP}:5555`,
          "--curve-server-key",
          "server.key",
          "--curve-key",
          "ops.key_secret",
          ...args,
        ],
        clientHost,
      );
    // The control socket answers from the start; the watcher becomes active a moment later (starting while
    // it spawns its two processes).
    const status = await waitFor(async () => {
      const r = await ctl("--timeout", "1", "status");
      return r.code === 0 && r.out !== "web: stopped\n" && r.out !== "web: starting\n" ? r.out : null;
    }, 15_000);
    expect(status).toBe("web: active\n");
    expect(await ctl("numprocesses", "web")).toMatchObject({ code: 0, out: "2\n" });
    // Without the keys, or with a key the daemon does not hold, the other host gets nothing.
    const plain = await inNs(
      CLIENT_NS,
      ["ctl", "--endpoint", `tcp://${SERVER_IP}:5555`, "--timeout", "1", "status"],
      clientHost,
    );
    expect(plain.code).toBe(1);
    expect((await inNs(CLIENT_NS, ["keygen", "intruder", "--dir", clientHost], clientHost)).code).toBe(0);
    const intruder = await inNs(
      CLIENT_NS,
      [
        "ctl",
        "--endpoint",
        `tcp://${SERVER_IP}:5555`,
        "--curve-server-key",
        "server.key",
        "--curve-key",
        "intruder.key_secret",
        "status",
      ],
      clientHost,
    );
    expect(intruder.code).toBe(1);
    expect(intruder.err).toContain("ZAP status 400");
    expect((await ctl("quit")).code).toBe(0);
    expect(await daemon.exited).toBe(0);
    const log =
      (await new Response(daemon.stderr as ReadableStream).text()) +
      (await new Response(daemon.stdout as ReadableStream).text());
    expect(log).toContain(`from ${CLIENT_IP}:`);
  });
});
