// ResourceWatcher run by a real daemon on a worker whose memory grows: the watcher is restarted once
// memory stays over an absolute max_mem; with process_children only the growing child is signalled.
// A busy loop over max_cpu, an idle worker under min_cpu / min_mem and a busy one over health_threshold
// are restarted too, with Circus 0.19's rules: a check counts when the figure is out of bounds (CPU at or
// below min_cpu counts), more than max_count bad checks in a row restart the watcher, and the health is
// the mean of the highest CPU % and the highest memory %.

import { afterEach, expect, test } from "bun:test";
import { childrenOf, isAlive, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import {
  FIXTURES,
  PY,
  pidsOf,
  pluginStarted,
  startWithPlugin,
  statsdListener,
  type StatsdListener,
} from "./helpers.ts";

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

/** A worker that keeps one core busy. */
const BUSY = `${PY} -c "while True: pass"`;

/** Wait until watcher `name` runs one process other than `old`. */
async function restarted(d: RunningDaemon, name: string, old: number): Promise<void> {
  await waitFor(
    async () => {
      const pids = ((await d.call("list", { name })).pids ?? []) as number[];
      return pids.length === 1 && pids[0] !== old;
    },
    10_000,
    `a new process of ${name}`,
  );
}

test("a busy loop over max_cpu = 5 for more than max_count = 1 checks is restarted", async () => {
  statsd = await statsdListener();
  // A low bound: on a loaded machine a busy loop gets as little as a fifth of a core; a sleep uses none.
  daemon = await startWithPlugin(
    `
[watcher:busy]
cmd = ${BUSY}

[watcher:idle]
cmd = sleep 3600

[plugin:busy]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
watcher = busy
max_cpu = 5
health_threshold = 0
max_count = 1
loop_rate = 0.2

# The same limit on an idle worker never fires.
[plugin:idle]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
watcher = idle
max_cpu = 5
health_threshold = 0
max_count = 1
loop_rate = 0.2
`,
    "plugin:busy",
  );
  const [first] = await pidsOf(daemon, "busy");
  const [idle] = await pidsOf(daemon, "idle");
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.busy\.over_cpu:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.busy\.restarting:1\|c$/);
  await restarted(daemon, "busy", first!);
  await daemon.log.waitFor(/busy: over_cpu for more than 1 checks: restarting it/);
  // Once the idle plugin runs, the busy watcher is restarted once more (two more checks at least): the
  // idle plugin had as many checks meanwhile, and none fired.
  await pluginStarted(daemon, "plugin:idle");
  const restarts = () => statsd!.lines.filter((l) => l.endsWith(".busy.restarting:1|c")).length;
  const seen = restarts();
  await waitFor(() => restarts() >= seen + 1, 10_000, "another restart of busy");
  expect(statsd.lines.filter((l) => l.includes("._resource_watcher.idle.")).join("\n")).toBe("");
  expect(await pidsOf(daemon, "idle")).toEqual([idle!]);
});

test("an idle worker at or under min_cpu, or under min_mem (a size or a %), is restarted: under_cpu, under_memory", async () => {
  statsd = await statsdListener();
  daemon = await startWithPlugin(
    `
[watcher:lazy]
cmd = sleep 3600

[watcher:small]
cmd = sleep 3600

[watcher:tiny]
cmd = sleep 3600

[plugin:cpu]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
watcher = lazy
max_cpu = 0
min_cpu = 1
health_threshold = 0
max_count = 1
loop_rate = 0.2

[plugin:mem]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
watcher = small
max_cpu = 0
min_mem = 1G
health_threshold = 0
max_count = 1
loop_rate = 0.2

[plugin:percent]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
watcher = tiny
max_cpu = 0
min_mem = 50
health_threshold = 0
max_count = 1
loop_rate = 0.2
`,
    "plugin:cpu",
  );
  const [lazy] = await pidsOf(daemon, "lazy");
  const [small] = await pidsOf(daemon, "small");
  const [tiny] = await pidsOf(daemon, "tiny");
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.lazy\.under_cpu:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.lazy\.restarting:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.small\.under_memory:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.small\.restarting:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.tiny\.under_memory:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.tiny\.restarting:1\|c$/);
  await restarted(daemon, "lazy", lazy!);
  await restarted(daemon, "small", small!);
  await restarted(daemon, "tiny", tiny!);
  // Only the condition each plugin was given fires.
  const others = statsd.lines.filter((l) => /\.(over_cpu|over_memory|over_health|error):/.test(l));
  expect(others).toEqual([]);
  expect(statsd.lines.some((l) => l.includes("._resource_watcher.lazy.under_memory"))).toBe(false);
  expect(statsd.lines.some((l) => l.includes("._resource_watcher.small.under_cpu"))).toBe(false);
});

test("a busy worker whose mean of CPU % and memory % is over health_threshold is restarted: over_health", async () => {
  statsd = await statsdListener();
  // A low bound (a mean over 3 % takes a CPU over 6 %): on a loaded machine a busy loop gets as little as a
  // fifth of a core.
  daemon = await startWithPlugin(
    `
[watcher:hot]
cmd = ${BUSY}

[plugin:health]
use = resource_watcher
host = 127.0.0.1
port = ${statsd.port}
watcher = hot
max_cpu = 0
health_threshold = 3
max_count = 1
loop_rate = 0.2
`,
    "plugin:health",
  );
  const [first] = await pidsOf(daemon, "hot");
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.hot\.over_health:1\|c$/);
  await statsd.waitLine(/^circus\.app\.watcher\._resource_watcher\.hot\.restarting:1\|c$/);
  await restarted(daemon, "hot", first!);
  await daemon.log.waitFor(/hot: over_health for more than 1 checks: restarting it/);
  expect(statsd.lines.some((l) => /\.(over_cpu|over_memory|under_cpu|under_memory):/.test(l))).toBe(false);
});
