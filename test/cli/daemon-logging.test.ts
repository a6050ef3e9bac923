// What the daemon's log says at INFO, read from a real daemon's output: what reloadconfig changed, and
// every spawn, exit (status or signal, age, reason) and respawn decision, and the watcher lines Circus logs.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";

const running: RunningDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

const HEAD = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
`;

describe("reloadconfig", () => {
  test("logs what it added, changed, resized and removed in one line", async () => {
    const d = await startDaemon(
      `${HEAD}
[watcher:keep]
cmd = sleep 300
graceful_timeout = 1

[watcher:grow]
cmd = sleep 301
graceful_timeout = 1

[watcher:edit]
cmd = sleep 302
graceful_timeout = 1

[watcher:gone]
cmd = sleep 303
graceful_timeout = 1
`,
    );
    running.push(d);
    const text = readFileSync(d.configPath, "utf8")
      .replace("[watcher:gone]\ncmd = sleep 303\ngraceful_timeout = 1\n", "[watcher:new]\ncmd = sleep 304\n")
      .replace("cmd = sleep 302", "cmd = sleep 305")
      .replace("cmd = sleep 301\n", "cmd = sleep 301\nnumprocesses = 2\n");
    writeFileSync(d.configPath, text);
    expect((await d.call("reloadconfig", { waiting: true })).status).toBe("ok");
    await waitFor(() => d.output().includes("reloadconfig:"), 5000, "the reloadconfig line");
    expect(d.output()).toContain(
      "[INFO] reloadconfig: added watcher new; changed edit (recreated); resized grow; removed gone\n",
    );
    expect((await d.call("reloadconfig", { waiting: true })).status).toBe("ok");
    await waitFor(() => d.output().includes("reloadconfig: nothing changed"), 5000, "a reloadconfig with no change");
  });
});
