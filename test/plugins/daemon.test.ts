// Plugin watchers in the daemon's life: reloadconfig applies changed, added and removed plugin sections
// (a plugin's socket is rebound on its new port), an inactive plugin's watcher stays stopped, and a
// plugin that dies (killed, or failing at start) is respawned while the daemon keeps serving.

import { afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { pluginWatcher, withInternalWatchers } from "../../src/arbiter/internal-watchers.ts";
import { loadText } from "../config/fixture.ts";
import { freePort, startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { servedText } from "../helpers/wait.ts";
import { CIRCUS_SECTION, pidsOf, pluginStarted, startWithPlugin } from "./helpers.ts";

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

test("a plugin killed with SIGKILL is respawned on its socket and the daemon keeps serving", async () => {
  const port = freePort();
  daemon = await startWithPlugin(
    `[watcher:w]\ncmd = sleep 3600\n\n[plugin:prom]\nuse = prometheus\nport = ${port}\n`,
    "plugin:prom",
  );
  const url = `http://127.0.0.1:${port}/metrics`;
  expect((await fetch(url)).status).toBe(200);
  const [old] = await pidsOf(daemon, "plugin:prom");
  const [worker] = await pidsOf(daemon, "w");
  process.kill(old!, "SIGKILL");
  const next = await newPid(daemon, "plugin:prom", old!);
  await daemon.log.waitFor(new RegExp(`\\[${next}\\] \\[INFO\\] Starting$`, "m"), 10_000);
  expect(((await daemon.call("list")).watchers as string[]).sort()).toEqual(["plugin:prom", "w"]);
  expect((await daemon.call("list", { name: "w" })).pids).toEqual([worker]);
  const body = await servedText(url, 10_000);
  expect(body).toContain('circus_watcher_processes_running{watcher="w"} 1');
});

/** Wait until watcher `name` runs one process other than `old`; its pid. */
async function newPid(d: RunningDaemon, name: string, old: number): Promise<number> {
  const [pid] = await waitFor(
    async () => {
      const pids = ((await d.call("list", { name })).pids ?? []) as number[];
      return pids.length === 1 && pids[0] !== old ? pids : null;
    },
    10_000,
    `a new process of ${name}`,
  );
  return pid!;
}

const FAILS_AT_INIT = `
import { CircusPlugin } from "circus";

export class FailsAtInit extends CircusPlugin {
  static override pluginName = "fails-at-init";
  override handleInit(): void {
    throw new Error("cannot reach the backend");
  }
}
`;

test("a user plugin whose handleInit throws is respawned with backoff; the daemon and the other watchers live on", async () => {
  const port = freePort();
  daemon = await startDaemon(
    `${CIRCUS_SECTION}
[watcher:w]
cmd = sleep 3600

[plugin:prom]
use = prometheus
port = ${port}

[plugin:bad]
use = ./plugins/bad.ts:FailsAtInit
`,
    [],
    { files: { "plugins/bad.ts": FAILS_AT_INIT } },
  );
  const prom = await pluginStarted(daemon, "plugin:prom");
  const [worker] = await pidsOf(daemon, "w");
  // Each failed start logs why and exits 1; the daemon respawns it after a delay that doubles while it
  // keeps dying young (100 ms, 200 ms, 400 ms …).
  await daemon.log.waitFor(/\[ERROR\] the plugin failed: cannot reach the backend/, 10_000);
  const delays = await waitFor(
    () => {
      const found = [...daemon!.output().matchAll(/watcher plugin:bad: respawning in ([\d.]+) s/g)].map((m) =>
        Number(m[1]),
      );
      return found.length >= 3 ? found : null;
    },
    20_000,
    "three backed-off respawns of plugin:bad",
  );
  expect(delays[1]!).toBeGreaterThan(delays[0]!);
  expect(delays[2]!).toBeGreaterThan(delays[1]!);
  expect(daemon.output()).toMatch(
    /watcher plugin:bad: respawning in [\d.]+ s \(it died within a second of its start\)/,
  );
  // The daemon answers, its other watchers kept their processes, and the Prometheus plugin serves.
  expect((await daemon.call("status")).status).toBe("ok");
  expect((await daemon.call("list", { name: "w" })).pids).toEqual([worker]);
  expect((await daemon.call("list", { name: "plugin:prom" })).pids).toEqual([prom]);
  expect(await servedText(`http://127.0.0.1:${port}/metrics`)).toContain(
    'circus_watcher_processes_running{watcher="w"} 1',
  );
  expect(daemon.proc.exitCode).toBeNull();
});
