// Every command through dispatch() against a fake arbiter: properties, results, errors and console text.

import { VERSION } from "../../src/version.ts";
import { describe, expect, test } from "bun:test";
import type { JsonObject, Reply } from "../../src/protocol/command.ts";
import { dispatch } from "../../src/protocol/dispatch.ts";
import { formatInfoLine } from "../../src/protocol/procinfo.ts";
import { COMMANDS, getCommand } from "../../src/protocol/registry.ts";
import { FakeArbiter, FakeWatcher, fakeContext } from "./fake-arbiter.ts";
import { until } from "../helpers/wait.ts";

/** A live process entry with no exit history. */
function entry(pid: number, wid: number, started: number) {
  return { pid, wid, started, restarts: 0, lastExit: null };
}

function setup() {
  const web = new FakeWatcher("Web", { numprocesses: 2, env: { B: "2", A: "1" }, free: { "flapping.attempts": "2" } });
  web.procs = [entry(101, 1, 1000), entry(102, 2, 1001)];
  const worker = new FakeWatcher("worker", { priority: 5 });
  worker.procs = [entry(201, 1, 1002)];
  const single = new FakeWatcher("single", { singleton: true, numprocesses: 1 });
  const arbiter = new FakeArbiter(web, worker, single);
  return { arbiter, web, worker, single, ctx: fakeContext(arbiter) };
}

async function call(ctx: ReturnType<typeof fakeContext>, command: string, properties: JsonObject = {}): Promise<Reply> {
  const out = await dispatch(ctx, JSON.stringify({ id: "req-1", command, properties }));
  if (out === null) throw new Error("no reply");
  return out;
}

function fmt(reply: Reply, command: string, properties: JsonObject = {}): string {
  return getCommand(command)!.format(reply, { command, properties });
}

describe("registry", () => {
  test("holds every Circus command (plus logs, ps, reopen, upgrade and version) with help, summary and cli metadata", () => {
    const names = [
      "add",
      "decr",
      "dstats",
      "get",
      "globaloptions",
      "incr",
      "ipython",
      "kill",
      "list",
      "listen",
      "listsockets",
      "logs",
      "numprocesses",
      "numwatchers",
      "options",
      "ps",
      "quit",
      "reload",
      "reloadconfig",
      "reopen",
      "restart",
      "rm",
      "set",
      "signal",
      "start",
      "stats",
      "status",
      "stop",
      "upgrade",
      "version",
    ];
    expect([...COMMANDS.keys()].sort()).toEqual(names);
    for (const c of COMMANDS.values()) {
      expect(c.summary.length).toBeGreaterThan(0);
      expect(c.help.length).toBeGreaterThan(0);
      expect(Array.isArray(c.cli)).toBe(true);
    }
  });
});

describe("dispatch", () => {
  test("an unknown command is errno 2 naming it", async () => {
    const { ctx } = setup();
    expect(await call(ctx, "frobnicate")).toMatchObject({
      status: "error",
      errno: 2,
      reason: "unknown command: 'frobnicate'",
      id: "req-1",
    });
  });

  test("commands are matched case-insensitively; an unknown one is named as sent", async () => {
    const { ctx } = setup();
    expect((await call(ctx, "LIST")).status).toBe("ok");
    expect((await call(ctx, "FooBar")).reason).toBe("unknown command: 'FooBar'");
  });

  test("a command named after an Object.prototype member is unknown", async () => {
    const { ctx } = setup();
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(await call(ctx, name)).toMatchObject({ errno: 2, reason: `unknown command: '${name}'` });
    }
  });

  test("a cast gets no reply, even for an error", async () => {
    const { ctx, web } = setup();
    expect(
      await dispatch(ctx, JSON.stringify({ command: "incr", properties: { name: "web" }, msg_type: "cast" })),
    ).toBeNull();
    expect(await dispatch(ctx, JSON.stringify({ command: "nope", msg_type: "cast" }))).toBeNull();
    expect(web.calls).toEqual([["incr", 1]]);
  });

  test("an unexpected exception is errno 5 `command <request>: <message>` with a traceback", async () => {
    const { ctx, arbiter } = setup();
    arbiter.watchers = () => {
      throw new TypeError("boom");
    };
    const r = await call(ctx, "list");
    expect(r.errno).toBe(5);
    expect(String(r.reason)).toStartWith('command {"id":"req-1"');
    expect(String(r.reason)).toEndWith(": boom");
    expect(typeof r.tb).toBe("string");
  });

  test("a non-boolean waiting is errno 3 naming it", async () => {
    const { ctx } = setup();
    expect(await call(ctx, "incr", { name: "web", waiting: "yes" })).toMatchObject({ errno: 3 });
    expect(String((await call(ctx, "incr", { name: "web", waiting: "yes" })).reason)).toContain("'waiting'");
  });
});

