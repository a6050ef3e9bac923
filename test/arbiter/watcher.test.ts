import { afterEach, describe, expect, test } from "bun:test";
import { alive, killLeftovers, procEnviron, standaloneWatcher, until, wcfg } from "./helpers.ts";

afterEach(killLeftovers);

describe("Watcher", () => {
  test("start spawns numprocesses workers and stop ends them all", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "Sleepy One", cmd: "sleep 30", numprocesses: 3 }));
    const res = await watcher.start();
    expect(res.started).toHaveLength(3);
    expect(watcher.status()).toBe("active");
    for (const pid of res.started) expect(alive(pid)).toBe(true);
    expect(watcher.processes().map((p) => p.wid).sort()).toEqual([1, 2, 3]);
    await watcher.stop();
    expect(watcher.status()).toBe("stopped");
    for (const pid of res.started) expect(alive(pid)).toBe(false);
    expect(rec.topics()).toContain("watcher.sleepy_one.start");
    expect(rec.topics().at(-1)).toBe("watcher.sleepy_one.stop");
  });

  test("a worker killed with SIGKILL is replaced in well under a second", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "w", cmd: "sleep 30" }));
    const [pid] = (await watcher.start()).started;
    const t0 = Date.now();
    process.kill(pid!, 9);
    await until(() => watcher.pids().length === 1 && watcher.pids()[0] !== pid, 1000, "replacement");
    expect(Date.now() - t0).toBeLessThan(1000);
    await watcher.stop();
  });

  test("events for one worker come in the order spawn, kill, reap", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "ev", cmd: "sleep 30" }));
    const [pid] = (await watcher.start()).started;
    await watcher.stop();
    const mine = rec.events.filter((e) => e.payload.process_pid === pid).map((e) => e.topic);
    expect(mine).toEqual(["watcher.ev.spawn", "watcher.ev.kill", "watcher.ev.reap"]);
    const reap = rec.of("reap")[0]!;
    expect(reap.payload.exit_code).toBe(-15);
  });

  test("the child sees exactly the configured environment", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "env", cmd: "sleep 30", env: { PATH: "/usr/bin:/bin", COLOR: "blue" } }),
    );
    const [pid] = (await watcher.start()).started;
    expect(procEnviron(pid!)).toEqual({ PATH: "/usr/bin:/bin", COLOR: "blue" });
    await watcher.stop();
  });
});
