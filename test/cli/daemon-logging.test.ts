// What the daemon's log says at INFO, read from a real daemon's output: what reloadconfig changed, and
// every spawn, exit (status or signal, age, reason) and respawn decision, and the watcher lines Circus logs.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";

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
    await d.log.waitFor(
      "[INFO] reloadconfig: added watcher new; changed edit (recreated); resized grow; removed gone\n",
    );
    expect((await d.call("reloadconfig", { waiting: true })).status).toBe("ok");
    await waitFor(() => d.output().includes("reloadconfig: nothing changed"), 5000, "a reloadconfig with no change");
  });
});

describe("every process's life at INFO", () => {
  test("spawns, a SIGKILL after the first second, the replacement, the watcher lines Circus logs", async () => {
    const d = await startDaemon(`${HEAD}
[watcher:web]
cmd = sleep 300
graceful_timeout = 1
`);
    running.push(d);
    const [first] = await waitPids(d, "web", 1);
    await d.log.waitFor(new RegExp(`\\[INFO\\] watcher web: spawned ${first} \\(wid 1\\): sleep 300\\n`));
    await d.log.waitFor("[INFO] web started\n");
    await Bun.sleep(1100); // older than a second: not a crash at start
    process.kill(first!, "SIGKILL");
    await waitFor(() => d.output().includes("respawning at once"), 5000, "the respawn decision");
    // Its age as the daemon logs it: at least the 1.1 s waited here, more when a loaded machine is slow.
    const killed = await d.log.waitFor(
      new RegExp(`\\[INFO\\] watcher web: process ${first} killed by SIGKILL after (\\d+\\.\\d) s \\(crash\\)\\n`),
    );
    expect(Number(killed[1])).toBeGreaterThanOrEqual(1.1);
    const [second] = await waitFor(async () => {
      const pids = ((await d.call("list", { name: "web" })).pids ?? []) as number[];
      return pids.length === 1 && pids[0] !== first ? pids : null;
    });
    await waitFor(() => d.output().includes(`spawned ${second} (wid 1)`), 5000, "the replacement's spawn line");

    expect((await d.call("reload", { name: "web", waiting: true })).status).toBe("ok");
    await waitFor(() => d.output().includes("[INFO] web reloaded\n"), 5000, "the reload line");
    await d.log.waitFor(new RegExp(`watcher web: process ${second} killed by SIGTERM after [\\d.]+ s \\(reload\\)`));
    expect((await d.call("stop", { name: "web", waiting: true })).status).toBe("ok");
    await waitFor(() => d.output().includes("[INFO] web stopped\n"), 5000, "the stop line");
    await d.log.waitFor(/watcher web: process \d+ killed by SIGTERM after [\d.]+ s \(stop\)\n/);
  });

  test("a worker dying at start: its status, age, and the delay before the next try", async () => {
    const d = await startDaemon(`${HEAD}
[watcher:flaky]
cmd = sh -c 'exit 3'
graceful_timeout = 1

[watcher:once]
cmd = sh -c 'sleep 1.2; exit 0'
respawn = false
`);
    running.push(d);
    await waitFor(
      () => /respawning in [\d.]+ s \(it died within a second of its start\)/.test(d.output()),
      5000,
      "a delayed respawn",
    );
    await d.log.waitFor(/\[INFO\] watcher flaky: process \d+ exited with status 3 after 0\.\d s \(crash\)\n/);
    await waitFor(() => d.output().includes("watcher once: not respawned (respawn = false)"), 5000, "no respawn");
    const exited = await d.log.waitFor(/watcher once: process \d+ exited with status 0 after (\d+\.\d) s \(exit\)\n/);
    // Its `sleep 1.2`, from when the daemon recorded the spawn: a loaded machine runs the child before the
    // daemon takes the time (1.1 s seen), and adds to the end what it likes.
    expect(Number(exited[1])).toBeGreaterThanOrEqual(1);
  });
});
