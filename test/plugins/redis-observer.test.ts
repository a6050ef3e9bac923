// RedisObserver run by a real daemon next to Debian's redis-server (itself a watcher of that daemon):
// every INFO gauge reaches statsd; when redis is stopped mid-test the observer counts the error and
// restarts it. A password in the URL is sent with AUTH.

import { afterEach, expect, test } from "bun:test";
import { freePort, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { REDIS_GAUGES } from "../../src/plugins/builtins/redis-observer.ts";
import { pidsOf, startWithPlugin, statsdListener, type StatsdListener } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let statsd: StatsdListener | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  statsd?.close();
  statsd = null;
});

const redis = (port: number, extra = "") =>
  `redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no ${extra}`;

test("INFO gauges reach statsd; redis stopped mid-test is restarted by the observer", async () => {
  statsd = await statsdListener();
  const port = freePort();
  const authPort = freePort();
  daemon = await startWithPlugin(
    `
[watcher:redis]
cmd = ${redis(port)}

[watcher:redis-auth]
cmd = ${redis(authPort, "--requirepass s3cret")}

[plugin:redis]
use = circus.plugins.redis_observer.RedisObserver
host = 127.0.0.1
port = ${statsd.port}
redis_url = redis://127.0.0.1:${port}/0
loop_rate = 0.2
timeout = 1
restart_on_timeout = redis

[plugin:auth]
use = redis_observer
host = 127.0.0.1
port = ${statsd.port}
application_name = auth
redis_url = redis://:s3cret@127.0.0.1:${authPort}/0
loop_rate = 0.2
`,
    "plugin:redis",
  );
  const prefix = "circus.redis_observer.watcher.redis_stats";
  for (const [gauge] of REDIS_GAUGES) await statsd.waitLine(new RegExp(`^${prefix}\\.${gauge}:[\\d.]+\\|g$`));
  await statsd.waitLine(/^circus\.auth\.watcher\.redis_stats\.connected_clients:\d+\|g$/);

  const [first] = await pidsOf(daemon, "redis");
  await daemon.call("stop", { name: "redis" });
  await statsd.waitLine(new RegExp(`^${prefix}\\.error:1\\|c$`));
  await statsd.waitLine(new RegExp(`^${prefix}\\.restart_on_error:1\\|c$`));
  const [second] = await waitFor(async () => {
    const pids = ((await daemon!.call("list", { name: "redis" })).pids ?? []) as number[];
    return pids.length === 1 && pids[0] !== first ? pids : null;
  });
  expect(second).not.toBe(first);
  // Back in service: the uptime reported is the new server's, no older than the time since its start
  // (a loaded machine may take more than a second to send the first INFO, so 0 is not guaranteed).
  const restarted = Date.now();
  const mark = statsd.lines.length;
  await waitFor(() =>
    statsd!.lines.slice(mark).some((l) => {
      const uptime = /^circus\.redis_observer\.watcher\.redis_stats\.uptime_in_seconds:(\d+)\|g$/.exec(l);
      return uptime !== null && Number(uptime[1]) <= Math.ceil((Date.now() - restarted) / 1000) + 1;
    }),
  );
});
