// Decisions §1 and §2 on real processes: what counts toward max_retry, the backoff, what exhaustion
// does, and the reason of every exit (on the reap event and kept by the watcher).

import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RespawnTiming } from "../../src/arbiter/backoff.ts";
import { exitReason, isTransientSpawnError, lastExitOf } from "../../src/arbiter/exits.ts";
import { OsError } from "../../src/os/errors.ts";
import { setLogSink } from "../../src/util/log.ts";
import { runScript } from "../helpers/processes.ts";
import { alive, killLeftovers, standaloneWatcher, until, wcfg } from "./helpers.ts";

afterEach(killLeftovers);

const gapsOf = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

/**
 * The daemon's respawn delays (100 ms doubling, a 1 s floor under the cap, quick deaths under 1 s) at a
 * quarter of their size, so a crash loop of six spawns takes a fraction of a second; the rules are the
 * same (test/arbiter/backoff.test.ts checks the daemon's values).
 */
const QUICK: RespawnTiming = { firstDelayMs: 25, minCapMs: 250, quickDeathMs: 1000 };

describe("exit reasons", () => {
  test("an exit after a daemon signal within graceful_timeout is `signal`; otherwise status 0 is `exit`, else `crash`", () => {
    expect(exitReason(-15, 1500, 1000, 30_000)).toBe("signal");
    expect(exitReason(0, 1500, 1000, 30_000)).toBe("signal");
    expect(exitReason(-15, 40_000, 1000, 30_000)).toBe("crash");
    expect(exitReason(0, 1500, null, 30_000)).toBe("exit");
    expect(exitReason(3, 1500, null, 30_000)).toBe("crash");
    expect(exitReason(-9, 1500, null, 30_000)).toBe("crash");
  });

  test("the last exit splits Circus's exit_code into status and signal", () => {
    expect(lastExitOf(42, -9, "crash", 1500)).toEqual({ pid: 42, status: null, signal: 9, reason: "crash", time: 1.5 });
    expect(lastExitOf(42, 3, "crash", 2000)).toEqual({ pid: 42, status: 3, signal: null, reason: "crash", time: 2 });
  });

  test("EMFILE, ENFILE, EAGAIN and ENOMEM are transient, also as a cause; ENOENT and EACCES are not", () => {
    expect(isTransientSpawnError(new OsError("socket", 24))).toBe(true);
    expect(isTransientSpawnError(new Error("spawn", { cause: new OsError("socket", 23) }))).toBe(true);
    expect(isTransientSpawnError(Object.assign(new Error("posix_spawn"), { code: "EAGAIN" }))).toBe(true);
    expect(isTransientSpawnError(Object.assign(new Error("posix_spawn"), { code: "ENOMEM" }))).toBe(true);
    expect(isTransientSpawnError(Object.assign(new Error("posix_spawn"), { code: "ENOENT" }))).toBe(false);
    expect(isTransientSpawnError(new OsError("execve", 13))).toBe(false);
  });
});

