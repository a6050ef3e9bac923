import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import type { SocketConfig } from "../../src/config/types.ts";
import { type Arbiter, createArbiter, SocketBindError, WatcherExistsError } from "../../src/arbiter/index.ts";
import type { ArbiterOptions } from "../../src/arbiter/arbiter.ts";
import { readFileSync, readlinkSync } from "node:fs";
import { umask } from "../../src/os/process.ts";
import { Recorder, alive, execDone, killLeftovers, socketCfg, startedPids, until, wcfg } from "./helpers.ts";
import { freePort } from "../helpers/ports.ts";
import { waitTrap } from "../helpers/processes.ts";

const arbiters: Arbiter[] = [];
afterEach(async () => {
  for (const a of arbiters.splice(0)) await a.close().catch(() => {});
  killLeftovers();
});

/** Whether a tcp socket of this host listens on `port` (/proc/net/tcp, ports in hex). */
function listensOn(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .some((line) => {
      const cells = line.trim().split(/\s+/);
      return cells[1]?.endsWith(`:${hex}`) && cells[3] === "0A";
    });
}

async function make(
  watchers: Parameters<typeof createArbiter>[0],
  sockets: SocketConfig[] = [],
  checkDelay = 0.2,
  options: ArbiterOptions = {},
) {
  const withEnv = watchers.map((w) => wcfg(w));
  const arbiter = await createArbiter(withEnv, { sockets, circus: { check_delay: checkDelay }, arbiter: options });
  arbiters.push(arbiter);
  const rec = new Recorder(arbiter.bus);
  arbiter.bus.subscribe((topic, payload) => {
    if (topic.endsWith(".spawn")) startedPids.add(payload.process_pid as number);
  });
  return { arbiter, rec };
}

