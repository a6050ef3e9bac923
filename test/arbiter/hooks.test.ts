import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HookConfig, HookName } from "../../src/config/types.ts";
import { truthy } from "../../src/arbiter/hooks.ts";
import { parseHook } from "../../src/config/options/hook.ts";
import { InvalidOptionError } from "../../src/arbiter/errors.ts";
import { alive, killLeftovers, standaloneWatcher, startedPids, until, wcfg } from "./helpers.ts";

afterEach(killLeftovers);

const fixture = join(import.meta.dir, "fixtures", "hooks.ts");
const calls = () => ((globalThis as Record<string, unknown>).__hookCalls ?? []) as string[];

function mod(exportName: string, ignoreErrors = false): HookConfig {
  return { target: { kind: "module", module: fixture, exportName, raw: `${fixture}:${exportName}` }, ignoreErrors };
}

function hooks(h: Partial<Record<HookName, HookConfig>>) {
  return h;
}

describe("hooks", () => {
  test("a before_start hook returning false aborts the start", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "h1", cmd: "sleep 30", hooks: hooks({ before_start: mod("refuse") }) }),
    );
    const res = await watcher.start();
    expect(res.started).toEqual([]);
    expect(watcher.status()).toBe("stopped");
    expect(rec.of("spawn")).toHaveLength(0);
    expect(rec.of("hook_success")[0]!.payload.name).toBe("before_start");
  });

  test("a hook returning nothing counts as false, as in Circus", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "h2", cmd: "sleep 30", hooks: hooks({ before_start: mod("nothing") }) }),
    );
    await watcher.start();
    expect(watcher.status()).toBe("stopped");
  });

  test("after_spawn receives the pid and spawn is emitted after it", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "h3", cmd: "sleep 30", hooks: hooks({ after_spawn: mod("allow") }) }),
    );
    const [pid] = (await watcher.start()).started;
    expect(calls()).toContain(`allow:after_spawn:${pid}`);
    const topics = rec.topics();
    expect(topics.indexOf("watcher.h3.hook_success")).toBeLessThan(topics.indexOf("watcher.h3.spawn"));
    await watcher.stop();
  });

  test("a failing before_spawn stops the watcher and emits hook_failure with the error", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "h4", cmd: "sleep 30", hooks: hooks({ before_spawn: mod("explode") }) }),
    );
    await watcher.start();
    expect(watcher.status()).toBe("stopped");
    expect(rec.of("hook_failure")[0]!.payload).toMatchObject({ name: "before_spawn", error: "boom" });
  });

  test("the ignore-errors flag turns a failure into success", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "h5", cmd: "sleep 30", hooks: hooks({ before_start: mod("explode", true) }) }),
    );
    const res = await watcher.start();
    expect(res.started).toHaveLength(1);
    await watcher.stop();
  });

  test("failures of before_stop are ignored by default", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "h6", cmd: "sleep 30", hooks: hooks({ before_stop: mod("explode") }) }),
    );
    await watcher.start();
    await watcher.stop();
    expect(watcher.status()).toBe("stopped");
  });

  test("a before_signal veto keeps the process alive unless the signal is SIGKILL", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "h7", cmd: "sleep 30", graceful_timeout: 0.3, hooks: hooks({ before_signal: mod("refuse") }) }),
    );
    const [pid] = (await watcher.start()).started;
    await watcher.signal({ signum: 15 });
    await Bun.sleep(50);
    expect(watcher.pids()).toEqual([pid!]);
    const t0 = Date.now();
    await watcher.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  test("a command hook gets CIRCUS_* variables and exit 0 means true", async () => {
    const out = join(tmpdir(), `circus-hook-${process.pid}`);
    rmSync(out, { force: true });
    const command = `echo "$CIRCUS_WATCHER $CIRCUS_HOOK $CIRCUS_PID $CIRCUS_ENDPOINT" >> ${out}`;
    const { watcher } = standaloneWatcher(
      wcfg({
        name: "h8",
        cmd: "sleep 30",
        hooks: hooks({ after_spawn: { target: { kind: "command", command, raw: command }, ignoreErrors: false } }),
      }),
    );
    const [pid] = (await watcher.start()).started;
    expect(watcher.status()).toBe("active");
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, "utf8").trim()).toBe(`h8 after_spawn ${pid} tcp://127.0.0.1:5555`);
    await watcher.stop();
    rmSync(out, { force: true });
  });

  test("a hook running past hooks_timeout fails", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({
        name: "h9",
        cmd: "sleep 30",
        hooks: hooks({
          before_start: { target: { kind: "command", command: "sleep 5", raw: "" }, ignoreErrors: false },
        }),
      }),
      { hooksTimeoutMs: 200 },
    );
    await watcher.start();
    expect(watcher.status()).toBe("stopped");
    expect(String(rec.of("hook_failure")[0]!.payload.error)).toContain("timed out");
  });
});

