// A daemon serving CURVE (`curve_secret_key`, `curve_authorized_keys`) against libzmq peers (pyzmq)
// and our own clients: authorized keys control it and get its events, any other key, a wrong server
// key or a plain client get nothing, refused keys are logged with the peer's address, the folder is
// re-read by reloadconfig, and the daemon's own watchers (circusd-stats, plugins) use the internal key;
// ctl, top, a plugin run by hand and the web console reach it with --curve-server-key and --curve-key.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { circusCommand, freePort, pyCall, type RunningDaemon, startDaemon, waitFor } from "../helpers/daemon.ts";
import { curveSetup, type KeyFiles, keyFiles, pyCurveCall } from "../helpers/curve.ts";
import { killAllPeers, spawnPeer, spawnPython, tempDir, removeTempDirs } from "../helpers/peers.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";
import { run } from "../helpers/processes.ts";
import { statsdListener } from "../plugins/helpers.ts";
import { startWeb, stopAllWebs } from "../web/helpers.ts";

const running: RunningDaemon[] = [];
afterEach(async () => {
  await stopAllWebs();
  await killAllPeers();
  for (const d of running.splice(0)) await d.stop();
  removeTempDirs();
});

interface CurveDaemon {
  d: RunningDaemon;
  server: KeyFiles;
  alice: KeyFiles;
  bob: KeyFiles;
  call(
    command: string,
    properties?: Record<string, unknown>,
    as?: KeyFiles,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

const CURVE_INI = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
curve_secret_key = server.key_secret
curve_authorized_keys = clients
`;

async function curveDaemon(extra = "[watcher:sleeper]\ncmd = sleep 60\n", args: string[] = []): Promise<CurveDaemon> {
  let keys!: Awaited<ReturnType<typeof curveSetup>>;
  const d = await startDaemon(CURVE_INI + extra, args, {
    prepare: async (dir) => {
      keys = await curveSetup(dir);
    },
    // Each try is a pyzmq process whose request waits in libzmq's queue until the daemon listens and ends
    // at its reply: a try of 300 ms (a process start and a CURVE handshake on both sides in it) could
    // time out every time on a loaded machine, however soon the daemon was up.
    call: (ep, command, props) => pyCurveCall(ep, keys.server.publicZ85, keys.alice, command, props, 5000),
  });
  running.push(d);
  return {
    d,
    ...keys,
    // Tests that expect no answer pass their own short deadline; the others end at the reply.
    call: (command, properties = {}, as = keys.alice, timeoutMs = 10_000) =>
      pyCurveCall(d.endpoint, keys.server.publicZ85, as, command, properties, timeoutMs),
  };
}

/** Run a circus tool (e.g. `ctl`) to its end. */
async function tool(args: string[], env: Record<string, string | undefined> = {}) {
  const r = await run([...circusCommand(), ...args], {
    env: { ...process.env, CIRCUS_CURVE_KEY: undefined, CIRCUS_CURVE_SERVER_KEY: undefined, ...env },
  });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("a CURVE daemon and libzmq clients", () => {
  test("a pyzmq client with an authorized key controls it; a pyzmq SUB with that key gets its events", async () => {
    const c = await curveDaemon();
    expect(await c.call("list")).toMatchObject({ status: "ok", watchers: ["sleeper"] });
    const sub = await pyZmq({
      type: "SUB",
      connect: [c.d.pubsub],
      subscribe: ["watcher."],
      curve: { serverKey: c.server.publicZ85, publicKey: c.alice.publicZ85, secretKey: c.alice.secretZ85 },
    });
    // Events flow once the subscription is in: incr until one arrives.
    const topic = await waitFor(async () => {
      await c.call("incr", { name: "sleeper" });
      const got = await sub.recvText(300).catch(() => null);
      return got?.[0];
    }, 10_000);
    expect(topic).toStartWith("watcher.sleeper.");
  });

  test("a key not in the folder is refused with ZAP 400, and the daemon logs the key and the peer's address", async () => {
    const c = await curveDaemon();
    const dealer = await pyZmq({
      type: "DEALER",
      connect: [c.d.endpoint],
      monitor: true,
      curve: { serverKey: c.server.publicZ85, publicKey: c.bob.publicZ85, secretKey: c.bob.secretZ85 },
    });
    const failed = await dealer.event("HANDSHAKE_FAILED_AUTH");
    expect(failed.value).toBe(400);
    const line = await waitFor(() =>
      c.d
        .output()
        .split("\n")
        .find((l) => l.includes(c.bob.publicZ85)),
    );
    expect(line).toMatch(/\[WARNING\].*CURVE client key \S+ from 127\.0\.0\.1:\d+ is not authorized/);
  });

  test("a client holding another server key, or speaking plain ZMTP, gets no answer", async () => {
    const c = await curveDaemon();
    const stranger = await keyFiles(tempDir(), "stranger");
    expect(await pyCurveCall(c.d.endpoint, stranger.publicZ85, c.alice, "list", {}, 500)).toEqual({
      status: "timeout",
    });
    expect(await pyCall(c.d.endpoint, "list", {}, 500)).toEqual({ status: "timeout" });
    expect((await c.call("list")).status).toBe("ok");
  });

  test("reloadconfig re-reads the folder: a key added gets in, a key removed loses its connection", async () => {
    const c = await curveDaemon();
    expect(await c.call("list", {}, c.bob, 500)).toEqual({ status: "timeout" });
    copyFileSync(c.bob.publicFile, join(c.d.dir, "clients", "bob.key"));
    expect((await c.call("reloadconfig", { waiting: true })).status).toBe("ok");
    expect((await c.call("list", {}, c.bob)).status).toBe("ok");
    // Alice stays connected through a SUB; her key leaves the folder.
    const sub = await pyZmq({
      type: "SUB",
      connect: [c.d.pubsub],
      subscribe: [""],
      monitor: true,
      curve: { serverKey: c.server.publicZ85, publicKey: c.alice.publicZ85, secretKey: c.alice.secretZ85 },
    });
    await sub.event("HANDSHAKE_SUCCEEDED");
    rmSync(join(c.d.dir, "clients", "alice.key"));
    expect((await c.call("reloadconfig", { waiting: true }, c.bob)).status).toBe("ok");
    await sub.event("DISCONNECTED");
    expect(await c.call("list", {}, c.alice, 500)).toEqual({ status: "timeout" });
  });
});

describe("our clients against CURVE", () => {
  test("circus ctl takes --curve-server-key and --curve-key, or the same from the environment", async () => {
    const c = await curveDaemon();
    const byFlags = await tool([
      "ctl",
      "--endpoint",
      c.d.endpoint,
      "--curve-server-key",
      c.server.publicFile,
      "--curve-key",
      c.alice.secretFile,
      "list",
    ]);
    expect(byFlags).toMatchObject({ code: 0, out: "sleeper\n" });
    const byEnv = await tool(["ctl", "--endpoint", c.d.endpoint, "list"], {
      CIRCUS_CURVE_SERVER_KEY: c.server.publicZ85,
      CIRCUS_CURVE_KEY: c.alice.secretFile,
    });
    expect(byEnv).toMatchObject({ code: 0, out: "sleeper\n" });
  });

  test("circus ctl with a key the daemon does not know fails at once, saying why", async () => {
    const c = await curveDaemon();
    const started = Date.now();
    const r = await tool([
      "ctl",
      "--endpoint",
      c.d.endpoint,
      "--timeout",
      "10",
      "--curve-server-key",
      c.server.publicZ85,
      "--curve-key",
      c.bob.secretFile,
      "list",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("refused our CURVE key (ZAP status 400)");
    expect(r.err.trimEnd().split("\n"), r.err).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(8000);
    const unreadable = await tool(["ctl", "--endpoint", c.d.endpoint, "--curve-server-key", "nope", "list"]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toContain('"nope" is neither a CURVE key file nor a 40-character Z85 public key');
  });

  test("circus ctl talks to a pyzmq CURVE ROUTER that authorizes its key, and is refused by one that does not", async () => {
    const dir = tempDir();
    const server = await keyFiles(dir, "server");
    const alice = await keyFiles(join(dir, "a"), "alice");
    const bob = await keyFiles(join(dir, "b"), "bob");
    const port = freePort();
    // A stand-in daemon in pyzmq: libzmq's CURVE server with ZAP over a folder holding alice's key.
    const router = spawnPython(PY_CURVE_ROUTER, [`tcp://127.0.0.1:${port}`, server.secretFile, join(dir, "a")]);
    await router.waitFor("READY");
    const ask = (key: KeyFiles) =>
      tool([
        "ctl",
        "--endpoint",
        `tcp://127.0.0.1:${port}`,
        "--curve-server-key",
        server.publicFile,
        "--curve-key",
        key.secretFile,
        "--json",
        "list",
      ]);
    const ok = await ask(alice);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ status: "ok", watchers: ["from-pyzmq"] });
    const refused = await ask(bob);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("ZAP status 400");
  });
});