describe("a process that ran never counts toward max_retry", () => {
  test("a command exiting at once is respawned with delays doubling from the first, and the watcher stays active past max_retry", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "crash", cmd: "false", max_retry: 2 }), {
      checkDelayMs: 100,
      respawnTiming: QUICK,
    });
    await watcher.start();
    await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn")).length >= 6, 6000);
    expect(watcher.status()).toBe("active");
    expect(rec.topics()).not.toContain("watcher.crash.stop");
    expect(rec.topics()).not.toContain("watcher.crash.spawn_failed");
    const gaps = gapsOf(rec.of("spawn").map((e) => e.at));
    // 25, 50, 100, 200, then 250 ms (the cap is max(check_delay, the floor)), each plus the time `false` takes.
    expect(gaps[0]!).toBeGreaterThanOrEqual(20);
    expect(gaps[1]!).toBeGreaterThanOrEqual(45);
    expect(gaps[2]!).toBeGreaterThanOrEqual(95);
    expect(gaps[3]!).toBeGreaterThanOrEqual(195);
    expect(gaps[4]!).toBeGreaterThanOrEqual(245);
    const reaps = rec.of("reap");
    expect(reaps.length).toBeGreaterThanOrEqual(5);
    for (const r of reaps) expect([r.payload.reason, r.payload.exit_code]).toEqual(["crash", 1]);
    const state = watcher.exitState();
    expect(state.spawnError).toBeNull();
    expect(state.restarts).toBeGreaterThanOrEqual(5);
    expect(state.lastExit).toMatchObject({ status: 1, signal: null, reason: "crash" });
    expect(watcher.processes()[0]?.restarts ?? state.restarts).toBeGreaterThanOrEqual(5);
    await watcher.stop();
  }, 10_000);

  test("a short periodic job (exit 0) keeps being run, far past max_retry = 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-job-"));
    try {
      const { watcher, rec } = standaloneWatcher(
        wcfg({ name: "job", cmd: `sh -c 'date +%s%N >> ${dir}/runs; exit 0'`, max_retry: 1 }),
        { checkDelayMs: 100, respawnTiming: QUICK },
      );
      await watcher.start();
      await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".reap")).length >= 5, 6000);
      expect(watcher.status()).toBe("active");
      expect(rec.of("reap").map((e) => e.payload.reason)).toEqual(Array(rec.of("reap").length).fill("exit"));
      expect(watcher.exitState().exits.exit).toBeGreaterThanOrEqual(5);
      await watcher.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 10_000);

  test("a process that lived past the quick-death limit is respawned at once, without the backoff of earlier quick deaths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-lived-"));
    try {
      // Quick deaths are under 600 ms here (1 s in the daemon), room for a loaded machine's slow shell.
      // Four runs die at once (delays 50, 100, 200, 400 ms), the fifth lives 0.9 s and exits 0.
      const timing: RespawnTiming = { firstDelayMs: 50, minCapMs: 1000, quickDeathMs: 600 };
      const cmd = `sh -c 'n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/n; [ "$n" -ge 4 ] && sleep 0.9; exit 0'`;
      const { watcher, rec } = standaloneWatcher(wcfg({ name: "lived", cmd }), {
        checkDelayMs: 5000,
        respawnTiming: timing,
      });
      await watcher.start();
      await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn")).length >= 6, 8000);
      const reaps = rec.of("reap");
      const spawns = rec.of("spawn");
      // The wait before the 6th spawn would be 800 ms if the long run had not cleared the backoff.
      expect(spawns[5]!.at - reaps[4]!.at).toBeLessThan(400);
      expect(spawns[4]!.at - reaps[3]!.at).toBeGreaterThanOrEqual(390);
      expect(reaps.map((r) => r.payload.reason)).toEqual(Array(reaps.length).fill("exit"));
      await watcher.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 10_000);

  test("`signal TERM` sent twice never stops the watcher (max_retry = 1): each death is `signal` and is replaced at once", async () => {
    // A backoff would hold the replacement 2 s (a quick death's first delay): "at once" is well under that,
    // however loaded the machine.
    const respawnTiming: RespawnTiming = { firstDelayMs: 2000, minCapMs: 4000, quickDeathMs: 1000 };
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "sleeper", cmd: "sleep 30", max_retry: 1 }), {
      respawnTiming,
    });
    await watcher.start();
    for (let round = 0; round < 2; round++) {
      const [pid] = watcher.pids();
      await watcher.signal({ signum: 15 });
      await until(() => watcher.pids().length === 1 && watcher.pids()[0] !== pid, 5000, "a replacement");
      const reap = rec.of("reap").find((e) => e.payload.process_pid === pid)!;
      expect(reap.payload).toMatchObject({ exit_code: -15, reason: "signal" });
      const spawn = rec.of("spawn").find((e) => e.at >= reap.at)!;
      expect(spawn.at - reap.at).toBeLessThan(1000);
    }
    expect(watcher.status()).toBe("active");
    expect(watcher.exitState()).toMatchObject({ restarts: 0, spawnError: null, lastExit: { reason: "signal" } });
    await watcher.stop();
  });

  test("a worker killed from outside with SIGKILL is a `crash`, reaped and respawned", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "victim", cmd: "sleep 30" }));
    const [pid] = (await watcher.start()).started;
    process.kill(pid!, "SIGKILL");
    await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn")).length === 2, 2000);
    expect(rec.of("reap")[0]!.payload).toMatchObject({ process_pid: pid, exit_code: -9, reason: "crash" });
    expect(watcher.processes()[0]).toMatchObject({
      wid: 1,
      restarts: 1,
      lastExit: { pid, signal: 9, status: null, reason: "crash" },
    });
    await watcher.stop();
  });
});