describe("read commands", () => {
  test("list gives sorted lower-cased watcher names, or one watcher's pids; console is comma-separated", async () => {
    const { ctx } = setup();
    const all = await call(ctx, "list");
    expect(all.watchers).toEqual(["single", "web", "worker"]);
    expect(fmt(all, "list")).toBe("single,web,worker");
    const one = await call(ctx, "list", { name: "WEB" });
    expect(one.pids).toEqual([101, 102]);
    expect(fmt(one, "list")).toBe("101,102");
  });

  test("an unknown watcher is errno 3 `program <name> not found`", async () => {
    const { ctx } = setup();
    for (const cmd of ["list", "numprocesses", "status", "options", "incr", "decr", "rm", "kill", "reload", "stats"]) {
      expect(await call(ctx, cmd, { name: "ghost" })).toMatchObject({
        status: "error",
        errno: 3,
        reason: "program ghost not found",
      });
    }
  });

  test("numprocesses counts live processes of one watcher (with watcher_name) or of all", async () => {
    const { ctx } = setup();
    expect(await call(ctx, "numprocesses", { name: "web" })).toMatchObject({ numprocesses: 2, watcher_name: "web" });
    const all = await call(ctx, "numprocesses");
    expect(all.numprocesses).toBe(4); // web 2, worker 1, single 1
    expect(fmt(all, "numprocesses")).toBe("4");
  });

  test("numwatchers counts watchers", async () => {
    const { ctx } = setup();
    const r = await call(ctx, "numwatchers");
    expect(r.numwatchers).toBe(3);
    expect(fmt(r, "numwatchers")).toBe("3");
  });

  test("status of one watcher replaces the envelope status; all gives sorted `name: state` lines", async () => {
    const { ctx, worker } = setup();
    worker.state = "stopped";
    const one = await call(ctx, "status", { name: "worker" });
    expect(one.status).toBe("stopped");
    expect(fmt(one, "status")).toBe("stopped");
    const all = await call(ctx, "status");
    expect(all.statuses).toEqual({ Web: "active", worker: "stopped", single: "active" });
    expect(fmt(all, "status")).toBe("Web: active\nsingle: active\nworker: stopped");
  });

  test("status and stats carry spawn_error, restarts, last_exit and exits beyond Circus; the console text is Circus's", async () => {
    const { ctx, worker, web } = setup();
    const lastExit = { pid: 7, status: null, signal: 9, reason: "crash" as const, time: 1000.5 };
    worker.state = "stopped";
    worker.exits = {
      spawnError: "no such file (5 failed spawns in a row, max_retry = 5)",
      restarts: 3,
      lastExit,
      exits: { crash: 3, exit: 0, stop: 1, kill: 0, signal: 0, max_age: 0, reload: 0, spawn_failed: 0 },
    };
    const keys = {
      spawn_error: "no such file (5 failed spawns in a row, max_retry = 5)",
      restarts: 3,
      last_exit: lastExit,
      exits: { crash: 3, exit: 0, stop: 1, kill: 0, signal: 0, max_age: 0, reload: 0, spawn_failed: 0 },
    };
    const one = await call(ctx, "status", { name: "worker" });
    expect(one).toMatchObject({ status: "stopped", ...keys });
    expect(fmt(one, "status")).toBe("stopped");
    const all = await call(ctx, "status");
    expect((all.details as JsonObject).worker).toEqual(keys);
    expect((all.details as JsonObject).Web).toMatchObject({ spawn_error: null, restarts: 0, last_exit: null });
    expect(fmt(all, "status")).toBe("Web: active\nsingle: active\nworker: stopped");
    expect(await call(ctx, "stats", { name: "worker" })).toMatchObject(keys);
    expect(((await call(ctx, "stats")).details as JsonObject).worker).toEqual(keys);
    web.procs = [{ pid: process.pid, wid: 1, started: Date.now() / 1000, restarts: 2, lastExit }];
    const proc = await call(ctx, "stats", { name: "web", process: process.pid });
    expect(proc.info).toMatchObject({ wid: 1, restarts: 2, last_exit: lastExit });
  });

  test("options returns every option and free option; console renders env sorted", async () => {
    const { ctx } = setup();
    const r = await call(ctx, "options", { name: "web" });
    const opts = r.options as JsonObject;
    expect(opts.numprocesses).toBe(2);
    expect(opts["flapping.attempts"]).toBe("2");
    expect(fmt(r, "options")).toContain("env: A=1,B=2");
    expect(await call(ctx, "options")).toMatchObject({ errno: 3, reason: "message invalid 'name' is missing" });
  });

  test("get returns the asked keys in order and refuses unknown ones", async () => {
    const { ctx } = setup();
    const props = { name: "web", keys: ["numprocesses", "env", "flapping.attempts"] };
    const r = await call(ctx, "get", props);
    expect(r.options).toEqual({ numprocesses: 2, env: { A: "1", B: "2" }, "flapping.attempts": "2" });
    expect(fmt(r, "get", props)).toBe("numprocesses: 2\nenv: A=1,B=2\nflapping.attempts: 2");
    expect(await call(ctx, "get", { name: "web", keys: ["bogus"] })).toMatchObject({
      errno: 3,
      reason: "'bogus' option not found",
    });
    for (const key of ["constructor", "toString", "__proto__"]) {
      expect(await call(ctx, "get", { name: "web", keys: [key] })).toMatchObject({
        errno: 3,
        reason: `'${key}' option not found`,
      });
    }
    expect(await call(ctx, "get", { name: "web" })).toMatchObject({
      errno: 3,
      reason: "message invalid 'keys' is missing",
    });
    expect((await call(ctx, "get", { name: "web", keys: "numprocesses" })).errno).toBe(3);
  });

  test("get reads back the ready.* keys set accepts; unknown ones are not found", async () => {
    const { ctx } = setup();
    const props = { name: "web", keys: ["ready.timeout", "ready.http", "ready.notify"] };
    const r = await call(ctx, "get", props);
    expect(r.options).toEqual({ "ready.timeout": 30, "ready.http": null, "ready.notify": false });
    for (const key of ["ready.bogus", "ready.__proto__", "ready.constructor"]) {
      expect(await call(ctx, "get", { name: "web", keys: [key] })).toMatchObject({
        errno: 3,
        reason: `'${key}' option not found`,
      });
    }
  });

  test("globaloptions gives the five arbiter options and the daemon's version, or one, and refuses others", async () => {
    const { ctx } = setup();
    const all = await call(ctx, "globaloptions");
    expect(Object.keys(all.options as JsonObject).sort()).toEqual([
      "check_delay",
      "endpoint",
      "multicast_endpoint",
      "pubsub_endpoint",
      "stats_endpoint",
      "version",
    ]);
    expect((all.options as JsonObject).version).toBe(VERSION);
    expect((await call(ctx, "globaloptions", { option: "version" })).options).toEqual({ version: VERSION });
    const one = await call(ctx, "globaloptions", { option: "endpoint" });
    expect(one.options).toEqual({ endpoint: "tcp://127.0.0.1:5555" });
    expect(fmt(one, "globaloptions")).toBe("endpoint: tcp://127.0.0.1:5555");
    expect(await call(ctx, "globaloptions", { option: "umask" })).toMatchObject({
      errno: 3,
      reason: "'umask' not an existing option",
    });
  });

  test("listsockets sorts by fd and prints `<fd>:socket '<name>' at <address>`", async () => {
    const { ctx, arbiter } = setup();
    arbiter.socketList.push(
      { fd: 7, name: "web", host: "127.0.0.1", port: 8080, path: null, backlog: 2048 },
      { fd: 5, name: "unix", host: "127.0.0.1", port: 0, path: "/tmp/s.sock", backlog: 128 },
    );
    const r = await call(ctx, "listsockets");
    expect(r.sockets).toEqual([
      { fd: 5, name: "unix", backlog: 128, path: "/tmp/s.sock" },
      { fd: 7, name: "web", backlog: 2048, host: "127.0.0.1", port: 8080 },
    ]);
    expect(fmt(r, "listsockets")).toBe("5:socket 'unix' at /tmp/s.sock\n7:socket 'web' at 127.0.0.1:8080");
  });

  test("dstats describes the daemon's own process from /proc, with its version", async () => {
    const { ctx } = setup();
    const r = await call(ctx, "dstats");
    const info = r.info as JsonObject;
    expect(info.pid).toBe(process.pid);
    expect(info.version).toBe(VERSION);
    expect(info.children).toEqual([]);
    expect(String(info.mem_info1)).toMatch(/^\d+(\.\d\d[KMGTPEZY]|B)$/);
    expect(String(info.ctime)).toMatch(/^\d+:\d\d\.\d{1,2}$/);
    expect(fmt(r, "dstats")).toStartWith(`Main Process:\n    ${process.pid}  `);
  });

  test("stats gives per-pid infos for all, one watcher, or one process, and refuses an unknown pid", async () => {
    const { ctx, web } = setup();
    web.procs = [entry(process.pid, 1, Date.now() / 1000 - 5)];
    const all = await call(ctx, "stats");
    expect(Object.keys(all.infos as JsonObject).sort()).toEqual(["Web", "single", "worker"]);
    const one = await call(ctx, "stats", { name: "web" });
    const info = (one.info as JsonObject)[String(process.pid)] as JsonObject;
    expect(info).toMatchObject({ pid: process.pid, wid: 1 });
    expect(Number(info.age)).toBeGreaterThan(4);
    const proc = await call(ctx, "stats", { name: "web", process: process.pid });
    expect(proc.process).toBe(process.pid);
    expect(await call(ctx, "stats", { name: "web", process: 999999 })).toMatchObject({
      errno: 3,
      reason: "process 999999 not found in 'web'",
    });
    expect(fmt(one, "stats")).toStartWith(`web:\n${process.pid}: ${process.pid}  `);
  });

  test("circusctl's info line prints cpu and mem as Python floats (a line of real circusctl output)", () => {
    const info = {
      pid: 16291,
      cmdline: "sleep",
      username: "root",
      nice: 0,
      mem_info1: "1.50M",
      mem_info2: "2.44M",
      cpu: 0,
      mem: 0.006,
      ctime: "0:00.0",
    };
    expect(formatInfoLine(info)).toBe("16291  sleep root 0 1.50M 2.44M 0.0 0.006 0:00.0");
  });

  test("stats --extended lets the watcher's extended_stats hook add fields", async () => {
    const { ctx, web } = setup();
    web.procs = [entry(process.pid, 1, Date.now() / 1000)];
    (web as unknown as { extendedStats: unknown }).extendedStats = async (
      _pid: number,
      info: Record<string, unknown>,
    ) => {
      info.queue_depth = 7;
    };
    const r = await call(ctx, "stats", { name: "web", process: process.pid, extended: true });
    expect((r.info as JsonObject).queue_depth).toBe(7);
    const plain = await call(ctx, "stats", { name: "web" });
    expect(((plain.info as JsonObject)[String(process.pid)] as JsonObject).queue_depth).toBeUndefined();
  });

  test("a gone process is reported as Circus's string", async () => {
    const { ctx, web } = setup();
    web.procs = [entry(999999, 1, 0)];
    const r = await call(ctx, "stats", { name: "web" });
    expect((r.info as JsonObject)["999999"]).toBe("No such process (stopped?)");
  });

  test("listen on the control socket is errno 3 pointing at pub/sub; ipython is unavailable", async () => {
    const { ctx } = setup();
    expect(await call(ctx, "listen")).toMatchObject({ errno: 3, reason: "invalid message. use a pub/sub socket" });
    expect(await call(ctx, "ipython")).toMatchObject({
      errno: 2,
      reason: "ipython is not available in this implementation",
    });
  });
});

