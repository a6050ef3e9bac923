// StatsdEmitter and FullStats run by a real daemon from [plugin:NAME] sections, reporting to a real
// UDP listener.

import { afterEach, describe, expect, test } from "bun:test";
import type { RunningDaemon } from "../helpers/daemon.ts";
import { startWithPlugin, statsdListener, type StatsdListener } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let statsd: StatsdListener | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  statsd?.close();
  statsd = null;
});

describe("StatsdEmitter", () => {
  test("a counter per event, named circus.<application_name>.watcher.<watcher>.<action>; names with dots and spaces kept", async () => {
    statsd = await statsdListener();
    daemon = await startWithPlugin(
      `
[watcher:my.app]
cmd = sh -c "sleep 0.2; exit 3"

[plugin:stats]
use = circus.plugins.statsd.StatsdEmitter
host = localhost
port = ${statsd.port}
application_name = my app
`,
      "plugin:stats",
    );
    await statsd.waitLine(/^circus\.my app\.watcher\.my\.app\.reap:1\|c$/);
    await statsd.waitLine(/^circus\.my app\.watcher\.my\.app\.spawn:1\|c$/);
    await daemon.call("stop", { name: "my.app" });
    await statsd.waitLine(/^circus\.my app\.watcher\.my\.app\.stop:1\|c$/);
    // The plugin watcher itself shows in list and status, and stops with the daemon.
    expect((await daemon.call("list")).watchers).toContain("plugin:stats");
    expect(await daemon.stop()).toBe(0);
    expect(daemon.output()).toContain("circus.plugins.statsd");
    expect(daemon.output()).toContain("Stopping");
    daemon = null;
  });

  test("sample_rate is written on counters as |@rate", async () => {
    statsd = await statsdListener();
    daemon = await startWithPlugin(
      `
[watcher:w]
cmd = sleep 3600

[plugin:sampled]
use = statsd
host = 127.0.0.1
port = ${statsd.port}
sample_rate = 0.5
`,
      "plugin:sampled",
    );
    await daemon.call("incr", { name: "w" });
    expect(await statsd.waitLine(/\.w\.spawn:/)).toBe("circus.app.watcher.w.spawn:1|c|@0.5");
  });
});

describe("FullStats", () => {
  test("gauges per watcher every loop_rate: process count, cpu and memory max/sum; plugin watchers left out", async () => {
    statsd = await statsdListener();
    daemon = await startWithPlugin(
      `
[watcher:idle]
cmd = sleep 3600
numprocesses = 2

[plugin:full]
use = circus.plugins.statsd.FullStats
host = 127.0.0.1
port = ${statsd.port}
loop_rate = 0.2
`,
      "plugin:full",
    );
    await statsd.waitLine(/^circus\.app\.watcher\._stats\.idle\.watchers_num:2\|g$/);
    const memMax = Number(/:(\d+)\|g$/.exec(await statsd.waitLine(/_stats\.idle\.mem_max:/))![1]);
    const memSum = Number(/:(\d+)\|g$/.exec(await statsd.waitLine(/_stats\.idle\.mem_sum:/))![1]);
    expect(memMax).toBeGreaterThan(100_000); // a sleep is well over 100 KB resident
    expect(memSum).toBeGreaterThanOrEqual(memMax);
    for (const g of ["cpu_max", "cpu_sum", "mem_pct_max", "mem_pct_sum"])
      await statsd.waitLine(new RegExp(`_stats\\.idle\\.${g}:[\\d.]+\\|g$`));
    expect(statsd.lines.some((l) => l.includes("_stats.plugin:"))).toBe(false);
  });
});