describe("spawn failures and max_retry", () => {
  test("a missing executable counts: after max_retry = 2 failed spawns the watcher gives up, says why and stops", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "missing", cmd: "/nonexistent/prog", max_retry: 2 }));
    const t0 = Date.now();
    await watcher.start();
    await until(() => watcher.status() === "stopped", 3000, "stopped");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90); // one 100 ms backoff between the two attempts
    expect(rec.topics()).toEqual(["watcher.missing.spawn_failed", "watcher.missing.stop"]);
    const event = rec.of("spawn_failed")[0]!.payload;
    expect(event.error).toContain("/nonexistent/prog");
    expect(event.error).toContain("max_retry = 2");
    expect(watcher.exitState().spawnError).toBe(event.error as string);
  });

  test("setup that fails in the launcher (here its exec) is a failed spawn: reason spawn_failed, counted toward max_retry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-noexec-"));
    try {
      writeFileSync(join(dir, "prog"), "#!/bin/sh\nexec sleep 30\n"); // not executable
      // An rlimit makes the spawn go through the launcher, which applies it and then execs.
      const { watcher, rec } = standaloneWatcher(
        wcfg({ name: "noexec", cmd: `${dir}/prog`, max_retry: 2, rlimits: { nofile: 1024 } }),
      );
      await watcher.start();
      await until(() => watcher.status() === "stopped", 5000, "the watcher to give up");
      const reaps = rec.of("reap");
      expect(reaps.map((e) => e.payload.reason)).toEqual(["spawn_failed", "spawn_failed"]);
      expect(rec.topics().filter((t) => t.endsWith(".spawn_failed"))).toHaveLength(1);
      expect(rec.topics().at(-1)).toBe("watcher.noexec.stop");
      const { spawnError, lastExit, restarts } = watcher.exitState();
      expect(spawnError).toContain("permission denied");
      expect(spawnError).toContain("max_retry = 2");
      expect(lastExit).toMatchObject({ reason: "spawn_failed", status: 127 });
      expect(restarts).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a program started through the launcher leaves the daemon no more fds than a direct spawn, once it runs", async () => {
    // Counted in a process of its own: this one's fd table also changes with what other tests left closing.
    const counts = await runScript<{
      before: number;
      afterDirect: number;
      afterLauncher: number;
      launchFailure: string | null;
      running: boolean;
    }>("test/fixtures/launcher-fds.ts");
    expect(counts).toMatchObject({ launchFailure: null, running: true });
    const { before, afterDirect, afterLauncher } = counts;
    expect(afterLauncher! - afterDirect!).toBe(afterDirect! - before!);
  });

  test("max_retry 0 never spawns and the watcher stops at once", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "never", cmd: "sleep 30", max_retry: 0 }));
    await watcher.start();
    expect(rec.of("spawn")).toHaveLength(0);
    expect(watcher.status()).toBe("stopped");
    expect(watcher.exitState().spawnError).toContain("max_retry is 0");
  });

  test("exhaustion keeps the processes that run: status stays active, then stopped when the last one exits; start retries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-wid-"));
    try {
      // Slot 1's program exists, slot 2's does not.
      writeFileSync(join(dir, "prog1"), "#!/bin/sh\nexec sleep 30\n");
      chmodSync(join(dir, "prog1"), 0o755);
      const { watcher, rec } = standaloneWatcher(
        wcfg({ name: "half", cmd: `${dir}/prog$(circus.wid)`, numprocesses: 2, max_retry: 2 }),
      );
      await watcher.start();
      await rec.waitFor((e) => e.some((x) => x.topic === "watcher.half.spawn_failed"), 3000);
      const [pid] = watcher.pids();
      expect(watcher.pids()).toHaveLength(1);
      expect(watcher.status()).toBe("active");
      expect(watcher.exitState().spawnError).toContain(`${dir}/prog2`);
      // Nothing more is tried while it has given up.
      await Bun.sleep(300);
      expect(rec.of("spawn")).toHaveLength(1);
      // An explicit start retries (and gives up again, here).
      await watcher.start();
      await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn_failed")).length === 2, 3000);
      expect(watcher.status()).toBe("active");
      process.kill(pid!, "SIGKILL");
      await until(() => watcher.status() === "stopped", 2000, "the watcher to stop with its last process");
      expect(rec.topics().at(-1)).toBe("watcher.half.stop");
      expect(alive(pid!)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("transient failures (EMFILE) never count: retried with backoff past max_retry, logged once, then it spawns", async () => {
    let failures = 0;
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const { watcher, rec } = standaloneWatcher(wcfg({ name: "fds", cmd: "sleep 30", max_retry: 1 }), {
        respawnTiming: QUICK,
        acquireSockets: async () => {
          if (failures++ < 4) throw new OsError("socket", 24, "so_reuseport socket");
          return { fds: new Map(), release: () => {} };
        },
      });
      await watcher.start();
      await rec.waitFor((e) => e.some((x) => x.topic.endsWith(".spawn")), 4000);
      expect(failures).toBe(5);
      expect(watcher.status()).toBe("active");
      expect(watcher.exitState().spawnError).toBeNull();
      expect(rec.topics()).not.toContain("watcher.fds.spawn_failed");
      expect(lines.filter((l) => l.includes("cannot spawn for now"))).toHaveLength(1);
      expect(lines.filter((l) => l.includes("spawning works again"))).toHaveLength(1);
      await watcher.stop();
    } finally {
      setLogSink(previous);
    }
  });
});

