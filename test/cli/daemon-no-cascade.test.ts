// No failure that spreads (issue 16, on decisions §1): a slot that keeps failing, or a resource limit
// hit while scaling up, never stops the workers that run fine. A real daemon, real workers; the
// open-files limit is lowered on the running daemon with prlimit so it is reached with a few workers.

import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { SubSocket } from "../../src/zmtp/index.ts";
import { FD_RESERVE } from "../../src/arbiter/fd-reserve.ts";
import { isAlive, pyCall, startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";

const running: RunningDaemon[] = [];
const subs: SubSocket[] = [];
afterEach(async () => {
  for (const s of subs.splice(0)) await s.close();
  for (const d of running.splice(0)) await d.stop();
});

const header = "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n\n";

/** The watcher's events as they arrive (topic → payloads), once the publisher has read the subscription. */
async function events(d: RunningDaemon, prefix: string) {
  const sub = new SubSocket();
  subs.push(sub);
  sub.subscribe(prefix);
  sub.connect(d.pubsub);
  await sub.subscribed();
  const seen: { topic: string; payload: Record<string, unknown> }[] = [];
  void (async () => {
    for (;;) {
      try {
        const [topic, body] = await sub.receive();
        const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
        seen.push({ topic: decode(topic), payload: JSON.parse(decode(body)) as Record<string, unknown> });
      } catch {
        return; // closed after the test
      }
    }
  })();
  return {
    of: (event: string) => seen.filter((e) => e.topic.endsWith(`.${event}`)).map((e) => e.payload),
  };
}

/** `status` of watcher w with its details (spawn_error). */
async function statusOf(d: RunningDaemon) {
  return (await d.call("status", { name: "w", details: true })) as { status: string; spawn_error?: string | null };
}

describe("one failing slot never stops its healthy siblings", () => {
  test("a slot whose process keeps dying at once (max_retry = 1): the other 9 run on, untouched", async () => {
    const d = await startDaemon(
      `${header}[watcher:w]\ncmd = sh {dir}/worker.sh $(circus.wid)\nnumprocesses = 10\nmax_retry = 1\n`,
      [],
      // Slot 10 exits with status 1 as soon as it starts, every time.
      { files: { "worker.sh": '[ "$1" = 10 ] && exit 1\nexec sleep 300\n' } },
    );
    running.push(d);
    const ev = await events(d, "watcher.w.");
    const healthy = await waitFor(async () => {
      const pids = ((await d.call("list", { name: "w" })).pids ?? []) as number[];
      return pids.length >= 9 ? pids : null;
    });
    // Three more deaths of slot 10, each replaced with a growing delay, well past max_retry = 1.
    await waitFor(() => ev.of("reap").filter((e) => e.reason === "crash").length >= 3 || null, 10_000);
    const status = await statusOf(d);
    expect(status.status).toBe("active");
    const now = ((await d.call("list", { name: "w" })).pids ?? []) as number[];
    const survivors = healthy.filter((pid) => isAlive(pid));
    expect(survivors.length).toBeGreaterThanOrEqual(9);
    for (const pid of survivors) expect(now).toContain(pid);
    expect(ev.of("kill")).toHaveLength(0);
    expect(ev.of("stop")).toHaveLength(0);
    expect(ev.of("spawn_failed")).toHaveLength(0); // a process that ran never counts toward max_retry
  });

  test("a slot whose program is missing (max_retry = 2): spawning gives up for it, the other 9 are kept", async () => {
    const files: Record<string, string> = {};
    for (let wid = 1; wid <= 9; wid++) files[`prog${wid}`] = "#!/bin/sh\nexec sleep 300\n";
    const d = await startDaemon(
      `${header}[watcher:w]\ncmd = {dir}/prog$(circus.wid)\nnumprocesses = 10\nmax_retry = 2\n`,
      [],
      {
        files,
        prepare: (dir) => {
          for (let wid = 1; wid <= 9; wid++) Bun.spawnSync(["chmod", "755", `${dir}/prog${wid}`]);
        },
      },
    );
    running.push(d);
    const status = await waitFor(async () => {
      const s = await statusOf(d);
      return typeof s.spawn_error === "string" && s.spawn_error.includes("max_retry = 2") ? s : null;
    });
    expect(status.status).toBe("active");
    expect(status.spawn_error).toContain(`${d.dir}/prog10`);
    const pids = await waitPids(d, "w", 9);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    expect(d.output()).toMatch(/giving up spawning: .*prog10.*; 9 processes keep running/);
  });
});

describe("a watcher that retries forever", () => {
  test("max_retry = -1 with a missing executable: `status` says why there is no process, an event once", async () => {
    const d = await startDaemon(`${header}[watcher:w]\ncmd = {dir}/missing-program\nmax_retry = -1\n`);
    running.push(d);
    const ev = await events(d, "watcher.w.");
    const status = await waitFor(async () => {
      const s = await statusOf(d);
      return /[3-9] failed spawns in a row/.test(s.spawn_error ?? "") ? s : null;
    });
    expect(status.status).toBe("active");
    expect(status.spawn_error).toContain(`${d.dir}/missing-program`);
    expect(status.spawn_error).toContain("retrying forever: max_retry = -1");
    expect((await d.call("list", { name: "w" })).pids).toEqual([]);
    // Subscribed after the episode began: a stop and a start make a new one, announced once.
    await d.call("stop", { name: "w", waiting: true });
    expect(await statusOf(d)).toMatchObject({ status: "stopped", spawn_error: null });
    await d.call("start", { name: "w" });
    await waitFor(async () => /[2-9] failed spawns/.test((await statusOf(d)).spawn_error ?? "") || null);
    expect(ev.of("spawn_retrying")).toHaveLength(1);
    expect(ev.of("spawn_retrying")[0]).toMatchObject({ transient: false });
    expect(ev.of("spawn_failed")).toHaveLength(0);
  });
});

/** The open-files limits (soft, hard) of `pid`. */
function nofile(pid: number): [number, number] {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.split(/\s+/).slice(3, 5).map(Number);
  return [soft!, hard!];
}

function setSoftNofile(pid: number, soft: number): void {
  const [, hard] = nofile(pid);
  const r = Bun.spawnSync(["prlimit", `--pid=${pid}`, `--nofile=${soft}:${hard}`]);
  if (r.exitCode !== 0) throw new Error(`prlimit failed: ${r.stderr.toString()}`);
}

describe("a resource limit hit while scaling up", () => {
  test("EMFILE at `incr`: the running workers stay, the missing ones are retried; log, status and an event say so", async () => {
    const d = await startDaemon(`${header}[watcher:w]\ncmd = sleep 300\nnumprocesses = 3\nmax_retry = 1\n`);
    running.push(d);
    const first = await waitPids(d, "w", 3);
    const ev = await events(d, "watcher.w.");
    const pid = d.proc.pid;
    const [soft] = nofile(pid);
    // Room for a few more captured workers (2 socket ends and a pidfd each) besides the fds the daemon
    // keeps for itself; 40 more would take every fd there is.
    const limit = readdirSync(`/proc/${pid}/fd`).length + FD_RESERVE + 12;
    setSoftNofile(pid, limit);
    const from = d.output().length;
    await d.call("incr", { name: "w", nb: 40 });
    await d.log.waitFor(/watcher w: cannot spawn for now \(.*EMFILE.*\).*processes kept/, 10_000, from);
    await waitFor(() => ev.of("spawn_retrying").length > 0 || null, 5000);
    expect(ev.of("spawn_retrying")[0]).toMatchObject({ transient: true });
    const status = await statusOf(d);
    expect(status.status).toBe("active");
    expect(status.spawn_error).toContain("EMFILE");
    expect(status.spawn_error).toContain("retrying with backoff");
    const during = ((await d.call("list", { name: "w" })).pids ?? []) as number[];
    expect(during.length).toBeGreaterThan(3);
    expect(during.length).toBeLessThan(43);
    for (const p of first) expect(isAlive(p)).toBe(true);
    // The daemon kept fds for itself: a client connecting now is answered (the operator's `stop` would be).
    expect(readdirSync(`/proc/${pid}/fd`).length).toBeLessThanOrEqual(limit - FD_RESERVE + 3);
    expect((await pyCall(d.endpoint, "status", { name: "w" }, 5000)).status).toBe("active");
    expect(ev.of("kill")).toHaveLength(0);
    expect(ev.of("stop")).toHaveLength(0);
    expect(ev.of("spawn_failed")).toHaveLength(0);

    // The limit is raised again: the missing ones come, the error is gone.
    setSoftNofile(pid, soft);
    const all = await waitPids(d, "w", 43, 15_000);
    for (const p of [...first, ...during]) expect(all).toContain(p);
    await d.log.waitFor("watcher w: spawning works again", 5000, from);
    expect((await statusOf(d)).spawn_error ?? null).toBeNull();
  });
});
