// `stats` keeps /proc files of sampled processes open between samples; none may outlive its process.

import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import { heldProcFiles } from "../../src/os/proc.ts";
import { ProcessSampler } from "../../src/stats/info.ts";
import { startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";

const running: RunningDaemon[] = [];
const strays: number[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** Pids whose /proc files the process `pid` holds open. */
function procFilesHeldBy(pid: number): Set<number> {
  const pids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^\/proc\/(\d+)\//.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) pids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return pids;
}

describe("held /proc files", () => {
  test("a reaped worker's files are closed at once, not after the 30 s sweep", async () => {
    const d = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n\n[watcher:w]\ncmd = sleep 300\nnumprocesses = 5\n",
    );
    running.push(d);
    const pids = await waitFor(async () => {
      const list = ((await d.call("list", { name: "w" })).pids ?? []) as number[];
      return list.length === 5 ? list : null;
    });
    expect((await d.call("stats", { name: "w" })).status).toBe("ok");
    const held = procFilesHeldBy(d.proc.pid);
    for (const pid of pids) expect(held.has(pid)).toBe(true);
    // Killed by the daemon (`signal`), so they are replaced at once: a death of their own this young
    // would wait out the respawn backoff.
    expect((await d.call("signal", { name: "w", signum: 9 })).status).toBe("ok");
    await waitFor(async () => {
      const list = ((await d.call("list", { name: "w" })).pids ?? []) as number[];
      return list.length === 5 && list.every((p) => !pids.includes(p));
    });
    const after = procFilesHeldBy(d.proc.pid);
    for (const pid of pids) expect(after.has(pid)).toBe(false);
  });

  test("a sampled child that dies has its files closed within seconds, even if nobody samples again", async () => {
    const parent = Bun.spawn(["sh", "-c", "sleep 300 & sleep 300 & wait"], { stdio: ["ignore", "ignore", "ignore"] });
    strays.push(parent.pid);
    // Files of processes gone are closed every 50 ms here (every 2 s in the daemon).
    const sampler = new ProcessSampler(50);
    const info = await waitFor(() => {
      const i = sampler.info(parent.pid);
      return i && i.children.length === 2 ? i : null;
    });
    const children = info.children.map((c) => c.pid);
    strays.push(...children);
    const before = heldProcFiles();
    for (const child of children) process.kill(child, "SIGKILL");
    await waitFor(() => heldProcFiles() <= before - 2, 5000, "the dead children's files to be closed");
    expect(procFilesHeldBy(process.pid).has(children[0]!)).toBe(false);
    sampler.forget(parent.pid);
  });
});
