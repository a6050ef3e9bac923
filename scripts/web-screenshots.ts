// Refresh docs/web-dashboard.png and docs/web-watcher.png: a small demo daemon (a web app on a
// socket, a worker with bursts of CPU, a ticker printing lines, a stopped watcher), `circus web` on
// it, and Debian's chromium after 20 s of samples. Not a test.
//
//   bun scripts/web-screenshots.ts

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, startDaemon } from "../test/helpers/daemon.ts";
import { launchBrowser, startWeb, stopAllWebs } from "../test/web/helpers.ts";

const ROOT = resolve(import.meta.dir, "..");
const SAMPLES_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), "circus-shots-"));
const burst = join(dir, "burst.sh");
writeFileSync(
  burst,
  'n=0; while :; do n=$((n+1)); i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; echo "batch $n: $1 steps"; sleep 1; done\n',
);
const daemon = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
stats_endpoint = tcp://127.0.0.1:${freePort()}
statsd = true

[socket:web]
host = 127.0.0.1
port = ${freePort()}

[watcher:web]
cmd = node ${join(ROOT, "examples/webapp.js")} --fd $(circus.sockets.web)
numprocesses = 3
use_sockets = true

[watcher:worker]
cmd = sh ${burst} 30000
numprocesses = 2

[watcher:ticker]
cmd = sh -c 'n=0; while :; do n=$((n+1)); echo "tick $n: queue depth $((n % 7)), 200 OK"; sleep 1; done'

[watcher:nightly]
cmd = sleep 3600
autostart = false
`);
const chrome = await launchBrowser();
try {
  const web = await startWeb(["--endpoint", daemon.endpoint]);
  const context = await chrome.browser.newContext({ viewport: { width: 1200, height: 760 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${web.base}/`);
  await Bun.sleep(SAMPLES_MS);
  await page.screenshot({ path: join(ROOT, "docs/web-dashboard.png") });
  await page.goto(`${web.base}/watchers/worker`);
  await Bun.sleep(SAMPLES_MS);
  await page.screenshot({ path: join(ROOT, "docs/web-watcher.png") });
  await context.close();
  process.stdout.write("wrote docs/web-dashboard.png and docs/web-watcher.png\n");
} finally {
  await chrome.close();
  await stopAllWebs();
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
