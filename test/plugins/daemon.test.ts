// Plugin watchers in the daemon's life: reloadconfig applies changed, added and removed plugin sections
// (a plugin's socket is rebound on its new port), and an inactive plugin's watcher stays stopped.

import { afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { freePort, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { pidsOf, startWithPlugin } from "./helpers.ts";

let daemon: RunningDaemon | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
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
