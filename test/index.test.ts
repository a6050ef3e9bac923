// The package entry (src/index.ts) as a library user sees it: build an arbiter from a config file or
// from watcher descriptions, run real workers, serve and drive them over the control channel.

import { afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  Arbiter,
  CircusClient,
  ReplyError,
  Watcher,
  createArbiter,
  createClient,
  loadConfig,
  startCircus,
  startControlServer,
  type ControlServer,
} from "../src/index.ts";
import { descendantsOf } from "./helpers/daemon.ts";
import { isAlive } from "./helpers/processes.ts";

/** A config from ini text (written to a temp file, as the loader reads files). */
async function loadConfigText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), "circus-lib-config-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "circus.ini"), text);
  return loadConfig(join(dir, "circus.ini"));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the package entry", () => {
  test("createArbiter runs a watcher's real processes and stops them", async () => {
    const arbiter = await createArbiter([{ name: "lib", cmd: "sleep 30", numprocesses: 2, graceful_timeout: 2 }]);
    cleanups.push(() => arbiter.close());
    expect(arbiter).toBeInstanceOf(Arbiter);
    await arbiter.start();
    const watcher = arbiter.getWatcher("lib")!;
    expect(watcher).toBeInstanceOf(Watcher);
    const pids = watcher.pids();
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    await arbiter.stop();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  test("loadConfig + Arbiter.create + startControlServer serve the config; CircusClient drives it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-lib-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "circus.ini");
    writeFileSync(
      path,
      "[circus]\nendpoint = tcp://127.0.0.1:0\npubsub_endpoint = tcp://127.0.0.1:0\nmulticast_endpoint =\n\n" +
        "[watcher:api]\ncmd = sleep 30\ngraceful_timeout = 2\n",
    );
    const config = await loadConfig(path);
    const arbiter = await Arbiter.create(config);
    cleanups.push(() => arbiter.close());
    const server: ControlServer = await startControlServer(arbiter, config.circus);
    cleanups.push(() => server.close());
    await arbiter.start();

    const client = new CircusClient({ endpoint: server.endpoint });
    cleanups.push(() => client.close());
    expect((await client.call("list")).watchers).toEqual(["api"]);
    const reply = await client.call("incr", { name: "api", nb: 1, waiting: true });
    expect(reply.status).toBe("ok");
    const pids = (await client.call("list", { name: "api" })).pids as number[];
    expect(pids).toHaveLength(2);
    expect(arbiter.getWatcher("api")!.pids().sort()).toEqual([...pids].sort());
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
  });
});

describe("startCircus: a whole config, as circus daemon runs it", () => {
  test("README's library example runs verbatim and the program ends by itself, leaving no worker", async () => {
    const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
    const block = /<!-- example:library -->\n```ts\n([\s\S]*?)```\n<!-- \/example:library -->/.exec(readme);
    expect(block).not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), "circus-readme-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(join(import.meta.dir, ".."), join(dir, "node_modules/circus"));
    writeFileSync(join(dir, "app.ts"), block![1]!);
    writeFileSync(join(dir, "circus.ini"), "[watcher:web]\ncmd = sleep 300\ngraceful_timeout = 2\n");
    const proc = Bun.spawn([process.execPath, "app.ts"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      Promise.race([proc.exited, Bun.sleep(20_000).then(() => "hung")]),
    ]);
    if (code === "hung") proc.kill("SIGKILL");
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const lines = out.trimEnd().split("\n");
    expect(out).toStartWith('{\n  web: "active",\n}\n'); // how Bun prints { web: "active" }
    expect(out).toContain("web runs 3 processes\n");
    expect(lines.filter((l) => l === "watcher.web.spawn")).toHaveLength(2);
    expect(descendantsOf(proc.pid)).toEqual([]);
  }, 30_000);

  test("embedded, it listens on no network port: private ipc endpoints, no discovery, all removed at stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-embed-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "circus.ini"), "[watcher:w]\ncmd = sleep 300\ngraceful_timeout = 2\n");
    /** Inodes of this process's tcp/udp sockets that listen or are bound. */
    const listeningInodes = () => {
      const sockets = readFileSync("/proc/net/udp", "utf8") + readFileSync("/proc/net/tcp", "utf8");
      const inodes = new Set(
        readdirSync("/proc/self/fd")
          .map((fd) => {
            try {
              return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
            } catch {
              return undefined;
            }
          })
          .filter((x): x is string => x !== undefined),
      );
      return sockets
        .split("\n")
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((cells) => cells.length > 9 && inodes.has(cells[9]!) && (cells[3] === "0A" || cells[3] === "07"))
        .map((cells) => cells[9]!);
    };
    // What this test worker already held (other test files run in it too) is not the embedded daemon's.
    const before = new Set(listeningInodes());
    const circus = await startCircus(join(dir, "circus.ini"), { log: false });
    cleanups.push(() => circus.stop());
    expect(circus.endpoint).toMatch(/^ipc:\/\/\/.*\/control\.sock$/);
    expect(circus.pubsubEndpoint).toMatch(/^ipc:\/\/\/.*\/pubsub\.sock$/);
    expect(circus.config.circus.multicast_endpoint).toBe("");
    const listening = listeningInodes().filter((inode) => !before.has(inode));
    expect(listening).toEqual([]);
    const pids = (await circus.client.list("w")).pids!;
    expect(pids).toHaveLength(1);
    const control = circus.endpoint.slice("ipc://".length);
    expect(existsSync(control)).toBe(true);
    await circus.stop();
    expect(isAlive(pids[0]!)).toBe(false);
    expect(existsSync(dirname(control))).toBe(false);
    await circus.stopped;
  });

  test("the typed client: replies typed by command, an error reply rejects with ReplyError", async () => {
    const circus = await startCircus(
      {
        ...(await loadConfigText("[watcher:api]\ncmd = sleep 300\ngraceful_timeout = 2\n")),
      },
      { log: false },
    );
    cleanups.push(() => circus.stop());
    expect((await circus.client.numwatchers()).numwatchers).toBe(1);
    await circus.client.set("api", { numprocesses: 2 }, { waiting: true });
    expect((await circus.client.numprocesses("api")).numprocesses).toBe(2);
    const failure = await circus.client.incr("nope").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ReplyError);
    expect((failure as ReplyError).reason).toBe("program nope not found");
    const remote = createClient({ endpoint: circus.endpoint });
    cleanups.push(() => remote.close());
    expect((await remote.status("api")).status).toBe("active");
  });

  test("a config that cannot start rejects and undoes what it began: the socket file, the pidfile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-embed-fail-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => holder.stop(true));
    writeFileSync(
      join(dir, "circus.ini"),
      `[circus]\nendpoint = tcp://127.0.0.1:${holder.port}\npidfile = ${dir}/circus.pid\n\n` +
        `[socket:s]\npath = ${dir}/s.sock\n\n[watcher:w]\ncmd = sleep 300\nuse_sockets = true\n`,
    );
    await expect(startCircus(join(dir, "circus.ini"), { log: false })).rejects.toThrow(
      `port ${holder.port} on 127.0.0.1`,
    );
    expect(existsSync(join(dir, "s.sock"))).toBe(false);
    expect(existsSync(join(dir, "circus.pid"))).toBe(false);
  });
});
