// `circus top` in a real terminal (a private tmux server): rows for known loads from the stats
// stream, the fallback to polling the control channel, sorting, resizing and `q`.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeSshDir } from "../helpers/fake-ssh.ts";
import type { RunningDaemon } from "../helpers/daemon.ts";
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

/** The row under `group`'s header whose first cell is `pid`: [pid, cpu, mem, age]. */
function rowOf(lines: string[], group: string, pid: number): number[] | null {
  const start = lines.findIndex((l) => l.trim() === group);
  if (start < 0) return null;
  for (const l of lines.slice(start + 2)) {
    if (l.trim() === "") return null;
    const cells = l.trim().split(/\s+/);
    if (Number(cells[0]) === pid) return cells.slice(0, 4).map(Number);
  }
  return null;
}

let d: RunningDaemon & { webPort: number };
let memTotal = 0;

beforeAll(async () => {
  d = await startLoadedDaemon();
  memTotal = Number(/^MemTotal:\s+(\d+)/m.exec(await Bun.file("/proc/meminfo").text())![1]) * 1024;
});
afterEach(() => {
  tmux("kill-server");
});
afterAll(async () => {
  await d?.stop();
});

const pidOf = async (name: string) => ((await d.call("list", { name })).pids as number[])[0]!;

describe("circus top", () => {
  test("shows the busy worker's cpu and the 50 MB worker's memory from the stats stream; q quits", async () => {
    const statspoint = `tcp://127.0.0.1:${freePort()}`;
    startStreamer(d, statspoint);
    const { seen, stop } = await statSubscriber(statspoint);
    const [busy, hold] = [await pidOf("busy"), await pidOf("hold")];
    startTop(["--endpoint", statspoint, "--control-endpoint", d.endpoint]);
    const lines = await waitScreen(
      (l) => (rowOf(l, "busy", busy)?.[1] ?? 0) > 0 && rowOf(l, "hold", hold) !== null,
      15_000,
      "busy and hold rows",
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
    const header = lines.findIndex((l) => l.trim() === "busy") + 1;
    expect(lines[header]!.trim().split(/\s{2,}/)).toEqual(["PID", "CPU (%)", "MEMORY (%)", "AGE (s)"]);
    expect(lines.some((l) => /\(avg\)\s+[\d.]+ \(sum\)\s+\d+ \(older\)/.test(l))).toBe(true);
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
      (l) => (rowOf(l, "busy", busy)?.[1] ?? 0) > 0,
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
