// depends_on on real processes: a chain of three watchers starts each after the one before is ready and
// stops in reverse; `start` of a dependant starts what it needs; a critical watcher that gives up asks
// the daemon to stop.

import { afterEach, describe, expect, test } from "bun:test";
import { type Arbiter, createArbiter } from "../../src/arbiter/index.ts";
import type { ArbiterOptions } from "../../src/arbiter/arbiter.ts";
import { READY_DEFAULTS } from "../../src/config/options/ready.ts";
import { Recorder, killLeftovers, startedPids, until, wcfg } from "./helpers.ts";

const arbiters: Arbiter[] = [];
afterEach(async () => {
  for (const a of arbiters.splice(0)) await a.close().catch(() => {});
  killLeftovers();
});

const PY = "/usr/bin/python3";
/** Sends READY=1 after `delay` seconds, then sleeps; exits at once on SIGTERM. */
const notifyWorker = (delay: number) =>
  `${PY} -c "import os,socket,time; time.sleep(${delay}); s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET']); time.sleep(60)"`;
const notify = { ...READY_DEFAULTS, notify: true, timeout: 10 };

async function make(watchers: Parameters<typeof createArbiter>[0], options: ArbiterOptions = {}, circus = {}) {
  const arbiter = await createArbiter(
    watchers.map((w) => wcfg(w)),
    { circus: { check_delay: 0.2, ...circus }, arbiter: options },
  );
  arbiters.push(arbiter);
  const rec = new Recorder(arbiter.bus);
  arbiter.bus.subscribe((topic, payload) => {
    if (topic.endsWith(".spawn")) startedPids.add(payload.process_pid as number);
  });
  return { arbiter, rec };
}

/** `event:watcher` for the events of interest, in order. */
function steps(rec: Recorder, events: string[]): string[] {
  return rec.events
    .map((e) => e.topic.split("."))
    .filter(([, , event]) => events.includes(event!))
    .map(([, name, event]) => `${event}:${name}`);
}

describe("depends_on", () => {
  test("a chain of three starts each after the one before is ready, and stops in reverse", async () => {
    const { arbiter, rec } = await make([
      // Priorities that would start them in the wrong order without dependencies.
      { name: "web", cmd: "sleep 60", depends_on: ["api"], priority: 10 },
      { name: "api", cmd: notifyWorker(0.2), depends_on: ["db"], priority: 5, ready: notify },
      { name: "db", cmd: notifyWorker(0.3), ready: notify },
      { name: "cron", cmd: "sleep 60", priority: 1 },
    ]);
    await arbiter.start();
    expect(arbiter.readiness().ready).toBe(true);
    const started = steps(rec, ["spawn", "start"]).filter((s) => s.startsWith("start:"));
    expect(started.filter((s) => s !== "start:cron")).toEqual(["start:db", "start:api", "start:web"]);
    // Each dependant's first spawn comes after its dependency's `ready` (the watcher's, without a pid).
    const at = (topic: string, pred: (p: Record<string, unknown>) => boolean = () => true) =>
      rec.events.findIndex((e) => e.topic === topic && pred(e.payload));
    const watcherReady = (p: Record<string, unknown>) => p.process_pid === undefined;
    expect(at("watcher.db.ready", watcherReady)).toBeLessThan(at("watcher.api.spawn"));
    expect(at("watcher.api.ready", watcherReady)).toBeLessThan(at("watcher.web.spawn"));
    // cron needs nothing: it is not held up by the chain.
    expect(at("watcher.cron.spawn")).toBeLessThan(at("watcher.api.spawn"));

    const mark = rec.events.length;
    await arbiter.stop();
    const stopped = rec.events
      .slice(mark)
      .filter((e) => e.topic.endsWith(".stop"))
      .map((e) => e.topic.split(".")[1]);
    expect(stopped.indexOf("web")).toBeLessThan(stopped.indexOf("api"));
    expect(stopped.indexOf("api")).toBeLessThan(stopped.indexOf("db"));
    // web's stop ended before api's began: api's first kill comes after web's stop event.
    const after = rec.events.slice(mark);
    const webStop = after.findIndex((e) => e.topic === "watcher.web.stop");
    const apiKill = after.findIndex((e) => e.topic === "watcher.api.kill");
    expect(webStop).toBeLessThan(apiKill);
  });

  test("starting a dependant starts what it needs first, even with autostart off", async () => {
    const { arbiter, rec } = await make([
      { name: "app", cmd: "sleep 60", depends_on: ["db"], autostart: false },
      { name: "db", cmd: notifyWorker(0.2), ready: notify, autostart: false },
    ]);
    await arbiter.start();
    expect(rec.of("spawn")).toHaveLength(0);
    await arbiter.getWatcher("app")!.start();
    expect(arbiter.getWatcher("db")!.ready).toBe(true);
    expect(steps(rec, ["start"])).toEqual(["start:db", "start:app"]);
  });

  test("a dependency that gives up leaves its dependant stopped, saying why", async () => {
    const { arbiter } = await make([
      { name: "app", cmd: "sleep 60", depends_on: ["db"] },
      { name: "db", cmd: "/nonexistent/db", max_retry: 1 },
    ]);
    await arbiter.start();
    expect(arbiter.getWatcher("db")!.status()).toBe("stopped");
    const err = await arbiter
      .getWatcher("app")!
      .start()
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain("its dependency db");
    expect(arbiter.getWatcher("app")!.status()).toBe("stopped");
  });
});

describe("critical and exit_on_failure", () => {
  test("a critical watcher that gives up calls onFatal with why; a plain one does not", async () => {
    const fatal: string[] = [];
    const { arbiter } = await make(
      [
        { name: "core", cmd: "/nonexistent/core", max_retry: 1, critical: true },
        { name: "extra", cmd: "/nonexistent/extra", max_retry: 1 },
      ],
      { onFatal: (m) => fatal.push(m) },
    );
    await arbiter.start();
    await until(() => fatal.length > 0, 3000, "onFatal");
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toStartWith("watcher core gave up:");
  });

  test("with exit_on_failure any watcher that gives up is fatal", async () => {
    const fatal: string[] = [];
    const { arbiter } = await make(
      [{ name: "extra", cmd: "/nonexistent/extra", max_retry: 1 }],
      { onFatal: (m) => fatal.push(m) },
      { exit_on_failure: true },
    );
    await arbiter.start();
    await until(() => fatal.length > 0, 3000, "onFatal");
    expect(fatal[0]).toStartWith("watcher extra gave up:");
  });

  test("a watcher stopped by command while it had given up with processes running is no failure", async () => {
    const fatal: string[] = [];
    const { arbiter } = await make([{ name: "core", cmd: "sleep 60", critical: true }], {
      onFatal: (m) => fatal.push(m),
    });
    await arbiter.start();
    await arbiter.getWatcher("core")!.stop();
    expect(fatal).toEqual([]);
  });
});
