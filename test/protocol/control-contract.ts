// The control commands' contract with the arbiter, written once and run against every implementation
// of the control port (as Hono's router/common.case.test.ts runs one set of cases for each router):
// control-contract.test.ts runs it on the fake arbiter and on the real Arbiter with real processes.

import { afterEach, describe, expect, test } from "bun:test";
import type { WatcherInput } from "../../src/arbiter/defaults.ts";
import type { CommandContext, JsonObject, Reply } from "../../src/protocol/command.ts";
import { dispatch } from "../../src/protocol/dispatch.ts";

/** The watchers every case starts from, before the arbiter's start: */
export const CONTRACT_WATCHERS: WatcherInput[] = [
  { name: "web", cmd: "sleep 60", numprocesses: 2, priority: 1 },
  { name: "worker", cmd: "sleep 60", numprocesses: 1, priority: 5 },
  { name: "single", cmd: "sleep 60", singleton: true },
  { name: "manual", cmd: "sleep 60", autostart: false },
];

/** One implementation under test: a context whose arbiter holds CONTRACT_WATCHERS, started. */
export interface ContractSubject {
  ctx: CommandContext;
  close(): Promise<void>;
}

let id = 0;

/** Run the contract's cases against the subjects `make` builds (one fresh subject per case). */
export function runControlContract(implementation: string, make: () => Promise<ContractSubject>): void {
  describe(`control contract: ${implementation}`, () => {
    let subject: ContractSubject | null = null;
    afterEach(async () => {
      await subject?.close();
      subject = null;
    });

    async function start(): Promise<(command: string, properties?: JsonObject) => Promise<Reply>> {
      subject = await make();
      const ctx = subject.ctx;
      return async (command, properties = {}) =>
        (await dispatch(ctx, JSON.stringify({ id: `c${++id}`, command, properties }))) as Reply;
    }

    test("list names every watcher, sorted; list <name> gives one pid per process", async () => {
      const call = await start();
      expect((await call("list")).watchers).toEqual(["manual", "single", "web", "worker"]);
      const web = (await call("list", { name: "web" })).pids as number[];
      expect(web).toHaveLength(2);
      expect(new Set(web).size).toBe(2);
      expect((await call("list", { name: "manual" })).pids).toEqual([]);
    });

    test("numwatchers and numprocesses count watchers and live processes", async () => {
      const call = await start();
      expect((await call("numwatchers")).numwatchers).toBe(4);
      expect((await call("numprocesses")).numprocesses).toBe(4);
      expect(await call("numprocesses", { name: "web" })).toMatchObject({ numprocesses: 2, watcher_name: "web" });
    });

    test("status tells active from stopped, per watcher and for all", async () => {
      const call = await start();
      expect((await call("status", { name: "web" })).status).toBe("active");
      expect((await call("status")).statuses).toEqual({
        manual: "stopped",
        single: "active",
        web: "active",
        worker: "active",
      });
    });

    test("incr and decr with waiting change the target and the live processes with it", async () => {
      const call = await start();
      expect((await call("incr", { name: "web", nb: 2, waiting: true })).numprocesses).toBe(4);
      expect((await call("list", { name: "web" })).pids).toHaveLength(4);
      expect((await call("decr", { name: "web", nb: 3, waiting: true })).numprocesses).toBe(1);
      expect((await call("list", { name: "web" })).pids).toHaveLength(1);
      expect((await call("options", { name: "web" })).options).toMatchObject({ numprocesses: 1 });
    });

    test("a singleton does not grow: incr answers its one process, set numprocesses 2 is refused", async () => {
      const call = await start();
      expect(await call("incr", { name: "single", waiting: true })).toMatchObject({ numprocesses: 1, singleton: true });
      expect(await call("set", { name: "single", options: { numprocesses: 2 } })).toMatchObject({ errno: 5 });
      expect((await call("list", { name: "single" })).pids).toHaveLength(1);
    });

    test("stop then start with waiting: the processes go, and new ones come", async () => {
      const call = await start();
      const before = (await call("list", { name: "web" })).pids as number[];
      expect((await call("stop", { name: "web", waiting: true })).status).toBe("ok");
      expect((await call("status", { name: "web" })).status).toBe("stopped");
      expect((await call("list", { name: "web" })).pids).toEqual([]);
      const info = (await call("start", { name: "web", waiting: true })).info as { started: number[]; kept: number[] };
      expect(info.kept).toEqual([]);
      expect(info.started).toHaveLength(2);
      expect(info.started.some((p) => before.includes(p))).toBe(false);
      expect((await call("list", { name: "web" })).pids).toEqual(info.started);
    });

    test("start of an active watcher keeps its processes", async () => {
      const call = await start();
      const before = (await call("list", { name: "web" })).pids as number[];
      expect((await call("start", { name: "web", waiting: true })).info).toEqual({ started: [], kept: before });
    });

    test("restart and reload of one watcher replace every process and say which", async () => {
      const call = await start();
      for (const command of ["restart", "reload"]) {
        const before = (await call("list", { name: "web" })).pids as number[];
        const info = (await call(command, { name: "web", waiting: true })).info as Record<string, number[]>;
        expect({ command, stopped: [...info.stopped!].sort(), kept: info.kept }).toEqual({
          command,
          stopped: [...before].sort(),
          kept: [],
        });
        expect(info.started).toHaveLength(2);
        expect([...((await call("list", { name: "web" })).pids as number[])].sort()).toEqual([...info.started!].sort());
      }
    });

    test("stop and start without a name act on every watcher; start leaves autostart=false ones stopped", async () => {
      const call = await start();
      await call("stop", { waiting: true });
      expect(Object.values((await call("status")).statuses as JsonObject)).toEqual([
        "stopped",
        "stopped",
        "stopped",
        "stopped",
      ]);
      expect((await call("numprocesses")).numprocesses).toBe(0);
      await call("start", { waiting: true });
      expect((await call("status")).statuses).toEqual({
        manual: "stopped",
        single: "active",
        web: "active",
        worker: "active",
      });
    });

    test("add creates a stopped watcher, add with start runs it, rm takes it away", async () => {
      const call = await start();
      expect((await call("add", { name: "extra", cmd: "sleep 60" })).status).toBe("ok");
      expect((await call("status", { name: "extra" })).status).toBe("stopped");
      const started = await call("add", { name: "more", cmd: "sleep 60", start: true, waiting: true });
      expect(started.kept).toEqual([]);
      expect(started.started).toEqual((await call("list", { name: "more" })).pids);
      expect(started.started).toHaveLength(1);
      await call("rm", { name: "extra", waiting: true });
      await call("rm", { name: "MORE", waiting: true });
      expect((await call("list")).watchers).toEqual(["manual", "single", "web", "worker"]);
    });

    test("add of a name in use (in any case) is errno 5 naming it", async () => {
      const call = await start();
      expect(await call("add", { name: "WEB", cmd: "sleep 60" })).toMatchObject({
        errno: 5,
        reason: "command add: 'WEB' already exist",
      });
    });

    test("set numprocesses resizes the watcher, and get reports the new value", async () => {
      const call = await start();
      await call("set", { name: "web", options: { numprocesses: 3 }, waiting: true });
      expect((await call("get", { name: "web", keys: ["numprocesses"] })).options).toEqual({ numprocesses: 3 });
      expect((await call("list", { name: "web" })).pids).toHaveLength(3);
    });

    test("set and add refuse keys named like Object.prototype members with errno 3 naming the key", async () => {
      const call = await start();
      // JSON.parse, not an object literal: `{ __proto__: … }` would set a prototype instead of a key.
      const options = (json: string) => JSON.parse(json) as JsonObject;
      const refused: [string, string][] = [
        ['{"__proto__": "1"}', "unknown key '__proto__'"],
        ['{"constructor": "1"}', "unknown key 'constructor'"],
        ['{"toString": "1"}', "unknown key 'toString'"],
        ['{"rlimit_constructor": 1}', "'rlimit_constructor' isn't a valid rlimit setting"],
        ['{"hooks.toString": "cmd:true"}', "unknown hook 'toString'"],
      ];
      for (const [json, reason] of refused) {
        expect(await call("set", { name: "web", options: options(json), waiting: true })).toMatchObject({
          status: "error",
          errno: 3,
          reason,
        });
        expect(await call("add", { name: "extra", cmd: "sleep 60", options: options(json) })).toMatchObject({
          errno: 3,
          reason,
        });
      }
      expect((await call("get", { name: "web", keys: ["numprocesses"] })).options).toEqual({ numprocesses: 2 });
      expect((await call("list")).watchers).not.toContain("extra");
    });

    test("kill of one process with waiting: it is replaced, the others stay", async () => {
      const call = await start();
      const [victim, other] = (await call("list", { name: "web" })).pids as number[];
      await call("kill", { name: "web", pid: victim!, waiting: true });
      const after = (await call("list", { name: "web" })).pids as number[];
      expect(after).toHaveLength(2);
      expect(after).toContain(other!);
      expect(after).not.toContain(victim!);
    });

    test("signalling the children of a process the watcher does not own is refused", async () => {
      const call = await start();
      expect(await call("signal", { name: "web", pid: 1, signum: 15, children: true })).toMatchObject({ errno: 5 });
    });

    test("a watcher nobody configured is errno 3 for every command that names one", async () => {
      const call = await start();
      for (const command of ["list", "status", "incr", "decr", "stop", "start", "restart", "reload", "rm", "kill"]) {
        expect({ command, reply: await call(command, { name: "ghost" }) }).toMatchObject({
          command,
          reply: { errno: 3, reason: "program ghost not found" },
        });
      }
    });

    test("globaloptions gives the five arbiter options and the version; listsockets lists none when none is bound", async () => {
      const call = await start();
      expect(Object.keys((await call("globaloptions")).options as JsonObject).sort()).toEqual([
        "check_delay",
        "endpoint",
        "multicast_endpoint",
        "pubsub_endpoint",
        "stats_endpoint",
        "version",
      ]);
      expect((await call("listsockets")).sockets).toEqual([]);
    });
  });
}