describe("what a false result means for each hook (§6)", () => {
  test("after_start: the watcher is stopped again, its processes gone", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "f1", cmd: "sleep 30", hooks: hooks({ after_start: mod("refuse") }) }),
    );
    await watcher.start();
    const [pid] = rec.of("spawn").map((e) => e.payload.process_pid as number);
    expect(watcher.status()).toBe("stopped");
    expect(alive(pid!)).toBe(false);
    expect(rec.topics().at(-1)).toBe("watcher.f1.stop");
  });

  test("before_spawn: nothing is spawned and the watcher stops; a reload ignores the refusal", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "f2", cmd: "sleep 30", hooks: hooks({ before_spawn: mod("refuse") }) }),
    );
    await watcher.start();
    expect(rec.of("spawn")).toHaveLength(0);
    expect(watcher.status()).toBe("stopped");

    const { watcher: w2, rec: r2 } = standaloneWatcher(wcfg({ name: "f2b", cmd: "sleep 30" }));
    const [pid] = (await w2.start()).started;
    await w2.setOption("hooks.before_spawn", `${fixture}:refuse`);
    await w2.reload({ graceful: true });
    expect(r2.of("reload")).toHaveLength(1);
    expect(w2.status()).toBe("active");
    expect(w2.pids()).toEqual([pid!]);
  });

  test("after_spawn: that process is stopped and the watcher stops", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "f3", cmd: "sleep 30", hooks: hooks({ after_spawn: mod("refuse") }) }),
    );
    await watcher.start();
    const pids = rec.of("kill").map((e) => e.payload.process_pid as number);
    expect(pids).toHaveLength(1);
    expect(alive(pids[0]!)).toBe(false);
    expect(rec.of("spawn")).toHaveLength(0);
    expect(watcher.status()).toBe("stopped");
  });

  test("before_stop, after_stop and after_signal: ignored, the stop completes", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({
        name: "f4",
        cmd: "sleep 30",
        hooks: hooks({ before_stop: mod("refuse"), after_stop: mod("explode"), after_signal: mod("refuse") }),
      }),
    );
    const [pid] = (await watcher.start()).started;
    await watcher.stop();
    expect(alive(pid!)).toBe(false);
    expect(watcher.status()).toBe("stopped");
  });

  test("before_reap and after_reap get pid, time and exit code; their result is ignored", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({
        name: "f5",
        cmd: "sleep 30",
        respawn: false,
        hooks: hooks({ before_reap: mod("refuse"), after_reap: mod("record") }),
      }),
    );
    const [pid] = (await watcher.start()).started;
    const before = calls().length;
    process.kill(pid!, 9);
    await until(() => watcher.status() === "stopped", 2000, "the watcher to stop");
    const reaped = calls()
      .slice(before)
      .filter((c) => c.startsWith("record:"))
      .map((c) => JSON.parse(c.slice(7)));
    expect(reaped).toHaveLength(1);
    expect(reaped[0]).toMatchObject({ hookName: "after_reap", pid, exitCode: -9 });
    expect(typeof reaped[0].time).toBe("number");
  });

  test("before_signal receives pid and signum; command hooks see them as CIRCUS_PID and CIRCUS_SIGNUM", async () => {
    const out = join(tmpdir(), `circus-sig-hook-${process.pid}`);
    rmSync(out, { force: true });
    const command = `echo "$CIRCUS_HOOK $CIRCUS_PID $CIRCUS_SIGNUM" >> ${out}`;
    const { watcher } = standaloneWatcher(
      wcfg({
        name: "f6",
        cmd: "sleep 30",
        hooks: hooks({ before_signal: { target: { kind: "command", command, raw: command }, ignoreErrors: false } }),
      }),
    );
    const [pid] = (await watcher.start()).started;
    await watcher.signal({ signum: 10 });
    await until(() => !alive(pid!), 2000, "SIGUSR1 to end sleep");
    expect(readFileSync(out, "utf8").trim().split("\n")[0]).toBe(`before_signal ${pid} 10`);
    rmSync(out, { force: true });
  });

  test("extended_stats enriches the stats object; its exception propagates without hook events", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "f7", cmd: "sleep 30", hooks: hooks({ extended_stats: mod("enrich") }) }),
    );
    const stats: Record<string, unknown> = { pid: 1 };
    await watcher.extendedStats(1, stats);
    expect(stats.extra).toBe("enriched");
    await watcher.setOption("hooks.extended_stats", `${fixture}:explode`);
    expect(watcher.extendedStats(1, {})).rejects.toThrow("boom");
    expect(rec.of("hook_success")).toHaveLength(0);
    expect(rec.of("hook_failure")).toHaveLength(0);
  });
});