describe("top, a plugin by hand and the web console against CURVE", () => {
  test("circus top --once with --curve-server-key and --curve-key prints the row; a key the daemon does not know fails in one line", async () => {
    const c = await curveDaemon();
    const [pid] = (await c.call("list", { name: "sleeper" })).pids as number[];
    const top = (key: KeyFiles) =>
      tool([
        "top",
        "--once",
        "--control-endpoint",
        c.d.endpoint,
        "--curve-server-key",
        c.server.publicFile,
        "--curve-key",
        key.secretFile,
      ]);
    const ok = await top(c.alice);
    expect({ code: ok.code, err: ok.err }).toEqual({ code: 0, err: "" });
    const lines = ok.out.split("\n");
    expect(lines).toContain("sleeper  active · 1 process · ↺ 0");
    expect(lines.some((l) => l.trim().split(/\s+/)[0] === String(pid))).toBe(true);
    const refused = await top(c.bob);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe("");
    expect(refused.err.trimEnd().split("\n"), refused.err).toHaveLength(1);
    expect(refused.err).toStartWith("circus-top: ");
    expect(refused.err).toContain("refused our CURVE key (ZAP status 400)");
  });

  test("circus plugin statsd run by hand with the CURVE flags gets the daemon's events", async () => {
    const c = await curveDaemon();
    const statsd = await statsdListener();
    const plugin = spawnPeer(
      [
        ...circusCommand(),
        "plugin",
        "--endpoint",
        c.d.endpoint,
        "--pubsub",
        c.d.pubsub,
        "--curve-server-key",
        c.server.publicFile,
        "--curve-key",
        c.alice.secretFile,
        "--config",
        `host:127.0.0.1:::port:${statsd.port}:::application_name:curved`,
        "statsd",
      ],
      "circus plugin statsd",
    );
    // Its subscription is in once an incr's spawn event reaches statsd (events before it are not kept).
    await waitFor(async () => {
      await c.call("incr", { name: "sleeper" });
      return statsd.lines.find((l) => l.startsWith("circus.curved.watcher.sleeper.spawn:1|c"));
    }, 15_000);
    expect(c.d.output()).not.toContain("is not authorized");
    plugin.proc.kill("SIGTERM");
    expect(await plugin.proc.exited).toBe(0);
  });

  test("circus web with --curve-server-key and --curve-key follows the daemon (/api/state connected)", async () => {
    const c = await curveDaemon();
    const web = await startWeb([
      "--endpoint",
      c.d.endpoint,
      "--curve-server-key",
      c.server.publicFile,
      "--curve-key",
      c.alice.secretFile,
    ]);
    const state = await waitFor(async () => {
      const r = await fetch(`${web.base}/api/state`).catch(() => null);
      if (r?.status !== 200) return null;
      const s = (await r.json()) as { connection: { state: string }; watchers: { name: string }[] };
      return s.connection.state === "connected" && s.watchers.some((w) => w.name === "sleeper") ? s : null;
    }, 15_000);
    expect(state.watchers.map((w) => w.name)).toEqual(["sleeper"]);
    expect(c.d.output()).not.toContain("is not authorized");
  });
});

