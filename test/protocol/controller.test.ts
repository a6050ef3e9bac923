// The control channel end to end: pyzmq clients speaking like circusctl against a real arbiter
// running `sleep` workers.

import { afterEach, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { tempDir, until } from "../helpers/peers.ts";
import { pyZmq } from "../helpers/zmq-peers.ts";
import { startHarness, stopHarnesses, waitProcesses, hex } from "./harness.ts";

afterEach(stopHarnesses);

const sleeper = (name: string, n = 1) => ({ name, cmd: "sleep", args: ["60"], numprocesses: n, graceful_timeout: 2 });

describe("every command over the wire", () => {
  test("read commands answer with Circus's fields and values", async () => {
    const h = await startHarness([sleeper("web", 2), sleeper("Worker", 1)]);
    const webPids = await waitProcesses(h, "web", 2);
    await waitProcesses(h, "worker", 1);

    expect(await h.call("list")).toMatchObject({ status: "ok", watchers: ["web", "worker"] });
    expect((await h.call("list", { name: "web" })).pids).toEqual(webPids);
    expect((await h.call("numwatchers")).numwatchers).toBe(2);
    expect(await h.call("numprocesses")).toMatchObject({ numprocesses: 3 });
    expect(await h.call("numprocesses", { name: "WEB" })).toMatchObject({ numprocesses: 2, watcher_name: "WEB" });
    expect((await h.call("status", { name: "web" })).status).toBe("active");
    expect((await h.call("status")).statuses).toEqual({ web: "active", Worker: "active" });
    const opts = (await h.call("options", { name: "web" })).options as Record<string, unknown>;
    expect(opts).toMatchObject({ numprocesses: 2, cmd: "sleep", args: ["60"], graceful_timeout: 2 });
    expect((await h.call("get", { name: "web", keys: ["numprocesses", "cmd"] })).options).toEqual({
      numprocesses: 2,
      cmd: "sleep",
    });
    expect(((await h.call("globaloptions")).options as Record<string, unknown>).check_delay).toBe(0.5);
    expect(await h.call("listsockets")).toMatchObject({ status: "ok", sockets: [] });
    expect(((await h.call("dstats")).info as Record<string, unknown>).pid).toBe(process.pid);
    const stats = await h.call("stats", { name: "web" });
    expect(
      Object.keys(stats.info as object)
        .map(Number)
        .sort(),
    ).toEqual([...webPids].sort());
    expect((stats.info as Record<string, Record<string, unknown>>)[String(webPids[0])]!.cmdline).toBe("sleep");
    expect((await h.call("stats")).infos).toHaveProperty("Worker");
    expect(await h.call("ipython")).toMatchObject({ status: "error", errno: 2 });
    expect(await h.call("listen")).toMatchObject({
      status: "error",
      errno: 3,
      reason: "invalid message. use a pub/sub socket",
    });
  });

  test("mutating commands change the running arbiter and report their results", async () => {
    const h = await startHarness([sleeper("web", 1)]);
    const [first] = await waitProcesses(h, "web", 1);

    expect(await h.call("incr", { name: "web", nb: 2, waiting: true })).toMatchObject({
      status: "ok",
      numprocesses: 3,
    });
    await waitProcesses(h, "web", 3);
    expect(await h.call("decr", { name: "web", waiting: true })).toMatchObject({ status: "ok", numprocesses: 2 });
    await waitProcesses(h, "web", 2);
    const incr = await h.call("incr", { name: "web" });
    expect(incr.status).toBe("ok");
    expect(incr.numprocesses).toBeUndefined();
    await waitProcesses(h, "web", 3);
    expect((await h.call("decr", { name: "web", waiting: true })).numprocesses).toBe(2);

    const pids = await waitProcesses(h, "web", 2);
    expect((await h.call("kill", { name: "web", pid: pids[0], signum: "KILL", waiting: true })).status).toBe("ok");
    await until(() => !h.arbiter.getWatcher("web")!.pids().includes(pids[0]!), 5000, "killed pid gone");

    expect((await h.call("signal", { name: "web", signum: "CONT" })).status).toBe("ok");
    expect((await h.call("set", { name: "web", options: { graceful_timeout: 1 }, waiting: true })).status).toBe("ok");
    expect((await h.call("get", { name: "web", keys: ["graceful_timeout"] })).options).toEqual({ graceful_timeout: 1 });

    const stop = await h.call("stop", { name: "web", waiting: true });
    expect(stop).toMatchObject({ status: "ok", info: null });
    expect((await h.call("status", { name: "web" })).status).toBe("stopped");
    const start = await h.call("start", { name: "web", waiting: true });
    expect((start.info as { started: number[] }).started.length).toBe(2);
    const restart = await h.call("restart", { name: "web", waiting: true });
    expect(Object.keys(restart.info as object).sort()).toEqual(["kept", "started", "stopped"]);
    const reload = await h.call("reload", { name: "web", waiting: true });
    expect((reload.info as { started: number[] }).started.length).toBe(2);
    expect(first).toBeGreaterThan(0);

    expect(
      await h.call("add", { name: "extra", cmd: "sleep", args: ["60"], start: true, waiting: true }),
    ).toMatchObject({ status: "ok" });
    await waitProcesses(h, "extra", 1);
    expect((await h.call("list")).watchers).toEqual(["extra", "web"]);
    expect((await h.call("rm", { name: "extra", waiting: true })).status).toBe("ok");
    expect((await h.call("list")).watchers).toEqual(["web"]);

    expect((await h.call("stop", { waiting: true })).status).toBe("ok");
    expect((await h.call("start", { waiting: true })).status).toBe("ok");
    await waitProcesses(h, "web", 2);
    expect((await h.call("reload", { waiting: true })).status).toBe("ok");
    expect((await h.call("restart", { waiting: true })).status).toBe("ok");
    await waitProcesses(h, "web", 1); // a full restart rebuilds from the configuration (numprocesses 1)
    expect(await h.call("reloadconfig", { waiting: true })).toMatchObject({ status: "error", errno: 5 });

    expect((await h.call("quit", { waiting: true })).status).toBe("ok");
    await until(() => h.quits === 1, 2000, "onQuit");
  });
});

describe("bad requests are answered and leave the daemon unharmed", () => {
  test("unknown watcher, missing property, bad types, unknown command", async () => {
    const h = await startHarness([sleeper("web")]);
    await waitProcesses(h, "web", 1);
    expect(await h.call("incr", { name: "ghost" })).toMatchObject({
      status: "error",
      errno: 3,
      reason: "program ghost not found",
    });
    expect(await h.call("incr", {})).toMatchObject({ errno: 3, reason: "message invalid 'name' is missing" });
    expect((await h.call("incr", { name: "web", nb: "abc" })).errno).toBe(3);
    expect(await h.call("kill", { name: "web", signum: "NOPE" })).toMatchObject({ errno: 3, reason: "signal invalid" });
    expect(await h.call("set", { name: "web", options: { numprocesses: -3 } })).toMatchObject({ errno: 3 });
    expect(await h.call("stop", { name: "web", match: "bogus" })).toMatchObject({
      errno: 3,
      reason: "unknown match method bogus",
    });
    expect(await h.call("frobnicate")).toMatchObject({ errno: 2, reason: "unknown command: 'frobnicate'" });
    expect((await h.call("list")).watchers).toEqual(["web"]);
    expect(h.arbiter.getWatcher("web")!.processCount()).toBe(1);
  });

  test("bad JSON, a JSON non-object, an empty message, no command and extra frames each get an error", async () => {
    const h = await startHarness([sleeper("web")]);
    const c = await h.client();
    const one = async (frames: string[]) => {
      const reply = await c.raw(frames);
      expect(reply.length).toBe(1);
      return JSON.parse(reply[0]!) as Record<string, unknown>;
    };
    expect(await one(["{not json"])).toMatchObject({ status: "error", errno: 1, reason: "json invalid", id: null });
    expect(await one(["[1,2,3]"])).toMatchObject({ status: "error", errno: 1 });
    expect(await one([""])).toMatchObject({ status: "error", errno: 1 });
    expect(await one(['{"id":"a1","properties":{}}'])).toMatchObject({ status: "error", errno: 3, id: "a1" });
    expect(await one(['{"command":"list"}', "extra"])).toMatchObject({ status: "error", errno: 3 });
    expect((await c.call("list")).watchers).toEqual(["web"]);
  });

  test("a cast is executed but never answered", async () => {
    const h = await startHarness([sleeper("web")]);
    await waitProcesses(h, "web", 1);
    const c = await h.client();
    c.peer.send([JSON.stringify({ id: hex(), command: "incr", properties: { name: "web" }, msg_type: "cast" })]);
    c.peer.send([JSON.stringify({ id: hex(), command: "nope", msg_type: "cast" })]);
    await waitProcesses(h, "web", 2);
    // The next reply this client sees is the one for its next request: nothing was queued for the casts.
    expect((await c.call("numwatchers")).numwatchers).toBe(1);
  });

  test("a REQ client is answered with the delimiter frame, unlike circusd", async () => {
    const h = await startHarness([sleeper("web")]);
    const req = await pyZmq({ type: "REQ", connect: [h.server.endpoint] });
    req.send([JSON.stringify({ id: "r1", command: "list" })]);
    const [body] = await req.recvText(5000);
    expect(JSON.parse(body!)).toMatchObject({ status: "ok", id: "r1", watchers: ["web"] });
  });
});

describe("security and discovery", () => {
  test("an ipc control socket is created mode 0600 and handed to endpoint_owner; an owner who is us is not limited", async () => {
    const dir = tempDir("cc-");
    const path = join(dir, "ctl.sock");
    const me = String(userInfo().uid); // the test user may have no passwd entry
    const h = await startHarness([sleeper("web")], { endpoint: `ipc://${path}`, endpointOwner: me });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(h.server.endpoint).toBe(`ipc://${path}`);
    expect(statSync(path).uid).toBe(userInfo().uid);
    // The owner is the daemon's own user: as powerful as the daemon, so nothing is limited.
    expect((await h.call("add", { name: "x", cmd: "sleep 1" })).status).toBe("ok");
  });
});