describe("Arbiter", () => {
  test("watchers start in descending priority order", async () => {
    const { arbiter, rec } = await make([
      { name: "low", cmd: "sleep 30", priority: 1 },
      { name: "high", cmd: "sleep 30", priority: 10 },
      { name: "mid", cmd: "sleep 30", priority: 5 },
    ]);
    await arbiter.start();
    expect(rec.topics(".spawn")).toEqual(["watcher.high.spawn", "watcher.mid.spawn", "watcher.low.spawn"]);
    expect(arbiter.numprocesses()).toBe(3);
    expect(arbiter.watchers().map((w) => w.name)).toEqual(["high", "low", "mid"]);
  });

  test("a watcher with autostart=false is created but not started", async () => {
    const { arbiter } = await make([{ name: "manual", cmd: "sleep 30", autostart: false }]);
    await arbiter.start();
    expect(arbiter.getWatcher("MANUAL")!.status()).toBe("stopped");
  });

  test("three node workers share one listening socket and answer HTTP", async () => {
    const { arbiter } = await make(
      [
        {
          name: "web",
          cmd: `node ${import.meta.dir}/fixtures/http-worker.cjs $(circus.sockets.web)`,
          numprocesses: 3,
          use_sockets: true,
        },
      ],
      [socketCfg("web")],
    );
    await arbiter.start();
    const [sock] = arbiter.sockets();
    expect(sock!.port).toBeGreaterThan(0);
    const pids = new Set(arbiter.getWatcher("web")!.pids());
    const answers = new Set<number>();
    for (let i = 0; i < 40 && answers.size < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${sock!.port}/`, { headers: { connection: "close" } }).catch(
        () => null,
      );
      if (res) answers.add(Number(await res.text()));
      else await Bun.sleep(50);
    }
    expect(answers.size).toBeGreaterThan(0);
    for (const pid of answers) expect(pids.has(pid)).toBe(true);
  });

  test("an on_demand watcher starts on the first connection, and only it", async () => {
    const { arbiter } = await make(
      [
        {
          name: "lazy",
          cmd: `node ${import.meta.dir}/fixtures/http-worker.cjs $(circus.sockets.lazy)`,
          on_demand: true,
          use_sockets: true,
        },
        { name: "other", cmd: "sleep 30", autostart: false },
      ],
      [socketCfg("lazy")],
    );
    await arbiter.start();
    const lazy = arbiter.getWatcher("lazy")!;
    expect(lazy.status()).toBe("stopped");
    const conn = connect(arbiter.sockets()[0]!.port, "127.0.0.1");
    await until(() => lazy.status() === "active", 3000, "on-demand start");
    conn.destroy();
    expect(arbiter.getWatcher("other")!.status()).toBe("stopped");
  });

  test("addWatcher creates a stopped watcher and emits add; a duplicate name is refused", async () => {
    const { arbiter, rec } = await make([]);
    const w = await arbiter.addWatcher(wcfg({ name: "Dyn", cmd: "sleep 30" }));
    expect(w.status()).toBe("stopped");
    expect(rec.topics()).toEqual(["watcher.dyn.add"]);
    expect(arbiter.addWatcher(wcfg({ name: "dyn", cmd: "sleep 1" }))).rejects.toBeInstanceOf(WatcherExistsError);
    await arbiter.addWatcher(wcfg({ name: "started", cmd: "sleep 30" }), { start: true });
    expect(arbiter.getWatcher("started")!.status()).toBe("active");
  });

  test("removeWatcher with nostop leaves its processes running", async () => {
    const { arbiter, rec } = await make([{ name: "keep", cmd: "sleep 30" }]);
    await arbiter.start();
    const [pid] = arbiter.getWatcher("keep")!.pids();
    await arbiter.removeWatcher("keep", { nostop: true });
    expect(arbiter.getWatcher("keep")).toBeUndefined();
    expect(rec.topics()).toContain("watcher.keep.remove");
    expect(alive(pid!)).toBe(true);
  });

  test("stop ends every watcher and leaves the daemon usable", async () => {
    const { arbiter } = await make([
      { name: "a", cmd: "sleep 30", numprocesses: 2 },
      { name: "b", cmd: "sleep 30", priority: 3 },
    ]);
    await arbiter.start();
    const pids = arbiter.watchers().flatMap((w) => w.pids());
    await arbiter.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(arbiter.numprocesses()).toBe(0);
    await arbiter.start();
    expect(arbiter.numprocesses()).toBe(3);
  });

  test("reloadConfig adds, removes, resizes and recreates watchers", async () => {
    const { arbiter } = await make([
      { name: "gone", cmd: "sleep 30" },
      { name: "grow", cmd: "sleep 30" },
      { name: "edit", cmd: "sleep 30" },
      { name: "same", cmd: "sleep 30" },
    ]);
    await arbiter.start();
    const samePid = arbiter.getWatcher("same")!.pids()[0];
    const next = structuredClone(arbiter.config);
    next.watchers = [
      wcfg({ name: "edit", cmd: "sleep 31" }),
      wcfg({ name: "grow", cmd: "sleep 30", numprocesses: 3 }),
      wcfg({ name: "new", cmd: "sleep 30" }),
      wcfg({ name: "same", cmd: "sleep 30" }),
    ];
    const summary = await arbiter.reloadConfig(next);
    expect(summary.added).toEqual(["new"]);
    expect(summary.removed).toEqual(["gone"]);
    expect(summary.resized).toEqual(["grow"]);
    expect(summary.changed).toEqual(["edit"]);
    expect(arbiter.getWatcher("grow")!.pids()).toHaveLength(3);
    expect(arbiter.getWatcher("same")!.pids()[0]).toBe(samePid);
    expect(arbiter.getWatcher("new")!.status()).toBe("active");
    expect(arbiter.getWatcher("gone")).toBeUndefined();
  });

  test("globalOptions exposes the five Circus globals", async () => {
    const { arbiter } = await make([]);
    expect(Object.keys(arbiter.globalOptions()).sort()).toEqual([
      "check_delay",
      "endpoint",
      "multicast_endpoint",
      "pubsub_endpoint",
      "stats_endpoint",
    ]);
  });
});

describe("Arbiter ordering and responsiveness", () => {
  test("a global stop signals watchers in ascending priority order", async () => {
    const { arbiter, rec } = await make([
      { name: "first", cmd: "sleep 30", priority: 9 },
      { name: "last", cmd: "sleep 30", priority: 1 },
    ]);
    await arbiter.start();
    await arbiter.stop();
    expect(rec.topics(".kill")).toEqual(["watcher.last.kill", "watcher.first.kill"]);
  });

  test("the daemon stays responsive while a watcher crash-loops", async () => {
    const { arbiter, rec } = await make(
      [
        { name: "loop", cmd: "false", max_retry: -1 },
        { name: "ok", cmd: "sleep 30", autostart: false },
      ],
      [],
      0.5,
    );
    await arbiter.start();
    await rec.waitFor((events) => events.filter((e) => e.topic === "watcher.loop.spawn").length >= 3);
    const t0 = Date.now();
    await arbiter.getWatcher("ok")!.start();
    expect(Date.now() - t0).toBeLessThan(500);
    // Event-loop lag over 20 sleeps of 10 ms: a starved loop delays every one, a loaded machine a few.
    const lags: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = Date.now();
      await Bun.sleep(10);
      lags.push(Date.now() - before - 10);
    }
    lags.sort((a, b) => a - b);
    expect(lags[10]!).toBeLessThan(90);
    expect(arbiter.getWatcher("loop")!.status()).toBe("active");
  });

  test("restart rebuilds watchers and rebinds sockets", async () => {
    const { arbiter } = await make([{ name: "r", cmd: "sleep 30" }], [socketCfg("s")]);
    await arbiter.start();
    const before = arbiter.getWatcher("r")!.pids();
    await arbiter.restart();
    const after = arbiter.getWatcher("r")!.pids();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect(arbiter.sockets()).toHaveLength(1);
  });

  test("a restart whose new config cannot bind its sockets fails and brings the running config back", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const { arbiter } = await make([{ name: "r", cmd: "sleep 30" }], [socketCfg("s")]);
      await arbiter.start();
      const next = structuredClone(arbiter.config);
      next.sockets = [socketCfg("taken", { port: holder.port })];
      next.watchers = [wcfg({ name: "other", cmd: "sleep 31" })];
      await expect(arbiter.restart(next)).rejects.toThrow(/EADDRINUSE/);
      expect(arbiter.watchers().map((w) => w.name)).toEqual(["r"]);
      expect(arbiter.getWatcher("r")!.status()).toBe("active");
      expect(arbiter.getWatcher("r")!.pids()).toHaveLength(1);
      expect(arbiter.sockets().map((x) => x.name)).toEqual(["s"]);
    } finally {
      holder.stop(true);
    }
  });

  test("reload reloads every watcher", async () => {
    const { arbiter, rec } = await make([
      { name: "x", cmd: "sleep 30" },
      { name: "y", cmd: "sleep 30" },
    ]);
    await arbiter.start();
    await arbiter.reload();
    expect(rec.topics(".reload").sort()).toEqual(["watcher.x.reload", "watcher.y.reload"]);
  });

  test("the [circus] warmup_delay separates watcher starts", async () => {
    const arbiter = await createArbiter(
      [wcfg({ name: "a1", cmd: "sleep 30" }), wcfg({ name: "a2", cmd: "sleep 30" })],
      { circus: { warmup_delay: 0.3 } },
    );
    arbiters.push(arbiter);
    const rec = new Recorder(arbiter.bus);
    arbiter.bus.subscribe((t, p) => t.endsWith(".spawn") && startedPids.add(p.process_pid as number));
    await arbiter.start();
    const [s1, s2] = rec.of("spawn").map((e) => e.at);
    expect(s2! - s1!).toBeGreaterThanOrEqual(280);
  });

  test("close cuts the warmup pauses short, between watchers and between a watcher's processes", async () => {
    const arbiter = await createArbiter(
      [
        wcfg({ name: "first", cmd: "sleep 30", priority: 2, numprocesses: 3, warmup_delay: 60 }),
        wcfg({ name: "second", cmd: "sleep 30", priority: 1 }),
      ],
      { circus: { warmup_delay: 60 } },
    );
    arbiters.push(arbiter);
    const rec = new Recorder(arbiter.bus);
    arbiter.bus.subscribe((t, p) => t.endsWith(".spawn") && startedPids.add(p.process_pid as number));
    const starting = arbiter.start();
    await until(() => rec.of("spawn").length === 1, 5000, "the first spawn");
    const closing = performance.now();
    await arbiter.close();
    await starting;
    expect(performance.now() - closing).toBeLessThan(10_000);
    expect(rec.topics(".spawn")).toEqual(["watcher.first.spawn"]);
  });
});

describe("Arbiter closed before it started", () => {
  test("an early stop (SIGTERM while the daemon starts) wins: start then spawns nothing and keeps no timer", async () => {
    const { arbiter, rec } = await make([{ name: "late", cmd: "sleep 30" }], [], 0.05);
    await arbiter.close();
    await arbiter.start();
    expect(rec.of("spawn")).toEqual([]);
    expect(arbiter.getWatcher("late")!.status()).toBe("stopped");
    // Housekeeping (max_age recycling every check_delay) would spawn on a closed arbiter: none runs.
    expect((arbiter as unknown as { housekeeping: unknown }).housekeeping ?? null).toBeNull();
  });
});

describe("Arbiter housekeeping", () => {
  test("the check_delay tick recycles a worker past max_age (the limit itself: exits.test.ts)", async () => {
    // The watchers' clock runs ahead of real time: the worker is past max_age as soon as it runs.
    let ahead = 0;
    const { arbiter } = await make([{ name: "aging", cmd: "sleep 30", max_age: 1, max_age_variance: 1 }], [], 0.2, {
      now: () => Date.now() + ahead,
    });
    await arbiter.start();
    const [first] = arbiter.getWatcher("aging")!.pids();
    ahead = 2100;
    await until(
      () => arbiter.getWatcher("aging")!.pids()[0] !== first && arbiter.getWatcher("aging")!.pids().length === 1,
      2000,
      "recycling",
    );
    expect(alive(first!)).toBe(false);
    expect(arbiter.getWatcher("aging")!.exitState().lastExit).toMatchObject({ pid: first, reason: "max_age" });
  });

  test("with check_delay = -1 (Circus's test configs) housekeeping still runs, on the fallback tick (1 s in the daemon), and globalOptions reports -1", async () => {
    // The watchers' clock runs a second ahead: the worker is past max_age from its spawn on.
    const { arbiter } = await make([{ name: "aging", cmd: "sleep 30", max_age: 0.5, max_age_variance: 0 }], [], -1, {
      now: () => Date.now() + 1000,
      minHousekeepingMs: 300,
    });
    expect(arbiter.globalOptions().check_delay).toBe(-1);
    const t0 = Date.now();
    await arbiter.start();
    const [first] = arbiter.getWatcher("aging")!.pids();
    await until(() => arbiter.getWatcher("aging")!.pids()[0] !== first, 2500, "recycling");
    // Not a tick every millisecond (setInterval(-1000)), not never: the first fallback tick.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(arbiter.getWatcher("aging")!.exitState().lastExit).toMatchObject({ pid: first, reason: "max_age" });
  });

  test("a global stop waits for all watchers at once: two SIGTERM-ignoring watchers take one graceful_timeout", async () => {
    const stubborn = "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'";
    const { arbiter } = await make([
      { name: "s1", cmd: stubborn, graceful_timeout: 0.6 },
      { name: "s2", cmd: stubborn, graceful_timeout: 0.6, priority: 2 },
    ]);
    await arbiter.start();
    const pids = arbiter.watchers().flatMap((w) => w.pids());
    for (const pid of pids) await waitTrap(pid, "TERM");
    const t0 = Date.now();
    await arbiter.stop();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(1100);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

describe("Arbiter reloadConfig of [circus] options", () => {
  test("check_delay and umask apply at once; endpoints keep their running values", async () => {
    const previousMask = umask(0o022);
    try {
      // The watchers' clock runs ahead: the worker is past max_age at once, and only a tick can notice.
      let ahead = 0;
      const { arbiter } = await make([{ name: "recycled", cmd: "sleep 30", max_age: 1, max_age_variance: 0 }], [], 30, {
        now: () => Date.now() + ahead,
      });
      await arbiter.start();
      ahead = 1500;
      const [first] = arbiter.getWatcher("recycled")!.pids();
      const next = structuredClone(arbiter.config);
      next.circus = {
        ...next.circus,
        check_delay: 0.2,
        umask: 0o077,
        endpoint: "tcp://127.0.0.1:1",
        pubsub_endpoint: "tcp://127.0.0.1:2",
      };
      const summary = await arbiter.reloadConfig(next);
      expect(summary.changed).toEqual([]);
      expect(arbiter.globalOptions()).toMatchObject({
        check_delay: 0.2,
        endpoint: "tcp://127.0.0.1:5555",
        pubsub_endpoint: "tcp://127.0.0.1:5556",
      });
      // With the old 30 s tick max_age would not be checked for half a minute.
      await until(
        () =>
          arbiter.getWatcher("recycled")!.pids().length === 1 && arbiter.getWatcher("recycled")!.pids()[0] !== first,
        3000,
        "recycling on the new tick",
      );
      const [second] = arbiter.getWatcher("recycled")!.pids();
      await execDone(second!);
      expect(readFileSync(`/proc/${second}/status`, "utf8")).toMatch(/^Umask:\s+0077$/m);
    } finally {
      umask(previousMask);
    }
  });
});

describe("Arbiter sockets", () => {
  test("an on_demand watcher naming its socket is not started by connections on other sockets", async () => {
    const { arbiter } = await make(
      [
        {
          name: "lazy",
          cmd: `node ${import.meta.dir}/fixtures/http-worker.cjs $(circus.sockets.mine)`,
          on_demand: true,
          use_sockets: true,
        },
      ],
      [socketCfg("mine"), socketCfg("other")],
    );
    await arbiter.start();
    const lazy = arbiter.getWatcher("lazy")!;
    const port = (name: string) => arbiter.sockets().find((s) => s.name === name)!.port;
    const stray = connect(port("other"), "127.0.0.1");
    await Bun.sleep(400); // four on_demand polls
    expect(lazy.status()).toBe("stopped");
    const conn = connect(port("mine"), "127.0.0.1");
    await until(() => lazy.status() === "active", 3000, "on-demand start");
    stray.destroy();
    conn.destroy();
  });

  test("sockets are bound and accepting when the arbiter is created, before any watcher starts", async () => {
    const { arbiter } = await make([{ name: "later", cmd: "sleep 30", use_sockets: true }], [socketCfg("early")]);
    expect(arbiter.getWatcher("later")!.status()).toBe("stopped");
    const conn = await Bun.connect({ hostname: "127.0.0.1", port: arbiter.sockets()[0]!.port, socket: { data() {} } });
    conn.end();
  });

  test("a socket that cannot bind makes create fail with SocketBindError, and nothing stays bound", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      // A port of its own (not 0): whether "first" stays bound is read from the kernel's table, not from
      // this process's fd count, which other tests' sockets closing meanwhile would change.
      const first = socketCfg("first", { port: freePort() });
      const taken = socketCfg("taken", { port: holder.port, source: { file: "/etc/circus.ini", line: 7 } });
      const err = await createArbiter([], { sockets: [first, taken] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SocketBindError);
      expect((err as SocketBindError).socket).toBe("taken");
      expect((err as Error).message).toStartWith(`/etc/circus.ini:7: socket:taken: bind 127.0.0.1:${holder.port}: `);
      expect((err as Error).message).toContain("EADDRINUSE");
      // "first" was bound before the failure and closed again.
      expect(listensOn(first.port)).toBe(false);
    } finally {
      holder.stop(true);
    }
  });

  test("an so_reuseport socket is bound afresh for each spawn that names it", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const { arbiter } = await make(
      [{ name: "rp", cmd: "sleep 3$(circus.sockets.rp)", numprocesses: 2, use_sockets: true }],
      [socketCfg("rp", { port, so_reuseport: true })],
    );
    await arbiter.start();
    // Listed with the fd number of its unbound placeholder, where each worker finds its own socket.
    const [listed] = arbiter.sockets();
    expect(listed).toMatchObject({ name: "rp", port, perSpawn: true });
    const pids = arbiter.getWatcher("rp")!.pids();
    for (const pid of pids) await execDone(pid);
    const inodes = pids.map((pid) => readlinkSync(`/proc/${pid}/fd/${listed!.fd}`));
    for (const i of inodes) expect(i).toMatch(/^socket:/);
    expect(new Set(inodes).size).toBe(2);
  });
});