const PY_CURVE_ROUTER = `
import sys, json, zmq, zmq.auth
from zmq.auth.thread import ThreadAuthenticator
ctx = zmq.Context()
auth = ThreadAuthenticator(ctx); auth.start()
auth.configure_curve(domain="*", location=sys.argv[3])
s = ctx.socket(zmq.ROUTER)
s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(sys.argv[2])
s.curve_server = True
s.bind(sys.argv[1])
print("READY", flush=True)
while True:
    ident, body = s.recv_multipart()
    req = json.loads(body)
    s.send_multipart([ident, json.dumps({"status": "ok", "id": req["id"], "time": 0, "watchers": ["from-pyzmq"]}).encode()])
`;

describe("the daemon's own watchers", () => {
  test("circusd-stats reaches the daemon with the internal key and serves stats to authorized keys only", async () => {
    const statsPort = freePort();
    const c = await curveDaemon(
      `statsd = true\nstats_endpoint = tcp://127.0.0.1:${statsPort}\n[watcher:sleeper]\ncmd = sleep 60\n`,
    );
    const sub = await pyZmq({
      type: "SUB",
      connect: [`tcp://127.0.0.1:${statsPort}`],
      subscribe: ["stat."],
      curve: { serverKey: c.server.publicZ85, publicKey: c.alice.publicZ85, secretKey: c.alice.secretZ85 },
    });
    // Stats exist only if circusd-stats could call the daemon (list, dstats): it holds the internal key.
    const [topic] = await sub.recvText(15_000);
    expect(topic).toStartWith("stat.");
    const intruder = await pyZmq({
      type: "SUB",
      connect: [`tcp://127.0.0.1:${statsPort}`],
      subscribe: ["stat."],
      monitor: true,
      curve: { serverKey: c.server.publicZ85, publicKey: c.bob.publicZ85, secretKey: c.bob.secretZ85 },
    });
    expect((await intruder.event("HANDSHAKE_FAILED_AUTH")).value).toBe(400);
  });

  test("a plugin reaches the daemon with the internal key, which no file holds", async () => {
    const port = freePort();
    const c = await curveDaemon(
      `[watcher:sleeper]\ncmd = sleep 60\n[plugin:metrics]\nuse = prometheus\nhost = 127.0.0.1\nport = ${port}\n`,
    );
    // The Prometheus plugin answers a scrape from what it asks the daemon over the control channel.
    const body = await waitFor(async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => "");
      return text.includes('circus_watcher_processes_running{watcher="sleeper"} 1') ? text : null;
    }, 15_000);
    expect(body).toContain("circus_daemon_up 1");
    expect(c.d.output()).not.toContain("is not authorized");
  });
});

