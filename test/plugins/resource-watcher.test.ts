// ResourceWatcher run by a real daemon on a worker whose memory grows: the watcher is restarted once
// memory stays over an absolute max_mem; with process_children only the growing child is signalled.

import { afterEach, expect, test } from "bun:test";
import { childrenOf, isAlive, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { FIXTURES, PY, pidsOf, startWithPlugin, statsdListener, type StatsdListener } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let statsd: StatsdListener | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  statsd?.close();
  statsd = null;
});

test("memory over an absolute max_mem for more than max_count checks restarts the watcher", async () => {
  statsd = await statsdListener();
  daemon = await startWithPlugin(
    `
[watcher:leaky]
cmd = ${PY} ${FIXTURES}/grow.py

[plugin:resources]
use = circus.plugins.resource_watcher.ResourceWatcher
host = 127.0.0.1
port = ${statsd.port}
watcher = leaky
max_mem = 40M
max_cpu = 0
health_threshold = 0
max_count = 1
loop_rate = 0.2
`,
    "plugin:resources",
  );
  const [first] = await pidsOf(daemon, "leaky");
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.leaky\.over_memory:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.leaky\.restarting:1\|c$/);
  await waitFor(async () => {
    const pids = ((await daemon!.call("list", { name: "leaky" })).pids ?? []) as number[];
    return pids.length === 1 && pids[0] !== first;
  });
  expect(statsd.lines.some((l) => l.includes(".over_cpu:") || l.includes(".over_health:"))).toBe(false);
});

test("with process_children the growing child alone gets child_signal; its parent keeps running", async () => {
  statsd = await statsdListener();
  daemon = await startWithPlugin(
    `
[watcher:parent]
cmd = ${PY} ${FIXTURES}/grow.py --child

[plugin:resources]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
service = parent
max_mem = 40M
max_cpu = 0
health_threshold = 0
max_count = 1
loop_rate = 0.2
process_children = true
child_signal = KILL
`,
    "plugin:resources",
  );
  const [parent] = await pidsOf(daemon, "parent");
  const [child] = await waitFor(() => {
    const kids = childrenOf(parent!);
    return kids.length === 1 ? kids : null;
  });
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.parent\.restarting:1\|c$/);
  await waitFor(() => !isAlive(child!), 5000, "the child to be killed");
  expect(isAlive(parent!)).toBe(true);
  expect(await pidsOf(daemon, "parent")).toEqual([parent!]);
});