describe("hooks set at run time", () => {
  test("set hooks.<name> resolves a relative module path against the config file's directory, not the cwd", async () => {
    const { watcher } = standaloneWatcher({
      ...wcfg({ name: "h10", cmd: "sleep 30" }),
      source: { file: join(import.meta.dir, "fixtures", "circus.ini"), line: 1 },
    });
    expect(process.cwd()).not.toBe(join(import.meta.dir, "fixtures"));
    await watcher.setOption("hooks.before_start", "./hooks.ts:refuse");
    expect(watcher.config.hooks.before_start!.target).toMatchObject({ kind: "module", module: fixture });
    expect((await watcher.start()).started).toEqual([]);
    expect(watcher.status()).toBe("stopped");
  });

  test("set hooks.<name> refuses a Python dotted target, naming both supported forms", () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "h11", cmd: "sleep 30" }));
    expect(() => watcher.setOptions({ "hooks.before_start": "myapp.hooks.check" })).toThrow(InvalidOptionError);
    expect(() => watcher.setOptions({ "hooks.before_start": "myapp.hooks.check" })).toThrow(
      /"\.\/hooks\.ts:check".*"cmd:\.\/check\.sh"/,
    );
  });
});

describe("hook helpers", () => {
  test("truthiness follows Python", () => {
    for (const v of [undefined, null, false, 0, "", [], {}]) expect(truthy(v)).toBe(false);
    for (const v of [true, 1, "x", [0], { a: 1 }]) expect(truthy(v)).toBe(true);
  });
  test("the hook grammar reads module and command targets with an optional flag", () => {
    expect(parseHook("/x/h.ts:check, true", "/")).toMatchObject({
      target: { kind: "module", module: "/x/h.ts", exportName: "check" },
      ignoreErrors: true,
    });
    expect(parseHook("cmd:notify.sh a,b", "/")).toMatchObject({
      target: { kind: "command", command: "notify.sh a,b" },
      ignoreErrors: false,
    });
  });
});

describe("a Python hook from a config file", () => {
  test("loads the rest; its watcher stays stopped, says why and how to port it, and starts once `set` ports the hook", async () => {
    const { loadText } = await import("../config/fixture.ts");
    const { Arbiter } = await import("../../src/arbiter/arbiter.ts");
    const { setLogSink } = await import("../../src/util/log.ts");
    const config = await loadText(
      "[watcher:good]\ncmd = sleep 30\n\n[watcher:hooked]\ncmd = sleep 30\nhooks.before_start = mypkg.hooks.check_redis\n",
    );
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    const arbiter = await Arbiter.create(config);
    arbiter.bus.subscribe((topic, payload) => {
      if (topic.endsWith(".spawn")) startedPids.add(payload.process_pid as number);
    });
    try {
      await arbiter.start();
      const good = arbiter.getWatcher("good")!;
      const hooked = arbiter.getWatcher("hooked")!;
      expect(good.status()).toBe("active");
      expect(hooked.status()).toBe("stopped");
      const why = hooked.exitState().spawnError!;
      expect(why).toStartWith('hooks.before_start = mypkg.hooks.check_redis: "mypkg.hooks.check_redis" is a Python');
      expect(why).toContain('"./hooks.ts:check_redis"');
      expect(lines.some((l) => l.includes("watcher hooked stays stopped") && l.includes("mypkg.hooks"))).toBe(true);
      // An explicit start does not run it either.
      expect((await hooked.start()).started).toEqual([]);
      expect(hooked.status()).toBe("stopped");
      await hooked.setOptions({ "hooks.before_start": "cmd:true" });
      expect(hooked.exitState().spawnError).toBeNull();
      expect((await hooked.start()).started).toHaveLength(1);
      expect(hooked.status()).toBe("active");
    } finally {
      setLogSink(previous);
      await arbiter.close();
    }
  });
});
