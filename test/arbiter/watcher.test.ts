import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childrenOf } from "../../src/os/process.ts";
import { InvalidOptionError, OperationError } from "../../src/arbiter/errors.ts";
import {
  alive,
  execDone,
  killLeftovers,
  procEnviron,
  standaloneWatcher,
  startedPids,
  until,
  wcfg,
  zombieChildren,
} from "./helpers.ts";
import { waitTrap } from "../helpers/processes.ts";

const hupFile = join(tmpdir(), `circus-hup-${process.pid}`);
rmSync(hupFile, { force: true });

afterEach(killLeftovers);

describe("Watcher", () => {
  test("start spawns numprocesses workers and stop ends them all", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "Sleepy One", cmd: "sleep 30", numprocesses: 3 }));
    const res = await watcher.start();
    expect(res.started).toHaveLength(3);
    expect(watcher.status()).toBe("active");
    for (const pid of res.started) expect(alive(pid)).toBe(true);
    expect(
      watcher
        .processes()
        .map((p) => p.wid)
        .sort(),
    ).toEqual([1, 2, 3]);
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
    await execDone(pid!);
    expect(procEnviron(pid!)).toEqual({ PATH: "/usr/bin:/bin", COLOR: "blue" });
    await watcher.stop();
  });
});

describe("Watcher stop procedure", () => {
  test("a worker ignoring SIGTERM is SIGKILLed after graceful_timeout", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "stubborn", cmd: "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'", graceful_timeout: 0.5 }),
    );
    const [pid] = (await watcher.start()).started;
    await waitTrap(pid!, "TERM");
    const t0 = Date.now();
    await watcher.stop();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2000);
    expect(alive(pid!)).toBe(false);
    expect(rec.of("reap")[0]!.payload.exit_code).toBe(-9);
    expect(rec.of("kill").filter((e) => e.payload.process_pid === pid)).toHaveLength(2);
  });

  test("a grandchild does not outlive a stop", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "gc", cmd: "sh -c 'sleep 30 & wait'" }));
    const [pid] = (await watcher.start()).started;
    let grandchild = 0;
    await until(
      () => {
        grandchild = childrenOf(pid!)[0] ?? 0;
        return grandchild > 0;
      },
      2000,
      "grandchild",
    );
    startedPids.add(grandchild);
    await watcher.stop();
    await until(() => !alive(grandchild), 1000, "grandchild gone");
  });

  test("stop_children sends the stop signal to each direct child too", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "kids", cmd: "sh -c 'sleep 30 & sleep 30 & wait'", stop_children: true, graceful_timeout: 1 }),
    );
    const [pid] = (await watcher.start()).started;
    await until(() => childrenOf(pid!).length === 2, 2000, "children");
    const kids = childrenOf(pid!);
    await watcher.stop();
    const killed = rec.of("kill").map((e) => e.payload.process_pid);
    for (const kid of kids) expect(killed).toContain(kid);
    await until(() => kids.every((kid) => !alive(kid)), 1000, "children gone");
  });

  test("no zombie is left after a storm of 100 kills across workers", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "storm", cmd: "sleep 30", numprocesses: 5, max_retry: -1 }));
    await watcher.start();
    for (let i = 0; i < 100; i++) {
      const pids = watcher.pids();
      const victim = pids[i % pids.length];
      if (victim !== undefined) {
        try {
          process.kill(victim, 9);
        } catch {
          // already dead
        }
      }
      await Bun.sleep(5);
    }
    await until(() => watcher.pids().length === 5, 5000, "refill");
    await watcher.stop();
    await until(() => zombieChildren().length === 0, 2000, "no zombies");
    expect(zombieChildren()).toEqual([]);
  });
});