describe("spawning that fails without giving up shows the truth", () => {
  test("transient failures: `spawn_error` says so while they last, one `spawn_retrying` event, running processes kept", async () => {
    let failing = false;
    let failures = 0;
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "emfile", cmd: "sleep 30", numprocesses: 2, max_retry: 1 }),
      {
        acquireSockets: async () => {
          if (failing) {
            failures++;
            throw new OsError("socket", 24, "so_reuseport socket");
          }
          return { fds: new Map(), release: () => {} };
        },
      },
    );
    const running = (await watcher.start()).started;
    expect(running).toHaveLength(2);
    failing = true;
    await watcher.incr(2);
    await rec.waitFor((e) => e.some((x) => x.topic === "watcher.emfile.spawn_retrying"), 3000);
    const event = rec.of("spawn_retrying")[0]!.payload;
    expect(event).toMatchObject({ transient: true });
    expect(event.error).toContain("EMFILE");
    expect(watcher.exitState().spawnError).toContain("transient: retrying with backoff");
    expect(watcher.status()).toBe("active");
    expect(watcher.pids()).toEqual(running);
    // More backed-off attempts (past max_retry = 1): still one event, the running ones untouched.
    await until(() => failures >= 4, 3000, "more attempts");
    expect(rec.of("spawn_retrying")).toHaveLength(1);
    for (const pid of running) expect(alive(pid)).toBe(true);
    failing = false;
    await until(() => watcher.pids().length === 4, 3000, "the missing two once fds are back");
    expect(watcher.exitState().spawnError).toBeNull();
    expect(rec.of("kill")).toHaveLength(0);
    await watcher.stop();
  });

  test("max_retry = -1 with a missing executable: active, 0 processes, `spawn_error` says why; it spawns once the file exists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-forever-"));
    try {
      const prog = join(dir, "prog");
      const { watcher, rec } = standaloneWatcher(wcfg({ name: "forever", cmd: prog, max_retry: -1 }));
      await watcher.start();
      await rec.waitFor((e) => e.some((x) => x.topic === "watcher.forever.spawn_retrying"), 3000);
      await until(() => (watcher.exitState().spawnError ?? "").includes("2 failed spawns"), 3000, "a second failure");
      expect(watcher.pids()).toHaveLength(0);
      expect(watcher.status()).toBe("active");
      const error = watcher.exitState().spawnError!;
      expect(error).toContain(prog);
      expect(error).toContain("retrying forever: max_retry = -1");
      expect(rec.of("spawn_retrying")[0]!.payload).toMatchObject({ transient: false });
      expect(rec.of("spawn_failed")).toHaveLength(0);
      writeFileSync(prog, "#!/bin/sh\nexec sleep 30\n");
      chmodSync(prog, 0o755);
      await until(() => watcher.pids().length === 1, 4000, "the spawn once the program exists");
      expect(watcher.exitState().spawnError).toBeNull();
      expect(rec.of("spawn_retrying")).toHaveLength(1);
      await watcher.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deaths the daemon caused", () => {
  test("decr, a graceful reload and kill emit `kill` but no `reap` (as Circus); stop and a sequential reload reap with their reason", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "ev", cmd: "sleep 30", numprocesses: 3 }));
    await watcher.start();
    const reapsAfter = async (work: () => Promise<unknown>) => {
      const before = rec.events.length;
      await work();
      return rec.events.slice(before).filter((e) => e.topic.endsWith(".reap"));
    };
    expect(await reapsAfter(() => watcher.decr(1))).toEqual([]);
    expect(await reapsAfter(() => watcher.decr(1))).toEqual([]);
    expect(rec.of("kill")).toHaveLength(2);
    await watcher.incr(1);
    expect(await reapsAfter(() => watcher.reload({ graceful: true }))).toEqual([]);
    expect(await reapsAfter(() => watcher.kill({}))).toEqual([]);
    const sequential = await reapsAfter(() => watcher.reload({ graceful: true, sequential: true }));
    expect(sequential.map((e) => e.payload.reason)).toEqual(["reload", "reload"]);
    const stopped = await reapsAfter(() => watcher.stop());
    expect(stopped.map((e) => e.payload.reason)).toEqual(["stop", "stop"]);
    const { exits, restarts } = watcher.exitState();
    expect(exits).toMatchObject({ stop: 4, reload: 4, kill: 2, crash: 0, exit: 0 });
    expect(restarts).toBe(0);
  });

  test("a graceful reload kills the old generation newest first, then emits reload, as Circus orders them", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "gen", cmd: "sleep 30", numprocesses: 3 }));
    const old = (await watcher.start()).started;
    const before = rec.events.length;
    await watcher.reload({ graceful: true });
    const after = rec.events.slice(before).map((e) => `${e.topic.split(".")[2]} ${e.payload.process_pid ?? ""}`.trim());
    expect(after.slice(3)).toEqual(
      [...old]
        .reverse()
        .map((pid) => `kill ${pid}`)
        .concat("reload"),
    );
    expect(after.slice(0, 3).every((e) => e.startsWith("spawn "))).toBe(true);
  });

  test("max_age recycles a worker older than max_age + a random 0…max_age_variance seconds, with reason max_age, without a reap event", async () => {
    // The watcher's clock runs ahead of real time by `ahead` ms: the worker ages without the test waiting.
    let ahead = 0;
    // Math.random at its top: the variance term is the whole max_age_variance (1 s), so the limit is 2 s.
    const random = spyOn(Math, "random").mockReturnValue(0.999);
    try {
      const { watcher, rec } = standaloneWatcher(
        wcfg({ name: "aged", cmd: "sleep 30", max_age: 1, max_age_variance: 1 }),
        { now: () => Date.now() + ahead },
      );
      const [first] = (await watcher.start()).started;
      ahead = 1900;
      await watcher.manageProcesses();
      expect(watcher.pids()).toEqual([first!]);
      ahead = 2100;
      await watcher.manageProcesses();
      expect(watcher.pids()).toHaveLength(1);
      expect(watcher.pids()[0]).not.toBe(first);
      expect(alive(first!)).toBe(false);
      expect(rec.of("reap")).toEqual([]);
      expect(watcher.exitState().lastExit).toMatchObject({ pid: first, reason: "max_age", signal: 15 });
      await watcher.stop();
    } finally {
      random.mockRestore();
    }
  });
});
