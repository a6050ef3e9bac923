// The package entry (src/index.ts) as a library user sees it: build an arbiter from a config file or
// from watcher descriptions, run real workers, serve and drive them over the control channel.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Arbiter,
  CircusClient,
  Watcher,
  createArbiter,
  loadConfig,
  startControlServer,
  type ControlServer,
} from "../src/index.ts";
import { isAlive } from "./helpers/processes.ts";

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
