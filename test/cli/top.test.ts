// `circus top` in a real terminal (a private tmux server): rows for known loads from the stats
// stream, the fallback to polling the control channel, sorting, resizing and `q`; against a daemon with
// `statsd = true`, the stream found through globaloptions, restarts and colours.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeSshDir } from "../helpers/fake-ssh.ts";
import { startDaemon, waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { ROOT } from "../helpers/paths.ts";
import { freePort } from "../helpers/ports.ts";
import { until, waitFor } from "../helpers/wait.ts";
import { MB50, startLoadedDaemon, startStreamer, statSubscriber } from "../stats/helpers.ts";

const SOCKET = `circus-top-test-${process.pid}`; // a private tmux server, never the user's
const SESSION = "top";
/**
 * top redraws (and, without a stream, polls) 10 times a second and falls back after 1 s of silence: four
 * rounds of the tests' streamers, so that a loaded machine does not make it fall back by mistake.
 */
const TIMING = { streamGraceMs: 1000, frameMs: 100 };

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", "-L", SOCKET, ...args], { stderr: "pipe" });
  return r.stdout.toString();
}

function screen(): string[] {
  return tmux("capture-pane", "-p", "-t", SESSION).split("\n");
}

function startTop(args: string[], env: Record<string, string> = {}, timing = TIMING): void {
  const assignments = Object.entries({ CIRCUS_TEST_TIMING: JSON.stringify(timing), ...env }).map(
    ([k, v]) => `${k}=${v}`,
  );
  const cmd = ["env", ...assignments, process.execPath, join(ROOT, "test/fixtures/top-entry.ts"), ...args]
    .map((a) => `'${a}'`)
    .join(" ");
  tmux("new-session", "-d", "-x", "150", "-y", "40", "-s", SESSION, cmd);
}

