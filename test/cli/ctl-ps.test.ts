// `circus ctl ps` against a real daemon: one row per watcher with its state, processes, restarts, last
// exit, uptime, CPU and memory; coloured states on a terminal; --json.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { psTable, shortDuration, describeExit } from "../../src/protocol/commands/ps.ts";
import { readStat } from "../../src/os/proc.ts";
import { circusCommand, startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";

let daemon: RunningDaemon;

beforeAll(async () => {
  daemon = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:web]
cmd = sleep 300
numprocesses = 2
graceful_timeout = 1

[watcher:busy]
cmd = sh -c 'while :; do :; done'
graceful_timeout = 1

[watcher:idle]
cmd = sleep 301
autostart = false

[watcher:crasher]
cmd = sh -c 'sleep 1.1; exit 1'
graceful_timeout = 1

[watcher:missing]
cmd = /nonexistent/program
max_retry = 1
`);
  await waitPids(daemon, "web", 2);
  await waitPids(daemon, "busy", 1);
});

afterAll(async () => {
  await daemon.stop();
});

async function ctl(...args: string[]) {
  const proc = Bun.spawn([...circusCommand(), "ctl", "--endpoint", daemon.endpoint, ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** The table's rows as cells (two or more spaces apart), keyed by watcher. */
function rows(text: string): Map<string, string[]> {
  const lines = text.trimEnd().split("\n");
  return new Map(lines.slice(1).map((l) => [l.split(/\s{2,}/)[0]!, l.split(/\s{2,}/)]));
}

describe("circus ctl ps", () => {
  test("a row per watcher: state, running/wanted, uptime, CPU of a busy worker, RSS in MB", async () => {
    // The CPU figure is the growth between two samples: a first ps starts the samples, then the busy
    // worker really runs (≥ 5 ticks, however loaded the machine) before the ps under test.
    await ctl("ps");
    const [busy] = await waitPids(daemon, "busy", 1);
    const ticks = () => readStat(busy!)?.cpuTicks ?? 0;
    const before = ticks();
    await waitFor(() => ticks() >= before + 5, 15_000);
    const r = await ctl("ps");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(
      /^WATCHER\s+STATE\s+PROCS\s+RESTARTS\s+LAST EXIT\s+UPTIME\s+CPU %\s+RSS MB$/,
    );
    const table = rows(r.stdout);
    expect([...table.keys()].filter((k) => k !== "" && !k.includes(":"))).toEqual([
      "busy",
      "crasher",
      "idle",
      "missing",
      "web",
    ]);
    const [, state, procs, , , uptime, cpu, rss] = table.get("web")!;
    expect([state, procs]).toEqual(["active", "2/2"]);
    expect(uptime).toMatch(/^\d+s$/);
    expect(Number(cpu)).toBeLessThan(5);
    expect(Number(rss)).toBeGreaterThan(0);
    // A busy loop shows (how much depends on the machine's load), an idle sleeper does not.
    expect(Number(table.get("busy")![6])).toBeGreaterThan(Math.max(5, Number(cpu)));
    expect(table.get("idle")!.slice(1, 3)).toEqual(["stopped", "0/1"]);
    expect(table.get("idle")!.slice(5)).toEqual(["-", "-", "-"]);
  });

  test("a pattern picks watchers as start does; --json gives the rows", async () => {
    expect([...rows((await ctl("ps", "b*")).stdout).keys()]).toEqual(["busy"]);
    const reply = JSON.parse((await ctl("--json", "ps", "web")).stdout);
    expect(reply.status).toBe("ok");
    expect(reply.watchers).toHaveLength(1);
    expect(reply.watchers[0]).toMatchObject({ name: "web", status: "active", running: 2, wanted: 2 });
    expect(reply.watchers[0].rss).toBeGreaterThan(0);
    expect(await ctl("ps", "nope")).toMatchObject({ code: 3, stderr: "error: program nope not found\n" });
  });

  test("on a terminal the states are coloured", async () => {
    const line = [...circusCommand(), "ctl", "--endpoint", daemon.endpoint, "ps"].join(" ");
    const proc = Bun.spawn(["script", "-qec", line, "/dev/null"], { stdout: "pipe", stdin: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toContain("\x1b[32mactive \x1b[0m");
    expect(out).toContain("\x1b[31mstopped\x1b[0m");
  });
});

describe("restarts and the last exit", () => {
  test("a worker that keeps crashing: its restarts counted, the last exit with reason, status and age", async () => {
    await waitFor(
      async () => (JSON.parse((await ctl("--json", "ps", "crasher")).stdout).watchers[0].restarts as number) >= 1,
      10000,
      "a restart",
    );
    const row = rows((await ctl("ps", "crasher")).stdout).get("crasher")!;
    expect(Number(row[3])).toBeGreaterThanOrEqual(1);
    expect(row[4]).toMatch(/^crash \(status 1\) \d+s ago$/);
    const reply = JSON.parse((await ctl("--json", "ps", "crasher")).stdout);
    expect(reply.watchers[0].last_exit).toMatchObject({ status: 1, signal: null, reason: "crash" });
  });
});

describe("a watcher that gave up spawning", () => {
  test("says why under the table", async () => {
    await waitFor(
      async () => JSON.parse((await ctl("--json", "ps", "missing")).stdout).watchers[0].spawn_error !== null,
      10000,
      "the watcher to give up",
    );
    const text = (await ctl("ps")).stdout;
    expect(text).toMatch(/\n\nmissing: spawn error: [^\n]*\/nonexistent\/program[^\n]*max_retry = 1\)\n$/);
  });
});

describe("ps formatting", () => {
  test("durations, exits and the table", () => {
    expect([shortDuration(45.2), shortDuration(754), shortDuration(3 * 3600 + 5), shortDuration(2 * 86400)]).toEqual([
      "45s",
      "12m",
      "3h",
      "2d",
    ]);
    expect(describeExit({ pid: 1, status: 1, signal: null, reason: "crash", time: 100 }, 400)).toBe(
      "crash (status 1) 5m ago",
    );
    expect(describeExit({ pid: 1, status: null, signal: 9, reason: "kill", time: 100 }, 103)).toBe(
      "kill (SIGKILL) 3s ago",
    );
    expect(describeExit(null, 0)).toBe("-");
    const table = psTable(
      [
        {
          name: "web",
          status: "active",
          running: 3,
          wanted: 3,
          restarts: 2,
          last_exit: null,
          uptime: 61,
          cpu: 0.4,
          rss: 3 * 1048576,
        },
      ],
      0,
      false,
    );
    expect(table).toBe(
      "WATCHER  STATE   PROCS  RESTARTS  LAST EXIT  UPTIME  CPU %  RSS MB\nweb      active  3/3    2         -          1m      0.4    3.0",
    );
  });
});
