// Plugin watchers in the daemon's life: reloadconfig applies changed, added and removed plugin sections
// (a plugin's socket is rebound on its new port), and an inactive plugin's watcher stays stopped.

import { afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { pluginWatcher, withInternalWatchers } from "../../src/arbiter/internal-watchers.ts";
import { loadText } from "../config/fixture.ts";
import { freePort, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { pidsOf, startWithPlugin } from "./helpers.ts";

let daemon: RunningDaemon | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

test("a plugin's watcher runs `circus plugin` with the daemon's endpoints, check_delay, log level, its socket and options", async () => {
  const c = await loadText(
    "[circus]\ncheck_delay = 2.5\nloglevel = debug\n[plugin:Prom]\nuse = prometheus\nport = 9999\npath = /m etrics\npriority = 3\n",
  );
  const w = pluginWatcher(c.plugins[0]!, c.circus, {
    endpoint: "tcp://127.0.0.1:7000",
    pubsub: "tcp://127.0.0.1:7001",
  });
  const args = w.args as string[];
  expect(args.slice(args.indexOf("plugin"))).toEqual([
    "plugin",
    "--endpoint",
    "tcp://127.0.0.1:7000",
    "--pubsub",
    "tcp://127.0.0.1:7001",
    "--check-delay",
    "2.5",
    "--log-level",
    "debug",
    "--fd",
    "$(circus.sockets.plugin-prom)",
    "prometheus",
  ]);
  expect([w.name, w.priority, w.singleton, w.use_sockets]).toEqual(["plugin:Prom", 3, true, true]);
  expect(JSON.parse(w.env.CIRCUS_PLUGIN_OPTIONS!)).toEqual({ port: "9999", path: "/m etrics" });
  const all = withInternalWatchers(c);
  expect(all.watchers.map((x) => x.name)).toEqual(["plugin:Prom"]);
  expect(all.sockets.map((x) => x.name)).toEqual(["plugin-prom"]);
});

test("reloadconfig restarts a changed plugin on its new socket, adds new plugins and removes dropped ones", async () => {
  const [before, after] = [freePort(), freePort()];
  daemon = await startWithPlugin(
    `
[watcher:w]
cmd = sleep 3600

[plugin:prom]
use = prometheus
port = ${before}

[plugin:gone]
use = flapping
`,
    "plugin:prom",
  );
  const [old] = await pidsOf(daemon, "plugin:prom");
  expect((await fetch(`http://127.0.0.1:${before}/metrics`)).status).toBe(200);
  const text = readFileSync(daemon.configPath, "utf8")
    .replace(`port = ${before}`, `port = ${after}`)
    .replace("[plugin:gone]\nuse = flapping", "[plugin:new]\nuse = flapping");
  writeFileSync(daemon.configPath, text);
  expect((await daemon.call("reloadconfig")).status).toBe("ok");
  await waitFor(async () => {
    const pids = ((await daemon!.call("list", { name: "plugin:prom" })).pids ?? []) as number[];
    return pids.length === 1 && pids[0] !== old;
  });
  const sockets = (await daemon.call("listsockets")).sockets as { name: string; port: number }[];
  expect(sockets.find((s) => s.name === "plugin-prom")?.port).toBe(after);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${after}/metrics`).catch(() => null))?.status === 200);
  await expect(fetch(`http://127.0.0.1:${before}/metrics`)).rejects.toThrow();
  expect(((await daemon.call("list")).watchers as string[]).sort()).toEqual(["plugin:new", "plugin:prom", "w"]);
});

test("active = false: the plugin's watcher is listed and stays stopped; started by hand the plugin exits at once", async () => {
  daemon = await startWithPlugin(
    `
[plugin:off]
use = flapping
active = false

[plugin:on]
use = flapping
`,
    "plugin:on",
  );
  expect((await daemon.call("status", { name: "plugin:off" })).status).toBe("stopped");
  await daemon.call("start", { name: "plugin:off" });
  await waitFor(() => daemon!.output().includes("the plugin is not active (active = false): not starting"));
  await waitFor(async () => ((await daemon!.call("list", { name: "plugin:off" })).pids as number[]).length === 0);
});