/** The screen once `cond` holds for it (polled: a terminal has no event to wait on). */
async function waitScreen(cond: (lines: string[]) => boolean, ms: number, what: string): Promise<string[]> {
  let lines: string[] = [];
  try {
    return await waitFor(
      () => {
        lines = screen();
        return cond(lines) ? lines : null;
      },
      ms,
      what,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; screen:\n${lines.join("\n")}`);
  }
}

/** The heading line of `group` (its name, then the watcher's state and counts). */
const headingOf = (lines: string[], group: string) => lines.findIndex((l) => l.trim().split(/\s+/)[0] === group);

/** The row under `group`'s header whose first cell is `pid`: [pid, cpu, mem, rss, age]. */
function rowOf(lines: string[], group: string, pid: number): number[] | null {
  const start = headingOf(lines, group);
  if (start < 0) return null;
  for (const l of lines.slice(start + 2)) {
    if (l.trim() === "") return null;
    const cells = l.trim().split(/\s+/);
    if (Number(cells[0]) === pid) return cells.slice(0, 5).map(Number);
  }
  return null;
}

let d: RunningDaemon & { webPort: number };
let memTotal = 0;

beforeAll(async () => {
  d = await startLoadedDaemon();
  memTotal = Number(/^MemTotal:\s+(\d+)/m.exec(await Bun.file("/proc/meminfo").text())![1]) * 1024;
});
afterEach(async () => {
  tmux("kill-server");
  // The server goes away asynchronously: a session started before it has would die with it.
  await until(
    () => Bun.spawnSync(["tmux", "-L", SOCKET, "list-sessions"], { stderr: "pipe" }).exitCode !== 0,
    2000,
    "the tmux server to end",
  );
});
afterAll(async () => {
  await d?.stop();
});

/** Whether the screen shows figures from a stats stream (not polled from the control channel). */
const fromStream = (lines: string[]) => lines.some((line) => line.includes("stats stream "));
/** The watcher's one pid, once it has one (the daemon answers while it still starts its watchers). */
const pidOf = async (name: string) => (await waitPids(d, name, 1, 10_000))[0]!;

describe("circus top", () => {
  test("shows the busy worker's cpu and the 50 MB worker's memory from the stats stream; q quits", async () => {
    const statspoint = `tcp://127.0.0.1:${freePort()}`;
    startStreamer(d, statspoint);
    const { seen, stop } = await statSubscriber(statspoint);
    const [busy, hold] = [await pidOf("busy"), await pidOf("hold")];
    startTop(["--endpoint", statspoint, "--control-endpoint", d.endpoint]);
    // From the stream: a loaded machine can keep its first message past top's grace period, and top polls
    // the control channel meanwhile (then shows the rows too, with polled figures).
    const lines = await waitScreen(
      (l) => fromStream(l) && (rowOf(l, "busy", busy)?.[1] ?? 0) > 0 && rowOf(l, "hold", hold) !== null,
      15_000,
      "busy and hold rows from the stream",
    );
    expect(lines[0]).toBe("Circus Top");
    expect(lines.join("\n")).toContain(`stats stream ${statspoint}`);
    // The cpu shown is one the stream published for that pid (how busy it could be depends on the load).
    const [, cpu] = rowOf(lines, "busy", busy)!;
    await until(
      () => seen.some((m) => m.topic === `stat.busy.${busy}` && (m.body.cpu as number).toFixed(1) === cpu!.toFixed(1)),
      5000,
      `${cpu} among the busy worker's published cpu figures`,
    );
    stop();
    const [, , mem] = rowOf(lines, "hold", hold)!;
    const expected = (MB50 / memTotal) * 100;
    expect(mem).toBeGreaterThan(expected * 0.85);
    expect(mem).toBeLessThan(expected * 1.15);
    const [, , , rss] = rowOf(lines, "hold", hold)!;
    expect(rss).toBeGreaterThan(50 * 0.95);
    expect(rss).toBeLessThan(50 * 1.3);
    const header = headingOf(lines, "busy") + 1;
    expect(lines[headingOf(lines, "busy")]!.trim()).toBe("busy  active · 1 process · ↺ 0");
    expect(lines[header]!.trim().split(/\s{2,}/)).toEqual(["PID", "CPU (%)", "MEMORY (%)", "RSS (MB)", "AGE (s)"]);
    expect(lines.some((l) => /\(avg\)\s+[\d.]+ \(sum\)\s+[\d.]+ \(sum\)\s+\d+ \(older\)/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes(`${d.proc.pid} (circusd)`))).toBe(true);
    expect(lines.some((l) => l.includes(`127.0.0.1:${d.webPort}`))).toBe(true);

    tmux("send-keys", "-t", SESSION, "m");
    await waitScreen((l) => l.join("\n").includes("(sorted by mem)"), 3000, "sort by mem");
    tmux("resize-window", "-t", SESSION, "-x", "60", "-y", "30");
    await waitScreen(
      (l) => (l[1] ?? "").length === 60 && !(l[1] ?? "").includes("sorted by"),
      3000,
      "a redraw at 60 columns",
    );

    tmux("send-keys", "-t", SESSION, "q");
    await waitScreen(() => !tmux("list-sessions").includes(`${SESSION}:`), 5000, "top to quit");
  }, 40_000);

  test("over --ssh it reads the stats stream through an ssh tunnel", async () => {
    const statspoint = `tcp://127.0.0.1:${freePort()}`;
    startStreamer(d, statspoint);
    const busy = await pidOf("busy");
    const { dir, log } = fakeSshDir();
    startTop(["--endpoint", statspoint, "--control-endpoint", d.endpoint, "--ssh", "ops@gateway:2222"], {
      PATH: `${dir}:${process.env.PATH}`,
      FAKE_SSH_LOG: log,
    });
    const lines = await waitScreen(
      (l) => fromStream(l) && (rowOf(l, "busy", busy)?.[1] ?? 0) > 0,
      15_000,
      "the busy row through the tunnel",
    );
    expect(lines.join("\n")).not.toContain("no stats received");
    const argv = readFileSync(log, "utf8").split("\n");
    expect(argv).toContain("-N");
    expect(argv).toContain("ops@gateway");
    expect(argv[argv.indexOf("-p") + 1]).toBe("2222");
    expect(argv[argv.indexOf("-L") + 1]).toMatch(/^127\.0\.0\.1:\d+:127\.0\.0\.1:\d+$/);
  }, 30_000);

  test("without a stats stream it says why and polls stats over the control channel", async () => {
    const busy = await pidOf("busy");
    const silent = `tcp://127.0.0.1:${freePort()}`;
    startTop(["--endpoint", silent, "--control-endpoint", d.endpoint], {}, { ...TIMING, streamGraceMs: 200 });
    const idle = await pidOf("idle");
    const lines = await waitScreen(
      (l) => (rowOf(l, "busy", busy)?.[1] ?? 0) > 0 && rowOf(l, "idle", idle) !== null,
      10_000,
      "polled busy and idle rows",
    );
    const text = lines.join("\n");
    expect(text).toContain(`no stats received from ${silent} — is \`statsd = true\` set in [circus]?`);
    expect(text).toContain(`polling stats on ${d.endpoint}`);
    // Figures from `stats`: the busy worker used CPU in the same poll where the sleeping one used none.
    expect(rowOf(lines, "idle", idle)![1]).toBe(0);
    expect(rowOf(lines, "busy", busy)![1]).toBeLessThanOrEqual(100 * navigator.hardwareConcurrency + 5);
  }, 30_000);
});

