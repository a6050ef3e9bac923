// WatchDog run by a real daemon that binds its UDP socket: a worker that stops sending heartbeats is
// killed and replaced; one that keeps beating, and watchers outside watchers_regex, are left alone.

import { afterEach, expect, test } from "bun:test";
import { freePort, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { FIXTURES, PY, pidsOf, startWithPlugin, waitOutput } from "./helpers.ts";

let daemon: RunningDaemon | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

test("a worker that stops heart-beating is killed and replaced; beating and unwatched workers stay", async () => {
  const port = freePort();
  daemon = await startWithPlugin(
    `
[watcher:beat-hung]
cmd = ${PY} ${FIXTURES}/heartbeat.py ${port} 5

[watcher:beat-ok]
cmd = ${PY} ${FIXTURES}/heartbeat.py ${port}

[watcher:other]
cmd = sleep 3600

[plugin:dog]
use = circus.plugins.watchdog.WatchDog
port = ${port}
loop_rate = 0.3
max_count = 2
watchers_regex = ^beat
watchers_stop_signal = KILL
`,
    "plugin:dog",
  );
  // The daemon holds the heartbeat socket (decisions §5).
  const sockets = (await daemon.call("listsockets")).sockets as { name: string; port: number }[];
  expect(sockets.find((s) => s.name === "plugin-dog")?.port).toBe(port);

  const [hung] = await pidsOf(daemon, "beat-hung");
  const [ok] = await pidsOf(daemon, "beat-ok");
  const [other] = await pidsOf(daemon, "other");
  await waitOutput(daemon, `watcher:beat-hung, pid:${hung} is not responding. Kill it !`);
  await waitFor(async () => {
    const pids = ((await daemon!.call("list", { name: "beat-hung" })).pids ?? []) as number[];
    return pids.length === 1 && pids[0] !== hung;
  });
  // Two more check periods of the replacement's beats: the beating worker and `other` are untouched.
  await Bun.sleep(700);
  expect(await pidsOf(daemon, "beat-ok")).toEqual([ok!]);
  expect(await pidsOf(daemon, "other")).toEqual([other!]);
  expect(daemon.output()).not.toContain(`pid:${ok} is not responding`);
});