describe("Watcher respawn policy", () => {
  test("with respawn=false exited workers are not replaced and the watcher stops when none remain", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "once", cmd: "sleep 0.2", numprocesses: 2, respawn: false }),
    );
    await watcher.start();
    await rec.waitFor((e) => e.some((x) => x.topic === "watcher.once.stop"), 3000);
    expect(rec.of("spawn")).toHaveLength(2);
    expect(watcher.status()).toBe("stopped");
  });

  test("a start fills each empty slot once, even when its workers exit while it is still spawning", async () => {
    // Workers that exit at once free their slot while the start yields between spawns; like Circus's
    // loop, the start still spawns exactly numprocesses processes, wids 1…n, and none twice.
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "quick", cmd: "true", numprocesses: 10, respawn: false, warmup_delay: 0.02 }),
    );
    await watcher.start();
    await rec.waitFor((e) => e.some((x) => x.topic === "watcher.quick.stop"), 5000);
    expect(rec.of("spawn")).toHaveLength(10);
    expect(rec.of("reap")).toHaveLength(10);
  });

  test("a worker dying young during a start delays its own replacement, never its siblings' first spawn", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({
        name: "mixed",
        cmd: "sh -c 'test $(circus.wid) -eq 1 || exec sleep 30'",
        numprocesses: 6,
        warmup_delay: 0.02,
      }),
    );
    await watcher.start();
    // When start returns, every sibling of the crashing slot runs: none waited for its backoff.
    expect(
      watcher
        .processes()
        .map((p) => p.wid)
        .filter((w) => w !== 1)
        .sort(),
    ).toEqual([2, 3, 4, 5, 6]);
    await watcher.stop();
  });

  test("with respawn=false, killing every worker stops the watcher (stop event), as an exit does", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "killed", cmd: "sleep 30", numprocesses: 2, respawn: false }),
    );
    await watcher.start();
    await watcher.kill({ signum: 9 });
    await rec.waitFor((e) => e.some((x) => x.topic === "watcher.killed.stop"), 3000);
    expect(watcher.status()).toBe("stopped");
    expect(watcher.pids()).toHaveLength(0);
  });

  test("with respawn=false, workers recycled by max_age are not replaced and the watcher stops", async () => {
    // The watcher's clock runs ahead of real time: the worker is past max_age without the test waiting.
    let ahead = 0;
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "aged1", cmd: "sleep 30", respawn: false, max_age: 0.3, max_age_variance: 0 }),
      { now: () => Date.now() + ahead },
    );
    await watcher.start();
    ahead = 500;
    await watcher.manageProcesses();
    await rec.waitFor((e) => e.some((x) => x.topic === "watcher.aged1.stop"), 3000);
    expect(rec.of("spawn")).toHaveLength(1);
    expect(watcher.status()).toBe("stopped");
  });

  test("with respawn=false, killing one of two workers leaves the watcher active", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "half", cmd: "sleep 30", numprocesses: 2, respawn: false }));
    const [a, b] = (await watcher.start()).started;
    await watcher.kill({ pid: a, signum: 9 });
    expect(watcher.pids()).toEqual([b!]);
    expect(watcher.status()).toBe("active");
  });
});

describe("Watcher sizing", () => {
  test("a singleton watcher ignores incr", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "one", cmd: "sleep 30", singleton: true }));
    await watcher.start();
    expect(await watcher.incr(2)).toBe(1);
    expect(watcher.pids()).toHaveLength(1);
  });

  test("incr and decr change the target and the process count", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "elastic", cmd: "sleep 30", numprocesses: 2 }));
    await watcher.start();
    const before = watcher.pids();
    expect(await watcher.incr(2)).toBe(4);
    expect(watcher.pids()).toHaveLength(4);
    expect(await watcher.decr(3)).toBe(1);
    expect(watcher.pids()).toHaveLength(1);
    // The oldest go first.
    expect(before).not.toContain(watcher.pids()[0]);
    expect(await watcher.decr(5)).toBe(0);
  });

  test("a freed wid slot is reused by the replacement", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "slots", cmd: "sleep 30", numprocesses: 3 }));
    await watcher.start();
    const victim = watcher.processes().find((p) => p.wid === 2)!;
    process.kill(victim.pid, 9);
    await until(() => watcher.pids().length === 3 && !watcher.pids().includes(victim.pid), 2000, "replacement");
    const replacement = watcher.processes().find((p) => !p.pid || (p.pid !== victim.pid && p.wid === 2));
    expect(replacement?.wid).toBe(2);
    expect(
      watcher
        .processes()
        .map((p) => p.wid)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  test("$(circus.wid) is substituted per process", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "wids", cmd: "sleep 3$(circus.wid)", numprocesses: 2 }));
    await watcher.start();
    expect(
      watcher
        .processes()
        .map((p) => p.cmd)
        .sort(),
    ).toEqual(["sleep 31", "sleep 32"]);
  });
});