describe("circus top beyond one screen and outside a terminal", () => {
  test("scrolls past what fits: End shows the last watcher, ? shows the keys", async () => {
    startTop(["--endpoint", `tcp://127.0.0.1:${freePort()}`, "--control-endpoint", d.endpoint]);
    await waitScreen((l) => l[0] === "Circus Top", 10_000, "the first screen");
    tmux("resize-window", "-t", SESSION, "-x", "100", "-y", "12");
    let lines = await waitScreen((l) => l.some((x) => /^lines 1–\d+ of \d+/.test(x)), 10_000, "a scroll footer");
    expect(lines.some((l) => l.startsWith("sockets"))).toBe(false);
    tmux("send-keys", "-t", SESSION, "End");
    lines = await waitScreen(
      (l) => l.some((x) => x.includes(`127.0.0.1:${d.webPort}`)),
      5000,
      "the sockets at the end",
    );
    expect(lines.some((l) => l.trim().startsWith("busy "))).toBe(false);
    tmux("send-keys", "-t", SESSION, "?");
    lines = await waitScreen((l) => l.some((x) => x.startsWith("Keys:")), 5000, "the help");
    expect(lines.join("\n")).toContain("PgUp PgDn  space");
    tmux("send-keys", "-t", SESSION, "x");
    await waitScreen((l) => !l.some((x) => x.startsWith("Keys:")), 5000, "any key to leave the help");
    tmux("send-keys", "-t", SESSION, "q");
  }, 30_000);

  test("into a pipe it prints one plain snapshot from the control channel, found through CIRCUSCTL_ENDPOINT", async () => {
    const busy = await pidOf("busy");
    const proc = Bun.spawn([process.execPath, join(ROOT, "test/fixtures/top-entry.ts")], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CIRCUSCTL_ENDPOINT: d.endpoint },
    });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).not.toContain("\x1b");
    const lines = out.split("\n");
    expect(lines[0]).toBe("Circus Top");
    expect(lines[1]).toBe(`control channel ${d.endpoint}`);
    expect(rowOf(lines, "busy", busy)).not.toBeNull();
    expect(lines[headingOf(lines, "busy")]).toBe("busy  active · 1 process · ↺ 0");
    expect(lines.some((l) => l.includes(`${d.proc.pid} (circusd)`))).toBe(true);
  });

  test("a bad endpoint or an unreachable daemon is one line, no stack trace", async () => {
    const run = async (...args: string[]) => {
      const proc = Bun.spawn([process.execPath, join(ROOT, "test/fixtures/top-entry.ts"), ...args], {
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: await proc.exited, err: await new Response(proc.stderr).text() };
    };
    expect(await run("--endpoint", "bogus")).toEqual({
      code: 2,
      err: 'circus-top: invalid endpoint "bogus": expected "tcp://host:port" or "ipc://path"\n',
    });
    const port = freePort();
    expect(await run("--once", "--control-endpoint", `tcp://127.0.0.1:${port}`)).toEqual({
      code: 1,
      err: `circus-top: cannot reach the daemon at tcp://127.0.0.1:${port}: connection refused (is the daemon running? check the endpoint)\n`,
    });
    expect((await run("--frobnicate")).err).toBe(
      "circus-top: unknown option --frobnicate (`circus-top --help` lists the options)\n",
    );
  });
});

