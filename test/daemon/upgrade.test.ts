// `circus ctl upgrade` end to end, on real binaries: two builds whose --version differs (built here with
// --version-tag, about a second each), a daemon serving HTTP on a [socket:*] through 4 workers and two
// watchers writing numbered lines to FileStreams and the `logs` tail. Upgrades alternate the builds under
// constant load: no request fails, the workers keep their pids, every line arrives exactly once and in
// order, and the daemon answers list/stats/logs after each one.

import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDaemon, type Reply, type RunningDaemon, pyCall } from "../helpers/daemon.ts";
import { ROOT, BUN, PYTHON } from "../helpers/paths.ts";
import { isAlive, run } from "../helpers/processes.ts";
import { tempDir } from "../helpers/temp.ts";
import { waitFor } from "../helpers/wait.ts";
import { asUser, makeUser, removeUsers } from "../helpers/users.ts";
import { afterAll } from "bun:test";

let binaryA = "";
let binaryB = "";

beforeAll(async () => {
  const out = tempDir("circus-upgrade-builds-");
  for (const tag of ["a", "b"]) {
    const r = await run([BUN, join(ROOT, "scripts/build.ts"), "--outdir", join(out, tag), "--version-tag", tag]);
    if (r.code !== 0) throw new Error(`build ${tag} failed: ${r.stderr}`);
  }
  binaryA = join(out, "a/circus");
  binaryB = join(out, "b/circus");
}, 60_000);

afterAll(removeUsers);

/** Writes `<tag> <n>` lines, n = 1, 2, 3…, flat out with a short pause. */
const COUNTER = `i=0
while :; do i=$((i+1)); echo "$1 $i"; sleep 0.002; done
`;

/** A minimal HTTP server on the inherited listening fd (blocking accept: the 4 workers share it). */
const SERVER = `import socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
    finally:
        c.close()
`;

const INI = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
check_delay = 1

[socket:web]
host = 127.0.0.1
port = 0
blocking = True

[watcher:web]
cmd = ${PYTHON} {dir}/server.py $(circus.sockets.web)
numprocesses = 4
use_sockets = True

[watcher:count1]
cmd = sh {dir}/count.sh c1w$(circus.wid)
numprocesses = 2
stdout_stream.class = FileStream
stdout_stream.filename = {dir}/count1.log

[watcher:count2]
cmd = sh {dir}/count.sh c2w$(circus.wid)
numprocesses = 1
stdout_stream.class = FileStream
stdout_stream.filename = {dir}/count2.log
`;

async function start(command: string[], ini = INI): Promise<RunningDaemon> {
  return startDaemon(ini, [], {
    command,
    endpoint: "ipc://{dir}/control.sock",
    files: { "count.sh": COUNTER, "server.py": SERVER },
  });
}

/** Ask `version` until the daemon says it went through `upgrades` upgrades (the new image answers). */
async function waitUpgraded(d: RunningDaemon, upgrades: number): Promise<Reply> {
  return waitFor(
    async () => {
      const reply = await d.call("version", {}, 250);
      return reply.status === "ok" && reply.upgrades === upgrades ? reply : null;
    },
    10_000,
    `upgrade ${upgrades} answering`,
  );
}

async function pidsOf(d: RunningDaemon, name: string): Promise<number[]> {
  const reply = await d.call("list", { name });
  expect(reply.status).toBe("ok");
  return (reply.pids as number[]).slice().sort((a, b) => a - b);
}

/**
 * Every tag's numbers, in order, must follow each other with nothing missing or repeated: from 1 (a
 * whole file), or from wherever a tail starts.
 */
function checkNumbered(lines: string[], what: string, fromOne = true): Map<string, number> {
  const last = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\S+) (\d+)$/.exec(line);
    if (!m) throw new Error(`${what}: unexpected line ${JSON.stringify(line)}`);
    const n = Number(m[2]);
    const previous = last.get(m[1]!);
    const expected = previous === undefined ? (fromOne ? 1 : n) : previous + 1;
    if (n !== expected) throw new Error(`${what}: ${m[1]} wrote ${n} after ${expected - 1}`);
    last.set(m[1]!, n);
  }
  return last;
}

function fileLines(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** Requests on `port` from 4 loops until stopped; counts answers and failures. */
function httpLoad(port: number) {
  let running = true;
  const counts = { ok: 0, failed: 0, errors: [] as string[] };
  const loop = async () => {
    while (running) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        if ((await res.text()) === "ok") counts.ok++;
        else counts.failed++;
      } catch (err) {
        counts.failed++;
        if (counts.errors.length < 5) counts.errors.push((err as Error).message);
      }
    }
  };
  const loops = [loop(), loop(), loop(), loop()];
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}

describe("circus ctl upgrade", () => {
  test("20 upgrades alternating two builds under load: no failed request, same pids, every line once in order", async () => {
    const d = await start([binaryA]);
    const workers = {
      web: await waitForPids(d, "web", 4),
      count1: await waitForPids(d, "count1", 2),
      count2: await waitForPids(d, "count2", 1),
    };
    const sockets = (await d.call("listsockets")).sockets as { port: number }[];
    const load = httpLoad(sockets[0]!.port);
    await waitFor(() => load.counts.ok > 20, 5000, "the load to be served");
    const events: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const binary = i % 2 === 1 ? binaryB : binaryA;
      const reply = await d.call("upgrade", { binary });
      expect(reply.status).toBe("ok");
      expect(reply.to).toBe(i % 2 === 1 ? "0.1.0+b" : "0.1.0+a");
      expect(reply.upgrades).toBe(i);
      const version = await waitUpgraded(d, i);
      expect(version.version).toBe(reply.to);
      expect(version.pid).toBe(d.proc.pid);
      for (const [name, pids] of Object.entries(workers)) {
        const now = await pidsOf(d, name);
        if (now.join() !== pids.join()) console.log(d.output());
        expect(now).toEqual(pids);
      }
      const stats = await d.call("stats", { name: "count1" });
      expect(stats.status).toBe("ok");
      const logs = await d.call("logs", { name: "count2", lines: 50 });
      expect(logs.status).toBe("ok");
      const tail = (logs.lines as { line: string }[]).map((l) => l.line);
      expect(tail.length).toBeGreaterThan(0);
      checkNumbered(tail, `logs after upgrade ${i}`, false);
      events.push(String(version.version));
    }
    const counts = await load.stop();
    expect(counts.errors).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(counts.ok).toBeGreaterThan(100);
    // quit drains every pipe into the files: then each worker's numbers are complete.
    const quit = await d.call("quit", { waiting: true }, 15_000);
    expect(quit.status).toBe("ok");
    expect(await d.proc.exited).toBe(0);
    for (const pids of Object.values(workers)) for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const c1 = checkNumbered(fileLines(join(d.dir, "count1.log")), "count1.log");
    const c2 = checkNumbered(fileLines(join(d.dir, "count2.log")), "count2.log");
    expect([...c1.keys()].sort()).toEqual(["c1w1", "c1w2"]);
    expect([...c2.keys()]).toEqual(["c2w1"]);
    expect(events.length).toBe(20);
  }, 60_000);
});

async function waitForPids(d: RunningDaemon, name: string, count: number): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = await pidsOf(d, name);
      return pids.length === count ? pids : null;
    },
    5000,
    `${count} processes of ${name}`,
  );
}

void pyCall;
void asUser;
void makeUser;
