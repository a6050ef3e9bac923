// What a real daemon writes on its own stdout when journald or `docker logs` read it: workers' lines
// with `name.pid | ` under `output_prefix`, and the daemon's log lines as journald wants them.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  circusCommand,
  freePort,
  pyCall,
  startDaemon,
  waitFor,
  waitPids,
  type RunningDaemon,
} from "../helpers/daemon.ts";

const running: RunningDaemon[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("output passed through to the daemon's stdout", () => {
  test("output_prefix = true prefixes every worker line with name.pid | , stderr too", async () => {
    const d = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
output_prefix = true

[watcher:web]
cmd = sh -c 'echo hello; echo oops >&2; exec sleep 300'
graceful_timeout = 1
`);
    running.push(d);
    const [pid] = await waitPids(d, "web", 1);
    // stdout and stderr are two pipes, read (and passed on) independently: wait for each line.
    await waitFor(() => d.output().includes(`web.${pid} | oops\n`), 5000, "the prefixed stderr line");
    await waitFor(() => d.output().includes(`web.${pid} | hello\n`), 5000, "the prefixed stdout line");
    expect(d.output()).not.toMatch(/^(hello|oops)$/m);
  });

  test("without it the lines stay raw, as in Circus", async () => {
    const d = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:web]
cmd = sh -c 'echo hello-raw; exec sleep 300'
graceful_timeout = 1
`);
    running.push(d);
    await waitFor(() => d.output().includes("hello-raw\n"), 5000, "the raw line");
    expect(d.output()).not.toMatch(/web\.\d+ \| hello-raw/);
  });
});

describe("a FileStream without a filename", () => {
  test("writes to a fresh temporary file, as in Circus, and the log says which", async () => {
    const d = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:web]
cmd = sh -c 'echo to-the-temp-file; exec sleep 300'
graceful_timeout = 1
stdout_stream.class = FileStream
`);
    running.push(d);
    const m = await waitFor(
      () => /\[WARNING\] watcher web: FileStream without a filename writes to (\S+)\n/.exec(d.output()),
      5000,
      "the warning naming the file",
    );
    dirs.push(m[1]!); // removed after the test
    await waitFor(() => readFileSync(m[1]!, "utf8") === "to-the-temp-file\n", 5000, "the line in that file");
  });
});

describe("under journald (JOURNAL_STREAM names the daemon's stdout)", () => {
  test("log lines carry a <N> priority prefix and no timestamp of their own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-journal-"));
    dirs.push(dir);
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const config = join(dir, "circus.ini");
    writeFileSync(
      config,
      `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
        `[watcher:w]\ncmd = sleep 300\ngraceful_timeout = 1\nnumprocess = 2\n`,
    );
    const out = join(dir, "stdout");
    writeFileSync(out, "");
    const { dev, ino } = statSync(out);
    // As systemd connects both to the journal: stdout and stderr on one stream.
    const proc = Bun.spawn(["sh", "-c", 'exec "$@" >>"$OUT" 2>&1', "sh", ...circusCommand(), "daemon", config], {
      stdout: "ignore",
      stderr: "ignore",
      env: { ...process.env, OUT: out, JOURNAL_STREAM: `${dev}:${ino}` },
    });
    try {
      await waitFor(async () => (await pyCall(endpoint, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
      await waitFor(() => readFileSync(out, "utf8").includes("starting circus"), 5000, "the start line");
      const lines = readFileSync(out, "utf8").trimEnd().split("\n");
      expect(lines.find((l) => l.includes("starting circus"))).toMatch(/^<6>circus: starting circus /);
      expect(lines.find((l) => l.includes("numprocess"))).toMatch(
        /^<4>circus\.config: .*did you mean "numprocesses"\?$/,
      );
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  });
});
