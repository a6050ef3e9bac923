// Readiness probes on real processes (decisions §6): a start waits for them, a probe that never passes
// is a failed spawn counted toward max_retry, a crash before ready is reported, a graceful reload rolls
// one process at a time, and each probe kind passes on what the process really does.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeProbe } from "../../src/arbiter/probes.ts";
import { READY_DEFAULTS } from "../../src/config/options/ready.ts";
import type { ReadyConfig } from "../../src/config/options/ready.ts";
import { ReadinessError } from "../../src/arbiter/errors.ts";
import { WatcherOutput } from "../../src/streams/output.ts";
import { PYTHON as PY } from "../helpers/paths.ts";
import { freePort } from "../helpers/ports.ts";
import { removeDir, tempDir } from "../helpers/temp.ts";
import { defer } from "../helpers/cleanup.ts";
import { setLogSink } from "../../src/util/log.ts";
import { alive, killLeftovers, standaloneWatcher, until, wcfg } from "./helpers.ts";

afterEach(killLeftovers);

/** A worker that sends READY=1 to its NOTIFY_SOCKET after `delay` seconds, then sleeps. */
const NOTIFY_WORKER = (delay: number) =>
  `${PY} -c "import os,socket,time; time.sleep(${delay}); s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.sendto(b'STATUS=warm\\nREADY=1', os.environ['NOTIFY_SOCKET']); time.sleep(60)"`;

const ready = (r: Partial<ReadyConfig>): ReadyConfig => ({ ...READY_DEFAULTS, ...r });

describe("a start with a probe", () => {
  test("late readiness: the watcher is `starting` until every process is ready, then `active`; events say so", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "late", cmd: NOTIFY_WORKER(0.4), numprocesses: 2, ready: ready({ notify: true, timeout: 10 }) }),
    );
    const started = Date.now();
    const starting = watcher.start();
    await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn")).length === 2);
    expect(watcher.status()).toBe("starting");
    const { started: pids } = await starting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(watcher.status()).toBe("active");
    expect(pids.sort()).toEqual(watcher.pids().sort());
    const perProcess = rec.of("ready").filter((e) => e.payload.process_pid !== undefined);
    expect(perProcess.map((e) => e.payload.process_pid).sort()).toEqual(pids.sort());
    // The watcher's own `ready` (no pid) comes once all are, then `start`.
    const topics = rec.topics().map((t) => t.split(".")[2]);
    expect(topics.slice(-2)).toEqual(["ready", "start"]);
    expect(rec.of("ready").at(-1)!.payload.process_pid).toBeUndefined();
    await watcher.stop();
  });

  test("a ready.timeout past what a timer holds (1e10 s) is a long wait, not an instant failure", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "patient", cmd: NOTIFY_WORKER(0.3), ready: ready({ notify: true, timeout: 1e10 }) }),
    );
    const { started } = await watcher.start();
    expect(started).toHaveLength(1);
    expect(watcher.status()).toBe("active");
    expect(rec.of("reap")).toHaveLength(0);
    await watcher.stop();
  });

  test("never ready: the probe times out, the process is killed as `spawn_failed` and replaced, until max_retry", async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    defer(() => void setLogSink(previous));
    const { watcher, rec } = standaloneWatcher(
      wcfg({
        name: "never",
        cmd: "sleep 60",
        max_retry: 2,
        graceful_timeout: 1,
        ready: ready({ tcp: "127.0.0.1:9", interval: 0.1, timeout: 0.3 }),
      }),
    );
    const err = await watcher.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadinessError);
    expect((err as Error).message).toContain("not ready after 0.3 s (ready.tcp 127.0.0.1:9: connection refused)");
    // The first process was stopped for it; a second one is tried, then the watcher gives up.
    await until(() => watcher.status() === "stopped", 5000, "the watcher to give up");
    const reaps = rec.of("reap");
    expect(reaps.map((e) => e.payload.reason)).toEqual(["spawn_failed", "spawn_failed"]);
    expect(rec.of("spawn")).toHaveLength(2);
    expect(rec.topics()).toContain("watcher.never.spawn_failed");
    expect(watcher.exitState().spawnError).toContain("ready.tcp 127.0.0.1:9");
    for (const e of rec.of("spawn")) expect(alive(e.payload.process_pid as number)).toBe(false);
    // The give-up does not count the process being stopped for it among those that keep running.
    expect(lines.find((l) => l.includes("giving up spawning"))).toEndWith("; 0 processes keep running");
  });

  test("a crash before ready fails the waiting start with the exit, and the watcher goes on replacing it", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "crashy", cmd: "sh -c 'sleep 0.1; exit 3'", ready: ready({ notify: true, timeout: 10 }) }),
    );
    const err = await watcher.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadinessError);
    expect((err as Error).message).toMatch(/process \d+ exited before it was ready \(crash, status 3; ready\.notify/);
    expect(watcher.status()).toBe("starting");
    await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn")).length >= 2, 5000);
    expect(rec.of("ready")).toHaveLength(0);
    await watcher.stop();
    expect(watcher.status()).toBe("stopped");
  });

  test("a stop during a start that waits for readiness ends the wait with an error, at once", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "cut", cmd: "sleep 60", ready: ready({ notify: true }) }));
    const starting = watcher.start().catch((e: unknown) => e);
    await until(() => watcher.pids().length === 1, 2000, "the spawn");
    await watcher.stop();
    const err = await starting;
    expect(err).toBeInstanceOf(ReadinessError);
    expect((err as Error).message).toContain("stopped before it was ready");
  });

  test("incr waits for the new processes to be ready", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "grow", cmd: NOTIFY_WORKER(0.3), ready: ready({ notify: true, timeout: 10 }) }),
    );
    await watcher.start();
    const t0 = Date.now();
    expect(await watcher.incr(2)).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(watcher.readyCount()).toBe(3);
    await watcher.stop();
  });
});

