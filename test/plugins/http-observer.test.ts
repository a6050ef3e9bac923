// HttpObserver run by a real daemon against an HTTP worker that starts failing: response times, then
// errors by status, and the restart of the failing watcher; a URL nobody answers counts as 599.

import { afterEach, expect, test } from "bun:test";
import { freePort, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { FIXTURES, PY, pidsOf, startWithPlugin, statsdListener, type StatsdListener } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let statsd: StatsdListener | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  statsd?.close();
  statsd = null;
});

test("an HTTP worker that starts failing is restarted; times and errors go to statsd", async () => {
  statsd = await statsdListener();
  const port = freePort();
  const nobody = freePort();
  daemon = await startWithPlugin(
    `
[watcher:web]
cmd = ${PY} ${FIXTURES}/flaky_http.py ${port} 2

[plugin:http]
use = circus.plugins.http_observer.HttpObserver
host = 127.0.0.1
port = ${statsd.port}
check_url = http://127.0.0.1:${port}/health
loop_rate = 0.2
timeout = 2
restart_on_error = web

[plugin:down]
use = http_observer
host = 127.0.0.1
port = ${statsd.port}
application_name = down
check_url = http://127.0.0.1:${nobody}/
loop_rate = 0.2
timeout = 1
`,
    "plugin:http",
  );
  const [first] = await pidsOf(daemon, "web");
  await statsd.waitLine(/^circus\.http_observer\.watcher\.http_stats\.request_time:\d+\|ms$/);
  await statsd.waitLine(/^circus\.http_observer\.watcher\.http_stats\.error\.500:1\|c$/);
  await statsd.waitLine(/^circus\.http_observer\.watcher\.http_stats\.error:1\|c$/);
  await statsd.waitLine(/^circus\.http_observer\.watcher\.http_stats\.restart_on_error:1\|c$/);
  await waitFor(async () => {
    const pids = ((await daemon!.call("list", { name: "web" })).pids ?? []) as number[];
    return pids.length === 1 && pids[0] !== first;
  });
  await statsd.waitLine(/^circus\.down\.watcher\.http_stats\.error\.599:1\|c$/);
  expect(statsd.lines.some((l) => l.startsWith("circus.down.watcher.http_stats.restart_on_error"))).toBe(false);
});
