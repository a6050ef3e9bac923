// `circus ctl logs` against a real daemon: the last lines with their pid, one channel only, any stream
// class, and `-f` following live output (across a live stream change) until interrupted.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { circusCommand, startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { run } from "../helpers/processes.ts";

const FIX = join(import.meta.dir, "../streams/fixtures");
let daemon: RunningDaemon;
const followers: Subprocess[] = [];

/** `circus ctl --endpoint E <args>` (a `logs -f`), its stdout read as it comes; killed after the test. */
function follow(endpoint: string, ...args: string[]) {
  const proc = Bun.spawn([...circusCommand(), "ctl", "--endpoint", endpoint, ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  followers.push(proc);
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  return {
    /** What it printed so far. */
    text: () => text,
    /** Read on until `enough(text)`; its end before that is an error naming what it printed. */
    async readUntil(enough: (text: string) => boolean): Promise<void> {
      while (!enough(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`ctl logs -f ended early: ${text}`);
        text += decoder.decode(value);
      }
    },
    /** Ctrl-C: its exit status and what it wrote on stderr. */
    async interrupt(): Promise<{ code: number; stderr: string }> {
      proc.kill("SIGINT");
      const code = await proc.exited;
      reader.releaseLock();
      return { code, stderr: await new Response(proc.stderr).text() };
    },
  };
}

beforeAll(async () => {
  daemon = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:web]
cmd = ${FIX}/numbered.sh 20 0.02
graceful_timeout = 1
stdout_stream.filename = {dir}/web.log

[watcher:mixed]
cmd = sh -c 'echo o1; echo e1 >&2; echo o2; exec sleep 300'
graceful_timeout = 1
stdout_stream.class = QueueStream
stderr_stream.class = FancyStdoutStream

[watcher:quiet]
cmd = sleep 300
graceful_timeout = 1
`);
});

afterEach(() => {
  for (const p of followers.splice(0)) p.kill("SIGKILL");
});

afterAll(async () => {
  await daemon.stop();
});

async function ctl(...args: string[]) {
  const { stdout, stderr, code } = await run([...circusCommand(), "ctl", "--endpoint", daemon.endpoint, ...args]);
  return { stdout, stderr, code };
}

/** The pid of `name`'s one worker, once it runs (the daemon answers before its watchers have spawned). */
async function pidOf(name: string): Promise<number> {
  const [pid] = await waitPids(daemon, name, 1);
  return pid!;
}

/** `[pid] n` lines → numbers, checking the pid. */
function numbers(text: string, pid: number): number[] {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => {
      const m = /^\[(\d+)\] (\d+)$/.exec(l);
      expect(m && Number(m[1])).toBe(pid);
      return Number(m![2]);
    });
}

describe("circus ctl logs", () => {
  test("prints the last -n lines as [pid] line, in order", async () => {
    const pid = await pidOf("web");
    await waitFor(async () => (await ctl("logs", "web", "-n", "30")).stdout.split("\n").length > 30, 5000, "30 lines");
    const r = await ctl("logs", "web", "-n", "5");
    expect(r.code).toBe(0);
    const got = numbers(r.stdout, pid);
    expect(got.length).toBe(5);
    expect(got).toEqual(got.map((_, i) => got[0]! + i));
    expect(numbers((await ctl("logs", "web")).stdout, pid).length).toBe(10);
  });

  test("shows stdout and stderr of any stream class, or one channel with --stream", async () => {
    const pid = await pidOf("mixed");
    await waitFor(async () => (await ctl("logs", "mixed")).stdout.includes("o2"), 5000, "mixed output");
    // Each channel keeps its order; how the two pipes' reads interleave is up to the scheduler.
    const all = (await ctl("logs", "mixed")).stdout.trimEnd().split("\n");
    expect(all.filter((l) => / o\d$/.test(l))).toEqual([`[${pid}] o1`, `[${pid}] o2`]);
    expect(all.filter((l) => / e\d$/.test(l))).toEqual([`[${pid}]! e1`]);
    expect((await ctl("logs", "mixed", "--stream", "stderr")).stdout).toBe(`[${pid}]! e1\n`);
    expect((await ctl("logs", "mixed", "--stream=stdout", "-n1")).stdout).toBe(`[${pid}] o2\n`);
  });

  test("without a name: every watcher's lines interleaved by time as name.pid | line, stderr marked with !", async () => {
    const [mixed, web] = [await pidOf("mixed"), await pidOf("web")];
    await waitFor(async () => (await ctl("logs", "mixed")).stdout.includes("o2"), 5000, "mixed output");
    // web writes flat out, so mixed's few lines are older than the last 1000: ask for stderr only.
    expect((await ctl("logs", "--stream", "stderr")).stdout).toBe(`mixed.${mixed} ! e1\n`);
    const lines = (await ctl("logs", "-n", "5")).stdout.trimEnd().split("\n");
    expect(lines.every((l) => new RegExp(`^web\\.${web} \\| \\d+$`).test(l))).toBe(true);
    const both = (await ctl("logs", "m*", "-n", "5")).stdout;
    expect(both).toContain(`mixed.${mixed} | o1\n`);
    expect((await ctl("logs", "-n", "3")).stdout.trimEnd().split("\n").length).toBe(3);
  });

  test("a glob names watchers as start takes them; --timestamps prefixes the local time", async () => {
    const mixed = await pidOf("mixed");
    await waitFor(async () => (await ctl("logs", "mixed")).stdout.includes("o2"), 5000, "mixed output");
    const r = await ctl("logs", "mix*", "--stream", "stderr", "--timestamps");
    expect(r.stdout).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} mixed\\.${mixed} ! e1\\n$`),
    );
    expect(await ctl("logs", "nothing*")).toEqual({
      stdout: "",
      stderr: "error: program nothing* not found\n",
      code: 3,
    });
  });

  test("--json gives each line's pid, stream and time, and a cursor", async () => {
    const r = await ctl("--json", "logs", "mixed", "-n", "1", "--stream", "stdout");
    const reply = JSON.parse(r.stdout);
    expect(reply).toMatchObject({ status: "ok", name: "mixed", lines: [{ stream: "stdout", line: "o2" }] });
    expect(typeof reply.cursor).toBe("number");
    expect(Math.abs(reply.lines[0].time - Date.now() / 1000)).toBeLessThan(60);
  });

  test("an unknown watcher or a bad --stream is an error with exit status 3; a watcher with no output prints nothing", async () => {
    expect(await ctl("logs", "nope")).toEqual({ stdout: "", stderr: "error: program nope not found\n", code: 3 });
    const bad = await ctl("logs", "web", "--stream", "both");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("'stream' must be");
    expect(await ctl("logs", "quiet")).toEqual({ stdout: "", stderr: "", code: 0 });
  });

  test("-f keeps printing new lines with none missed or repeated, across a live stream change, until SIGINT", async () => {
    const pid = await pidOf("web");
    const follower = follow(daemon.endpoint, "logs", "web", "-f", "-n", "1");
    const lines = (count: number) => (text: string) => text.split("\n").length > count;
    await follower.readUntil(lines(100));
    await daemon.call("set", {
      name: "web",
      options: { "stdout_stream.filename": join(daemon.dir, "web2.log") },
      waiting: true,
    });
    await follower.readUntil(lines(300));
    expect((await follower.interrupt()).code).toBe(0);
    const text = follower.text();
    const got = numbers(text.slice(0, text.lastIndexOf("\n")), pid);
    expect(got.findIndex((n, i) => n !== got[0]! + i)).toBe(-1);
    expect(await pidOf("web")).toBe(pid);
  }, 15000);
});