describe("incr / decr", () => {
  test("without waiting the reply is a bare ok and the watcher is resized", async () => {
    const { ctx, web } = setup();
    const r = await call(ctx, "incr", { name: "web" });
    expect(r.numprocesses).toBeUndefined();
    expect(fmt(r, "incr")).toBe("ok");
    expect(web.calls).toEqual([["incr", 1]]);
  });

  test("with waiting the reply carries the new target", async () => {
    const { ctx } = setup();
    const r = await call(ctx, "incr", { name: "web", nb: 3, waiting: true });
    expect(r.numprocesses).toBe(5);
    expect(fmt(r, "incr")).toBe("5");
    expect((await call(ctx, "decr", { name: "web", nb: 10, waiting: true })).numprocesses).toBe(0);
  });

  test("a singleton refuses with its current count and the console sentence", async () => {
    const { ctx, single } = setup();
    const r = await call(ctx, "incr", { name: "single" });
    expect(r).toMatchObject({ status: "ok", numprocesses: 1, singleton: true });
    expect(fmt(r, "incr")).toBe("This watcher is a Singleton - not changing the number of processes");
    expect(single.calls).toEqual([]);
  });

  test("a non-integer or negative nb is errno 3 naming nb, and nothing changes", async () => {
    const { ctx, web } = setup();
    for (const nb of ["abc", 1.5, -1, true]) {
      const r = await call(ctx, "incr", { name: "web", nb });
      expect(r.errno).toBe(3);
      expect(String(r.reason)).toContain("'nb'");
    }
    expect(web.calls).toEqual([]);
    expect((await call(ctx, "incr", { name: "web", nb: "2", waiting: true })).numprocesses).toBe(4);
  });

  test("a background failure with waiting is errno 6 server error", async () => {
    const { ctx, web } = setup();
    web.failWith = new Error("disk on fire");
    expect(await call(ctx, "incr", { name: "web", waiting: true })).toMatchObject({
      errno: 6,
      reason: "server error",
      tb: "disk on fire",
    });
  });

  test("a background failure without waiting still answers ok", async () => {
    const { ctx, web } = setup();
    web.failWith = new Error("disk on fire");
    expect((await call(ctx, "incr", { name: "web" })).status).toBe("ok");
  });
});