describe("an upgrade of a CURVE daemon", () => {
  test("its own watchers keep their internal key: the adopted plugin still reaches the new image", async () => {
    const port = freePort();
    const c = await curveDaemon(
      `[watcher:sleeper]\ncmd = sleep 60\n[plugin:metrics]\nuse = prometheus\nhost = 127.0.0.1\nport = ${port}\n`,
    );
    const scrape = (running: number) =>
      waitFor(async () => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => "");
        return text.includes(`circus_watcher_processes_running{watcher="sleeper"} ${running}`) ? text : null;
      }, 15_000);
    await scrape(1);
    const plugin = (await c.call("list", { name: "plugin:metrics" })).pids;
    expect((await c.call("upgrade")).status).toBe("ok");
    await waitFor(async () => (await c.call("version").catch(() => null))?.upgrades === 1, 10_000);
    expect((await c.call("list", { name: "plugin:metrics" })).pids).toEqual(plugin);
    // What the plugin says now it can only have asked the new image.
    expect((await c.call("incr", { name: "sleeper" })).status).toBe("ok");
    await scrape(2);
    expect(c.d.output()).not.toContain("is not authorized");
  }, 30_000);
});

describe("the web console", () => {
  test("run by the daemon (httpd = true) it follows a CURVE daemon with the internal key", async () => {
    const port = freePort();
    const c = await curveDaemon(
      `statsd = true\nstats_endpoint = tcp://127.0.0.1:${freePort()}\nhttpd = true\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\n[watcher:sleeper]\ncmd = sleep 60\n`,
    );
    const state = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/api/state`).catch(() => null);
      if (r?.status !== 200) return null;
      const s = (await r.json()) as { connection: { state: string }; watchers: { name: string }[] };
      return s.connection.state === "connected" && s.watchers.some((w) => w.name === "sleeper") ? s : null;
    }, 15_000);
    expect(state.watchers.map((w) => w.name)).toContain("circushttpd");
    expect(c.d.output()).not.toContain("is not authorized");
  });
});

describe("exposure without CURVE", () => {
  test("an endpoint other hosts can reach is refused without CURVE; --insecure starts it with a warning", async () => {
    const ini = `[circus]\nendpoint = tcp://0.0.0.0:${freePort()}\npubsub_endpoint = {pubsub}\n[watcher:w]\ncmd = sleep 60\n`;
    const refused = await startDaemon(ini, [], { wait: false });
    running.push(refused);
    expect(await refused.proc.exited).toBe(1);
    expect(refused.output()).toContain("can be reached from other hosts, and without CURVE whoever reaches it");
    expect(refused.output()).toContain("insecure = true (or --insecure)");
    const port = freePort();
    const accepted = await startDaemon(ini.replace(/0\.0\.0\.0:\d+/, `0.0.0.0:${port}`), ["--insecure"], {
      call: (_ep, command, props) => pyCall(`tcp://127.0.0.1:${port}`, command, props, 300),
    });
    running.push(accepted);
    expect(accepted.output()).toMatch(
      /\[WARNING\] insecure: endpoint = tcp:\/\/0\.0\.0\.0:\d+ is reachable from other hosts/,
    );
  });

  test("a secret key file others may read, or CURVE without authorized keys, is refused at start", async () => {
    const readable = await startDaemon(CURVE_INI + "[watcher:w]\ncmd = sleep 60\n", [], {
      wait: false,
      prepare: async (dir) => {
        await curveSetup(dir);
        chmodSync(join(dir, "server.key_secret"), 0o644);
      },
    });
    running.push(readable);
    expect(await readable.proc.exited).toBe(1);
    expect(readable.output()).toContain("is readable by others (mode 644), expected mode 600");
    const open = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\ncurve_secret_key = server.key_secret\n[watcher:w]\ncmd = sleep 60\n",
      [],
      { wait: false, prepare: (dir) => void keyFiles(dir, "server") },
    );
    running.push(open);
    expect(await open.proc.exited).toBe(1);
    expect(open.output()).toContain("without curve_authorized_keys would admit any client key");
  });
});