describe("circus ctl logs -f across a daemon restart", () => {
  test("it waits for the daemon to come back and follows the new workers' output", async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { freePort, pyCall } = await import("../helpers/daemon.ts");
    const dir = mkdtempSync(join(tmpdir(), "circus-logs-restart-"));
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const config = join(dir, "circus.ini");
    writeFileSync(
      config,
      `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
        `[watcher:gen]\ncmd = sh -c 'echo "gen $$ up"; exec sleep 300'\ngraceful_timeout = 1\n`,
    );
    const startOne = () => Bun.spawn([...circusCommand(), "daemon", config], { stdout: "ignore", stderr: "ignore" });
    const answering = () =>
      waitFor(async () => (await pyCall(endpoint, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
    let d = startOne();
    await answering();
    const follower = follow(endpoint, "--timeout", "2", "logs", "-f");
    try {
      const ups = (count: number) => (text: string) => (text.match(/ up\n/g) ?? []).length >= count;
      await follower.readUntil(ups(1));
      d.kill("SIGTERM");
      expect(await d.exited).toBe(0);
      d = startOne();
      await follower.readUntil(ups(2));
      expect(follower.text().match(/^gen\.\d+ \| gen \d+ up$/gm) ?? []).toHaveLength(2);
      const { code, stderr } = await follower.interrupt();
      expect(code).toBe(0);
      expect(stderr).toContain("circusctl: lost the daemon");
    } finally {
      d.kill("SIGTERM");
      await d.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});

describe("circus ctl logs -f through an output flood", () => {
  test("lines missed on poll after poll are said once, not once per poll", async () => {
    // A tail of 10 lines and bursts of 50: every poll of the follower finds lines it missed.
    const flood = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
tail_lines = 10

[watcher:burst]
cmd = sh -c 'while true; do seq 1 50; sleep 0.02; done'
graceful_timeout = 1
stdout_stream.class = NullStream
`);
    try {
      const follower = follow(flood.endpoint, "logs", "burst", "-f");
      // 40 bursts' worth of polls (at least 40 of them truncated) before it is interrupted.
      await follower.readUntil((text) => (text.match(/ 50\n/g) ?? []).length >= 40);
      expect(await follower.interrupt()).toEqual({
        code: 0,
        stderr: "circusctl: some lines were missed (the output outran the daemon's tail buffer)\n",
      });
    } finally {
      await flood.stop();
    }
  }, 20000);
});