describe("probe kinds", () => {
  test("ready.cmd runs in the watcher's env with $(circus.pid) substituted, until it exits 0", async () => {
    const dir = tempDir("circus-probe-");
    try {
      const { watcher } = standaloneWatcher(
        wcfg({
          name: "cmdprobe",
          cmd: `sh -c 'sleep 0.3; touch ${dir}/up.$$; exec sleep 60'`,
          env: { PATH: process.env.PATH ?? "/bin:/usr/bin", MARK: dir },
          ready: ready({ cmd: 'test -e "$MARK/up.$(circus.pid)"', interval: 0.05 }),
        }),
      );
      const [pid] = (await watcher.start()).started;
      expect(watcher.isReady(pid!)).toBe(true);
      await watcher.stop();
    } finally {
      removeDir(dir);
    }
  });

  test("ready.log matches a line the process writes (captured output), only its own", async () => {
    const cfg = wcfg({
      name: "logprobe",
      cmd: "sh -c 'echo booting; sleep 0.2; echo listening on $$ >&2; exec sleep 60'",
      ready: ready({ log: "^listening on \\d+" }),
    });
    const { watcher, rec } = standaloneWatcher(cfg, {
      openOutput: (c) => WatcherOutput.open(c, { configDir: process.cwd(), tailLines: 0 }),
    });
    await watcher.openOutput();
    const [pid] = (await watcher.start()).started;
    expect(rec.of("ready")[0]!.payload.process_pid).toBe(pid);
    await watcher.stop();
    await watcher.closeOutput();
  });

  test("ready.http needs a 2xx answer at the per-process address", async () => {
    // The worker answers 503 first, then 200: the probe waits for the 200.
    const script = `
const port = Number(process.argv[2]);
let calls = 0;
Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("x", { status: ++calls < 3 ? 503 : 200 }) });
setInterval(() => {}, 1000);`;
    const dir = tempDir("circus-http-");
    try {
      await Bun.write(join(dir, "w.js"), script);
      const port = freePort();
      const { watcher } = standaloneWatcher(
        wcfg({
          name: "httpprobe",
          cmd: `${process.execPath} ${join(dir, "w.js")} ${port}`,
          ready: ready({ http: `http://127.0.0.1:${port}/health`, interval: 0.05, timeout: 10 }),
        }),
      );
      const [pid] = (await watcher.start()).started;
      expect(watcher.isReady(pid!)).toBe(true);
      await watcher.stop();
    } finally {
      removeDir(dir);
    }
  });
});