describe("Watcher reload", () => {
  test("a graceful reload spawns a new generation then stops the old one", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "gen", cmd: "sleep 30", numprocesses: 2 }));
    const old = (await watcher.start()).started;
    const res = await watcher.reload();
    expect(res.stopped.sort()).toEqual(old.sort());
    expect(res.started).toHaveLength(2);
    expect(res.kept).toEqual([]);
    const topics = rec.topics().slice(rec.topics().indexOf("watcher.gen.start") + 1);
    expect(topics.slice(0, 2)).toEqual(["watcher.gen.spawn", "watcher.gen.spawn"]);
    expect(topics.at(-1)).toBe("watcher.gen.reload");
  });

  test("a sequential reload replaces processes one at a time", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "seq", cmd: "sleep 30", numprocesses: 2 }));
    await watcher.start();
    const res = await watcher.reload({ sequential: true });
    expect(res.started).toHaveLength(2);
    const after = rec
      .topics()
      .slice(rec.topics().indexOf("watcher.seq.start") + 1)
      .map((t) => t.split(".")[2]);
    expect(after).toEqual(["kill", "reap", "spawn", "kill", "reap", "spawn", "reload"]);
  });

  test("with send_hup a reload sends SIGHUP and keeps the pids", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({
        name: "hup",
        cmd: "sh -c 'trap \"echo hup >> $0\" HUP; while :; do sleep 0.05; done' " + hupFile,
        send_hup: true,
      }),
    );
    const [pid] = (await watcher.start()).started;
    await waitTrap(pid!, "HUP");
    const res = await watcher.reload();
    expect(res.kept).toEqual([pid!]);
    await until(() => existsSync(hupFile), 2000, "hup marker");
  });

  test("a reload whose new processes cannot be spawned keeps the old ones and stops trying after the first failure", async () => {
    // numprocesses = 40 failing spawns used to be tried one after another, past max_retry, with two
    // error lines each (and, with a huge numprocesses, for ever, the control channel starved).
    const { watcher } = standaloneWatcher(wcfg({ name: "badnew", cmd: "sleep 30", numprocesses: 40, max_retry: 2 }));
    const old = (await watcher.start()).started;
    await watcher.setOptions({ cmd: "/nonexistent/program" });
    expect(
      watcher
        .processes()
        .map((p) => p.pid)
        .sort(),
    ).toEqual(old.sort());
    for (const pid of old) expect(alive(pid)).toBe(true);
    expect(watcher.exitState().spawnError).toContain("(1 failed spawns in a row");
    await watcher.stop();
  });

  test("set cmd reloads the watcher with the new command and emits updated", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "setter", cmd: "sleep 30" }));
    await watcher.start();
    await watcher.setOptions({ cmd: "sleep 31", graceful_timeout: 1 });
    expect(rec.of("updated")).toHaveLength(2);
    expect(watcher.processes()[0]!.cmd).toBe("sleep 31");
    expect(watcher.options().graceful_timeout).toBe(1);
  });
});

describe("Watcher options", () => {
  test("options lists Circus's option names plus free options", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "opts", cmd: "sleep 30", free: { "flapping.attempts": "3" } }));
    const opts = watcher.options();
    expect(opts.numprocesses).toBe(1);
    expect(opts.stdout_stream_conf).toEqual({});
    expect(opts["flapping.attempts"]).toBe("3");
    expect("autostart" in opts).toBe(false);
  });

  test("set rejects unknown keys and singleton growth, and set numprocesses resizes", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "s1", cmd: "sleep 30", singleton: true }));
    expect(() => watcher.setOptions({ bogus: 1 })).toThrow(InvalidOptionError);
    expect(() => watcher.setOptions({ numprocesses: 2 })).toThrow(OperationError);
    expect(() => watcher.setOptions({ numprocesses: "2" })).toThrow(InvalidOptionError);
    const { watcher: w2 } = standaloneWatcher(wcfg({ name: "s2", cmd: "sleep 30" }));
    await w2.start();
    await w2.setOption("numprocesses", 3);
    expect(w2.pids()).toHaveLength(3);
  });

  test("warmup_delay spaces out spawns", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "warm", cmd: "sleep 30", numprocesses: 2, warmup_delay: 0.2 }),
    );
    await watcher.start();
    const [a, b] = rec.of("spawn").map((e) => e.at);
    expect(b! - a!).toBeGreaterThanOrEqual(180);
  });
});
