// Daemon upgrade: how long from `upgrade` to the new image's first answer, and what a client of the
// served socket sees meanwhile. Two builds whose versions differ (built here with --version-tag) are
// alternated; the daemon serves HTTP through 4 workers on a [socket:*] while 4 client loops send
// requests back to back, and two watchers write lines to a FileStream.
//
//   bun scripts/bench/upgrade.ts [upgrades=20]
//
// "First answer": from sending `upgrade` to the first `version` reply that counts the new upgrade
// (a probe every 2 ms on a DEALER reconnecting every 2 ms: probes sent into the connection the exec
// closes are lost, and a client's default reconnect delay of 100–200 ms is not counted).
// "Longest gap": the longest time between two answered requests on the served socket, over the whole
// run; "refused": requests that failed (connection refused, reset, or no answer).

import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CircusClient } from "../../src/protocol/client.ts";
import { DealerSocket } from "../../src/zmtp/index.ts";
import { fmt, percentile } from "./common.ts";

const USAGE = "usage: bun scripts/bench/upgrade.ts [upgrades=20]";
const UPGRADES = Number(process.argv[2] ?? 20);
if (!Number.isInteger(UPGRADES) || UPGRADES < 1) {
  process.stderr.write(
    `${process.argv[2] === "--help" ? "" : `not a number of upgrades: ${process.argv[2]}\n`}${USAGE}\n`,
  );
  process.exit(process.argv[2] === "--help" ? 0 : 2);
}
const root = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "circus-bench-upgrade-"));

const binaries: string[] = [];
for (const tag of ["a", "b"]) {
  const out = join(dir, tag);
  const built = Bun.spawnSync([
    process.execPath,
    join(root, "scripts/build.ts"),
    "--outdir",
    out,
    "--version-tag",
    tag,
  ]);
  if (built.exitCode !== 0) throw new Error(`build ${tag} failed: ${built.stderr.toString()}`);
  binaries.push(join(out, "circus"));
}

// The upgrade test's workers: numbered output forever, and "ok" over HTTP on the shared socket.
const FIXTURES = new URL("../../test/fixtures/upgrade/", import.meta.url).pathname;
for (const file of ["count.sh", "server.py"]) copyFileSync(join(FIXTURES, file), join(dir, file));
const endpoint = `ipc://${dir}/control.sock`;
writeFileSync(
  join(dir, "circus.ini"),
  `[circus]
endpoint = ${endpoint}
pubsub_endpoint = ipc://${dir}/events.sock
multicast_endpoint =
loglevel = warning

[socket:web]
host = 127.0.0.1
port = 0
blocking = True

[watcher:web]
cmd = /usr/bin/python3 ${dir}/server.py $(circus.sockets.web)
numprocesses = 4
use_sockets = True

[watcher:count]
cmd = sh ${dir}/count.sh w$(circus.wid)
numprocesses = 2
stdout_stream.class = FileStream
stdout_stream.filename = ${dir}/count.log
`,
);

const probe = new DealerSocket({ identity: crypto.randomUUID().replaceAll("-", ""), reconnectInterval: 2 });
probe.connect(endpoint);
// The same measure for a cold start, as a baseline: spawn of `circus daemon` → first answer.
const spawnedAt = performance.now();
const daemon = Bun.spawn([binaries[0]!, "daemon", join(dir, "circus.ini")], {
  stdio: ["ignore", "inherit", "inherit"],
});
await probe.send([JSON.stringify({ id: "cold", command: "version", properties: {} })]);
await probe.receive();
const coldStartMs = performance.now() - spawnedAt;
const client = new CircusClient({ endpoint, timeoutMs: 5000 });
await client.call("status");
for (;;) {
  const pids = (await client.call("list", { name: "web" })).pids as number[];
  if (pids.length === 4) break;
}
const port = ((await client.call("listsockets")).sockets as { port: number }[])[0]!.port;

// The served socket's clients.
let running = true;
let answered = 0;
let refused = 0;
let lastAnswer = performance.now();
let longestGap = 0;
const loop = async () => {
  while (running) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if ((await res.text()) !== "ok") throw new Error("bad answer");
      const now = performance.now();
      longestGap = Math.max(longestGap, now - lastAnswer);
      lastAnswer = now;
      answered++;
    } catch {
      refused++;
    }
    // Constant load, not a saturating one: the daemon and this script share 2 cores with it.
    await Bun.sleep(1);
  }
};
const loops = [loop(), loop(), loop(), loop()];
await Bun.sleep(500);
longestGap = 0;

const firstAnswerMs: number[] = [];
const replyMs: number[] = [];
for (let i = 1; i <= UPGRADES; i++) {
  const t0 = performance.now();
  const reply = await client.call("upgrade", { binary: binaries[i % 2]! });
  if (reply.status !== "ok") throw new Error(`upgrade ${i}: ${JSON.stringify(reply)}`);
  replyMs.push(performance.now() - t0);
  // A `version` probe every 2 ms over a DEALER that reconnects every 2 ms (a client's own reconnect
  // delay, 100–200 ms by default, is not the daemon's): the first reply from the new image ends the wait.
  let answeredAt = 0;
  const ids = new Set<string>();
  const replies = (async () => {
    while (answeredAt === 0) {
      const [body] = await probe.receive();
      const v = JSON.parse(new TextDecoder().decode(body)) as { id: string; upgrades?: number };
      if (ids.has(v.id) && v.upgrades === i) answeredAt = performance.now();
    }
  })();
  while (answeredAt === 0) {
    const id = crypto.randomUUID().replaceAll("-", "");
    ids.add(id);
    void probe.send([JSON.stringify({ id, command: "version", properties: {} })]).catch(() => {});
    await Bun.sleep(2);
  }
  await replies;
  firstAnswerMs.push(answeredAt - t0);
  await Bun.sleep(200);
}
running = false;
await Promise.all(loops);
await client.call("quit", { waiting: true }, { timeoutMs: 30_000 });
await client.close();
await probe.close();
await daemon.exited;

const sorted = firstAnswerMs.slice().sort((a, b) => a - b);
const checks = replyMs.slice().sort((a, b) => a - b);
console.log(`| metric (${UPGRADES} upgrades, 4 HTTP workers, 2 writers) | value |`);
console.log("|---|---|");
console.log(
  `| \`upgrade\` reply (checks of the new binary) median / max | ${fmt(percentile(checks, 50))} / ${fmt(checks.at(-1)!)} ms |`,
);
console.log(
  `| \`upgrade\` → new daemon's first answer, median / p90 / max | ${fmt(percentile(sorted, 50))} / ${fmt(percentile(sorted, 90))} / ${fmt(sorted.at(-1)!)} ms |`,
);
console.log(
  `| of which after the reply (hand-over + exec + adoption), median | ${fmt(percentile(sorted, 50) - percentile(checks, 50))} ms |`,
);
console.log(`| cold start of the same daemon (spawn → first answer), for comparison | ${fmt(coldStartMs)} ms |`);
console.log(`| HTTP requests answered / failed | ${answered} / ${refused} |`);
console.log(`| longest gap between two answered requests | ${fmt(longestGap)} ms |`);