describe("circus top against a daemon running its own stats streamer", () => {
  let own: RunningDaemon;
  let statspoint: string;

  beforeAll(async () => {
    statspoint = `tcp://127.0.0.1:${freePort()}`;
    own = await startDaemon(`
[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
check_delay = 1
statsd = true
stats_endpoint = ${statspoint}

[watcher:idle]
cmd = sleep 3600
`);
  });
  afterAll(async () => {
    await own?.stop();
  });

  /** An SGR escape (`ESC [ … m`); spelled with RegExp so that no control character sits in a literal. */
  const SGR = "\\x1b\\[[\\d;]*m";
  /** The heading line of watcher `name` on the screen. */
  const headingLine = (lines: string[], name: string) => lines[headingOf(lines, name)]?.trim() ?? "";

  test("given only the control endpoint it finds the stats stream through globaloptions; a killed worker shows ↺ 1", async () => {
    const [idle] = await waitPids(own, "idle", 1);
    // The daemon's streamer publishes once a second: top keeps to the stream for its usual 3 s.
    startTop(["--control-endpoint", own.endpoint], {}, { streamGraceMs: 3000, frameMs: 100 });
    let lines = await waitScreen(
      (l) => rowOf(l, "idle", idle!) !== null && l.join("\n").includes(`stats stream ${statspoint}`),
      20_000,
      "the idle row from the daemon's stats stream",
    );
    expect(lines.join("\n")).not.toContain("no stats received");
    expect(headingLine(lines, "idle")).toBe("idle  active · 1 process · ↺ 0");
    // The streamer is the daemon's own tool: its process is in the circus group, never an empty group.
    expect(lines.join("\n")).toMatch(/\(circusd-stats\)/);
    expect(lines.join("\n")).not.toContain("circusd.stats");
    // A worker that lived over a second and was killed from outside died on its own: one restart.
    await waitScreen((l) => (rowOf(l, "idle", idle!)?.[4] ?? 0) >= 2, 10_000, "the worker at 2 s of age");
    process.kill(idle!, "SIGKILL");
    const [next] = await waitFor(async () => {
      const pids = ((await own.call("list", { name: "idle" })).pids ?? []) as number[];
      return pids.length === 1 && pids[0] !== idle ? pids : null;
    });
    lines = await waitScreen(
      (l) => headingLine(l, "idle") === "idle  active · 1 process · ↺ 1" && rowOf(l, "idle", next!) !== null,
      15_000,
      "↺ 1 and the new worker's row",
    );
    expect(lines.join("\n")).toContain(`stats stream ${statspoint}`);
    tmux("send-keys", "-t", SESSION, "q");
  }, 40_000);

  test("colours the state word in a terminal (SGR escapes around it); NO_COLOR=1 turns them off", async () => {
    const heading = async (env: Record<string, string>): Promise<string> => {
      startTop(["--control-endpoint", own.endpoint], env, { streamGraceMs: 3000, frameMs: 100 });
      await waitScreen((l) => headingOf(l, "idle") >= 0, 20_000, "the idle heading");
      const raw = tmux("capture-pane", "-p", "-e", "-t", SESSION).split("\n");
      const line = raw.find((l) => l.replace(new RegExp(SGR, "g"), "").trim().startsWith("idle "));
      tmux("kill-server");
      await until(
        () => Bun.spawnSync(["tmux", "-L", SOCKET, "list-sessions"], { stderr: "pipe" }).exitCode !== 0,
        2000,
        "the tmux server to end",
      );
      return line ?? "";
    };
    // "active" in green (SGR 32), reset after it; the name in bold.
    const coloured = await heading({ NO_COLOR: "" });
    expect(coloured).toMatch(new RegExp(`\\x1b\\[[\\d;]*32[\\d;]*mactive${SGR}`));
    expect(coloured).toMatch(new RegExp(`\\x1b\\[(?:\\d+;)*1m(?:${SGR})*idle`));
    const plain = await heading({ NO_COLOR: "1" });
    expect(plain).toMatch(/^idle {2}active · \d process/);
    expect(plain).not.toContain("\x1b");
  }, 40_000);
});