describe("mutating commands", () => {
  test("add creates a stopped watcher from name, cmd, args and validated options", async () => {
    const { ctx, arbiter } = setup();
    const r = await call(ctx, "add", {
      name: "new",
      cmd: "sleep",
      args: ["5"],
      options: { numprocesses: 3, rlimit_nofile: 100, env: { X: "1" } },
    });
    expect(r.status).toBe("ok");
    const { cfg, opts } = arbiter.calls[0]![1] as { cfg: JsonObject; opts: JsonObject };
    expect(cfg).toMatchObject({
      name: "new",
      cmd: "sleep",
      args: ["5"],
      numprocesses: 3,
      rlimits: { nofile: 100 },
      env: { X: "1" },
    });
    expect(opts).toEqual({ start: false });
  });

  test("add with start and waiting returns started and kept pids", async () => {
    const { ctx } = setup();
    const r = await call(ctx, "add", { name: "new", cmd: "sleep 5", start: true, waiting: true });
    expect(r).toMatchObject({ status: "ok", kept: [] });
    expect(r.started).toEqual((await call(ctx, "list", { name: "new" })).pids);
  });

  test("add refuses duplicates (errno 5), missing fields and bad options (errno 3)", async () => {
    const { ctx } = setup();
    const dup = await call(ctx, "add", { name: "WEB", cmd: "x" });
    expect(dup.errno).toBe(5);
    expect(String(dup.reason)).toEndWith("'WEB' already exist");
    expect(await call(ctx, "add", { name: "n" })).toMatchObject({
      errno: 3,
      reason: "message invalid 'cmd' is missing",
    });
    expect(await call(ctx, "add", { cmd: "x" })).toMatchObject({
      errno: 3,
      reason: "message invalid 'name' is missing",
    });
    expect(await call(ctx, "add", { name: "n", cmd: "x", options: { priority: 1 } })).toMatchObject({
      errno: 3,
      reason: "unknown key 'priority'",
    });
    expect(await call(ctx, "add", { name: "n", cmd: "x", options: { numprocesses: "3" } })).toMatchObject({ errno: 3 });
  });

  test("a request of the endpoint_owner may add only a watcher running as the owner; root's may add any", async () => {
    const { arbiter } = setup();
    const nobody = { name: "nobody", uid: 65534, groups: [65534] };
    const ctx = fakeContext(arbiter, { requester: { uid: 65534, owner: nobody } });
    expect(await call(ctx, "add", { name: "n", cmd: "x" })).toMatchObject({
      errno: 3,
      reason: "uid does not match endpoint_owner",
    });
    expect(await call(ctx, "add", { name: "n", cmd: "x", options: { uid: "root" } })).toMatchObject({ errno: 3 });
    expect((await call(ctx, "add", { name: "n", cmd: "x", options: { uid: "nobody" } })).status).toBe("ok");
    expect((await call(ctx, "add", { name: "n2", cmd: "x", options: { uid: 65534 } })).status).toBe("ok");
    const root = fakeContext(arbiter, { requester: { uid: 0, owner: null } });
    expect((await call(root, "add", { name: "n3", cmd: "x" })).status).toBe("ok");
  });

  test("rm removes by the watcher's own name and passes nostop", async () => {
    const { ctx, arbiter } = setup();
    expect((await call(ctx, "rm", { name: "WEB", nostop: true })).status).toBe("ok");
    expect(arbiter.calls).toEqual([["removeWatcher", { name: "Web", opts: { nostop: true } }]]);
  });

  test("set validates every key before applying any, then applies them together", async () => {
    const { ctx, web } = setup();
    expect(await call(ctx, "set", { name: "web", options: { numprocesses: 3, bogus: 1 } })).toMatchObject({
      errno: 3,
      reason: "unknown key 'bogus'",
    });
    expect(web.calls).toEqual([]);
    expect(await call(ctx, "set", { name: "web", options: { numprocesses: "x" } })).toMatchObject({
      errno: 3,
      reason: "'numprocesses' isn't an integer",
    });
    expect(
      (
        await call(ctx, "set", {
          name: "web",
          options: { numprocesses: 3, stop_signal: "INT", "flapping.attempts": "5" },
        })
      ).status,
    ).toBe("ok");
    expect(web.calls).toEqual([["setOptions", { numprocesses: 3, stop_signal: 2, "flapping.attempts": "5" }]]);
    expect(await call(ctx, "set", { name: "web" })).toMatchObject({
      errno: 3,
      reason: "message invalid 'options' is missing",
    });
  });

  test("set numprocesses > 1 on a singleton is errno 5 with Circus's words", async () => {
    const { ctx } = setup();
    expect(await call(ctx, "set", { name: "single", options: { numprocesses: 2 } })).toMatchObject({
      errno: 5,
      reason: "Singleton watcher has a single process",
    });
  });

  test("set changes a free option named __proto__ that the watcher has, as its own key", async () => {
    const free = JSON.parse('{"__proto__": "3"}') as Record<string, string>;
    const w = new FakeWatcher("odd", { free });
    const ctx = fakeContext(new FakeArbiter(w));
    const options = JSON.parse('{"__proto__": "4"}') as JsonObject;
    expect((await call(ctx, "set", { name: "odd", options, waiting: true })).status).toBe("ok");
    expect(Object.getOwnPropertyDescriptor(w.config.free, "__proto__")?.value).toBe("4");
    expect(Object.getPrototypeOf(w.config.free)).toBe(Object.prototype);
  });

  test("kill passes pid, signal and graceful timeout (coerced from strings)", async () => {
    const { ctx, web } = setup();
    expect(
      (await call(ctx, "kill", { name: "web", pid: "101", signum: "KILL", graceful_timeout: "2.5", waiting: true }))
        .status,
    ).toBe("ok");
    expect(web.calls).toEqual([["kill", { pid: 101, signum: 9, gracefulTimeout: 2.5 }]]);
    expect(await call(ctx, "kill", { name: "web", signum: "BOGUS" })).toMatchObject({
      errno: 3,
      reason: "signal invalid",
    });
    expect((await call(ctx, "kill", { name: "web", pid: "abc" })).errno).toBe(3);
    expect((await call(ctx, "kill", { name: "web", graceful_timeout: -1 })).errno).toBe(3);
  });

  test("signal requires a valid signum and passes the targeting flags", async () => {
    const { ctx, web } = setup();
    expect((await call(ctx, "signal", { name: "web", signum: "hup", pid: 101, children: true })).status).toBe("ok");
    expect(web.calls[0]).toEqual([
      "signal",
      { signum: 1, pid: 101, childpid: undefined, children: true, recursive: false },
    ]);
    expect(await call(ctx, "signal", { name: "web" })).toMatchObject({
      errno: 3,
      reason: "message invalid 'signum' is missing",
    });
    expect(await call(ctx, "signal", { name: "web", signum: 999 })).toMatchObject({
      errno: 3,
      reason: "signal invalid",
    });
    expect(await call(ctx, "signal", { name: "web", signum: 15, childpid: 5 })).toMatchObject({ errno: 3 });
  });

  test("reload of one watcher with waiting returns stopped/started/kept; of all is a bare ok", async () => {
    const { ctx, web, arbiter } = setup();
    const r = await call(ctx, "reload", { name: "web", waiting: true, sequential: true });
    expect(r.info).toMatchObject({ stopped: [101, 102], kept: [] });
    expect(web.calls).toEqual([["reload", { graceful: true, sequential: true }]]);
    expect(Object.keys(await call(ctx, "reload", { graceful: false }))).toEqual(["status", "time", "id"]);
    expect(arbiter.calls).toEqual([["reload", { graceful: false, sequential: false }]]);
  });

  test("start of one match with waiting gives info started/kept; no name starts the arbiter", async () => {
    const { ctx, arbiter } = setup();
    expect((await call(ctx, "start", { name: "web", waiting: true })).info).toEqual({ started: [], kept: [101, 102] });
    await call(ctx, "start");
    expect(arbiter.calls).toEqual([["start", null]]);
  });

  test("match methods: simple is exact, glob is fnmatch, regex is a lower-cased prefix match", async () => {
    const { ctx, web, worker } = setup();
    await call(ctx, "stop", { name: "w*", waiting: true });
    expect(web.calls.length + worker.calls.length).toBe(2);
    // fnmatch sets: [^w] is the set {^, w} (not a negation), [!e] is the negation.
    web.calls = [];
    worker.calls = [];
    await call(ctx, "stop", { name: "[^w]eb", waiting: true });
    await call(ctx, "stop", { name: "w[!e]*", waiting: true });
    expect([web.calls.length, worker.calls.length]).toEqual([1, 1]);
    expect(await call(ctx, "stop", { name: "[z-a]*" })).toMatchObject({ errno: 3, reason: "program [z-a]* not found" });
    expect(await call(ctx, "stop", { name: "we", match: "simple" })).toMatchObject({
      errno: 3,
      reason: "program we not found",
    });
    expect((await call(ctx, "stop", { name: "WEB", match: "simple" })).status).toBe("ok");
    expect((await call(ctx, "stop", { name: "WO", match: "regex" })).status).toBe("ok");
    expect(await call(ctx, "stop", { name: "x", match: "fuzzy" })).toMatchObject({
      errno: 3,
      reason: "unknown match method fuzzy",
    });
  });

  test("stop of one match with waiting answers info null", async () => {
    const { ctx } = setup();
    const r = await call(ctx, "stop", { name: "web", waiting: true });
    expect(r.info).toBeNull();
  });

  test("restart of one match with waiting gives stopped/started/kept; several restart by priority", async () => {
    const { ctx, web, worker, arbiter } = setup();
    expect((await call(ctx, "restart", { name: "web", waiting: true })).info).toMatchObject({
      stopped: [101, 102],
      kept: [],
    });
    expect(web.calls).toEqual([["restart", null]]);
    web.calls = [];
    await call(ctx, "restart", { name: "w*", waiting: true });
    expect(web.calls.map((c) => c[0])).toEqual(["stop", "start"]);
    expect(worker.calls.map((c) => c[0])).toEqual(["stop", "start"]);
    expect(await call(ctx, "restart")).toMatchObject({ errno: 5, reason: "restart: no config" });
    ctx.loadConfig = async () => null;
    await call(ctx, "restart");
    expect(arbiter.calls).toEqual([["restart", null]]);
  });

  test("reloadconfig loads the file first: a broken one is an error and nothing is applied", async () => {
    const { ctx, arbiter } = setup();
    const r = await call(ctx, "reloadconfig", { waiting: true });
    expect(r).toMatchObject({ status: "error", errno: 5, reason: "reloadconfig: no config" });
    expect(arbiter.calls).toEqual([]);
  });

  test("quit answers ok and then asks the daemon to exit", async () => {
    const { ctx } = setup();
    expect((await call(ctx, "quit")).status).toBe("ok");
    expect(ctx.quits).toBe(0);
    await until(() => ctx.quits === 1, 2000, "the exit asked after the reply");
  });
});