describe("a probe's reason", () => {
  test("an attempt cut short by the end of the wait does not replace the last real reason", async () => {
    const dir = tempDir("circus-reason-");
    try {
      // The first attempt fails at once; the second hangs until the wait ends (it says so first).
      const command = `if [ -e ${dir}/first ]; then touch ${dir}/second; exec sleep 30; fi; touch ${dir}/first; echo refused >&2; exit 3`;
      const subject = {
        pid: process.pid,
        vars: new Map(),
        env: { PATH: process.env.PATH ?? "/bin:/usr/bin" },
        cwd: null,
        lines: null,
        notifications: null,
      };
      const probe = makeProbe("cmd", command, 10, subject);
      const waiting = new AbortController();
      const run = probe.run(waiting.signal);
      await until(() => existsSync(join(dir, "second")), 5000, "the second attempt");
      expect(probe.lastError).toBe("exited 3: refused");
      waiting.abort();
      await run;
      expect(probe.lastError).toBe("exited 3: refused");
    } finally {
      removeDir(dir);
    }
  });
});

describe("a graceful reload with a probe", () => {
  test("rolls: each old process is stopped only after its replacement is ready", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "roll", cmd: NOTIFY_WORKER(0.1), numprocesses: 2, ready: ready({ notify: true, timeout: 10 }) }),
    );
    const old = (await watcher.start()).started;
    expect(watcher.readyCount()).toBe(2);
    const mark = rec.events.length;
    // The ready count never drops below numprocesses: a process being stopped no longer counts.
    const counts = new Set<number>();
    const sampler = setInterval(() => counts.add(watcher.readyCount()), 1);
    const result = await watcher.reload();
    clearInterval(sampler);
    expect(Math.min(...counts)).toBe(2);
    expect(watcher.readyCount()).toBe(2);
    expect(result.stopped.sort()).toEqual(old.sort());
    expect(result.started).toHaveLength(2);
    // spawn → ready → kill (an old one), twice; the stops may overlap the next spawn.
    const steps = rec.events
      .slice(mark)
      .map((e) => `${e.topic.split(".")[2]}:${e.payload.process_pid ?? "-"}`)
      .filter((s) => !s.startsWith("reap"));
    const [a, b] = result.started;
    const firstKill = steps.findIndex((s) => s.startsWith("kill:"));
    expect(steps.indexOf(`ready:${a}`)).toBeLessThan(firstKill);
    const secondKill = steps.findIndex((s, i) => i > firstKill && s.startsWith("kill:"));
    expect(steps.indexOf(`ready:${b}`)).toBeLessThan(secondKill);
    expect(steps.at(-1)).toBe("reload:-");
    await watcher.stop();
    expect(watcher.readyCount()).toBe(0);
  });

  test("a rolling reload cut short by a stop fails instead of answering that it reloaded", async () => {
    const { watcher, rec } = standaloneWatcher(
      wcfg({ name: "cut", cmd: NOTIFY_WORKER(0.3), numprocesses: 2, ready: ready({ notify: true, timeout: 10 }) }),
    );
    await watcher.start();
    const reloading = watcher.reload().catch((e: unknown) => e);
    await rec.waitFor((e) => e.filter((x) => x.topic.endsWith(".spawn")).length === 3);
    await watcher.stop();
    const err = await reloading;
    expect(err).toBeInstanceOf(ReadinessError);
    expect((err as Error).message).toBe("reload of cut did not finish: the watcher was stopped meanwhile");
    expect(rec.of("reload")).toHaveLength(0);
    expect(watcher.status()).toBe("stopped");
  });

  test("a replacement that never gets ready ends the reload with an error and keeps the old processes", async () => {
    const dir = tempDir("circus-roll-");
    try {
      // The first generation notifies; once the marker file exists, new processes never do.
      const cmd = `sh -c 'test -e ${dir}/broken && exec sleep 60; exec ${NOTIFY_WORKER(0).replaceAll("'", "'\\''")}'`;
      const { watcher } = standaloneWatcher(
        wcfg({
          name: "stuck",
          cmd,
          numprocesses: 2,
          graceful_timeout: 1,
          // Long enough for the first generation to notify on a loaded machine; the broken one never does.
          ready: ready({ notify: true, timeout: 2 }),
        }),
      );
      const old = (await watcher.start()).started;
      await Bun.write(join(dir, "broken"), "");
      const err = await watcher.reload().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReadinessError);
      expect((err as Error).message).toContain("reload of stuck stopped:");
      expect((err as Error).message).toContain("2 old processes keep running");
      await until(() => watcher.pids().length === 2, 3000, "the failed replacement to go");
      expect(watcher.pids().sort()).toEqual(old.sort());
      expect(watcher.status()).toBe("active");
      await watcher.stop();
    } finally {
      removeDir(dir);
    }
  });
});
