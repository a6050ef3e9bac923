// The endpoint_owner boundary, tried by throwaway unix users against a root daemon: the owner may only
// create and change watchers that run as itself, with files it could write itself; hooks and stream
// modules come from the config file only; other users cannot reach the ipc endpoints at all, not even
// an abstract one, nor in the instant between bind and chmod; a worker's planted log link is not
// followed by `reopen`.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pyCall, type RunningDaemon, startDaemon, waitFor, waitPids } from "../helpers/daemon.ts";
import { spawnPeer, killAllPeers } from "../helpers/peers.ts";
import { asUser, makeUser, removeUsers, type TestUser } from "../helpers/users.ts";

let owner: TestUser;
let stranger: TestUser;
beforeAll(() => {
  owner = makeUser("own");
  stranger = makeUser("str");
});
afterAll(removeUsers);

const running: RunningDaemon[] = [];
afterEach(async () => {
  await killAllPeers();
  for (const d of running.splice(0)) await d.stop();
});

/** One request as `user` (null: root), through pyzmq. */
function callAs(
  user: TestUser | null,
  endpoint: string,
  command: string,
  properties: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  return pyCall(endpoint, command, properties, timeoutMs, { wrap: user ? asUser(user) : [] });
}

/** A root daemon whose ipc control socket belongs to `owner`, in a directory everyone may enter. */
async function ownedDaemon(endpoint = "ipc://{dir}/ctl.sock", extra = ""): Promise<RunningDaemon> {
  const d = await startDaemon(
    `[circus]
endpoint = ${endpoint}
pubsub_endpoint = ipc://{dir}/events.sock
endpoint_owner = ${owner.name}

[watcher:rootjob]
cmd = sleep 60
${extra}`,
    [],
    {
      endpoint,
      prepare: (dir) => chmodSync(dir, 0o755),
      call: (e, command, props) => callAs(null, e, command, props, 300),
    },
  );
  running.push(d);
  return d;
}

const ep = (d: RunningDaemon, e = "ipc://{dir}/ctl.sock") => e.replaceAll("{dir}", d.dir);

/** The uid a process runs as, from /proc. */
function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

describe("what the endpoint_owner may add", () => {
  test("a watcher that runs as itself, and nothing else", async () => {
    const d = await ownedDaemon();
    const control = ep(d);
    const add = (name: string, options: Record<string, unknown>) =>
      callAs(owner, control, "add", { name, cmd: "sleep 60", options, start: true });
    expect(await add("mine", { uid: owner.name })).toMatchObject({ status: "ok" });
    const [pid] = await waitPids(d, "mine", 1);
    expect(uidOf(pid!)).toBe(owner.uid);
    const refusals: [Record<string, unknown>, string][] = [
      [{}, "uid does not match endpoint_owner"],
      [{ uid: "root" }, "uid does not match endpoint_owner"],
      [{ uid: 4294967296 }, "out of range"],
      [{ uid: owner.name, gid: 0 }, `gid 0 is not a group of endpoint_owner ${owner.name}`],
      [{ uid: owner.name, hooks: { before_start: "cmd:touch /tmp/pwned" } }, "hooks run inside the daemon"],
      [{ uid: owner.name, hooks: { after_spawn: "./evil.ts:run" } }, "hooks run inside the daemon"],
      [{ uid: owner.name, stdout_stream: { class: "./evil.ts:stream" } }, "stream modules run inside the daemon"],
      [
        { uid: owner.name, stdout_stream: { class: "FileStream", filename: "/etc/cron.d/pwned" } },
        `could not write /etc/cron.d/pwned itself`,
      ],
      [{ uid: owner.name, copy_env: true }, "copy_env would hand the daemon's own environment"],
      [{ uid: owner.name, working_dir: "/root" }, "could not enter /root"],
    ];
    for (const [i, [options, reason]] of refusals.entries()) {
      const reply = await add(`bad${i}`, options);
      expect({ options, reply }).toMatchObject({ options, reply: { status: "error", errno: 3 } });
      expect(String(reply.reason)).toContain(reason);
    }
    expect(existsSync("/etc/cron.d/pwned")).toBe(false);
    expect(existsSync("/tmp/pwned")).toBe(false);
    // A file in its own directory is fine.
    const log = join(owner.home, "out.log");
    const ok = await add("logged", { uid: owner.uid, stdout_stream: { class: "FileStream", filename: log } });
    expect(ok.status).toBe("ok");
  });

  test("root, on the same socket, is not limited", async () => {
    const d = await ownedDaemon();
    expect(await callAs(null, ep(d), "add", { name: "rootadd", cmd: "sleep 60" })).toMatchObject({ status: "ok" });
  });
});

describe("what the endpoint_owner may change", () => {
  test("on a watcher running as root: its size and timing, never what it runs, as whom, or its hooks", async () => {
    const d = await ownedDaemon();
    const set = (options: Record<string, unknown>) =>
      callAs(owner, ep(d), "set", { name: "rootjob", options, waiting: true });
    for (const options of [
      { cmd: "sh -c 'id > /tmp/pwned'" },
      { args: "--evil" },
      { uid: owner.name },
      { env: { LD_PRELOAD: "/tmp/x.so" } },
      { hooks: { before_start: "cmd:touch /tmp/pwned" } },
      { "hooks.after_spawn": "cmd:touch /tmp/pwned" },
      { "stdout_stream.filename": "/etc/passwd" },
      { "ready.cmd": "id > /tmp/pwned" },
    ]) {
      const reply = await set(options);
      expect(reply).toMatchObject({ status: "error", errno: 3 });
      expect(String(reply.reason)).toMatch(/does not run as endpoint_owner|ready\.cmd runs as the daemon's user/);
    }
    expect(await set({ numprocesses: 2 })).toMatchObject({ status: "ok" });
    const [pid] = await waitPids(d, "rootjob", 2);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toStartWith("sleep\u000060");
  });

  test("on its own watcher: what it runs, but it stays its own, with its own files", async () => {
    const d = await ownedDaemon();
    expect(
      await callAs(owner, ep(d), "add", { name: "mine", cmd: "sleep 60", options: { uid: owner.name } }),
    ).toMatchObject({ status: "ok" });
    const set = (options: Record<string, unknown>) =>
      callAs(owner, ep(d), "set", { name: "mine", options, waiting: true });
    expect(await set({ cmd: "sleep 61" })).toMatchObject({ status: "ok" });
    expect(await set({ uid: "root" })).toMatchObject({ reason: "uid does not match endpoint_owner" });
    expect(String((await set({ gid: 0 })).reason)).toContain("is not a group of endpoint_owner");
    expect(String((await set({ "stdout_stream.filename": "/etc/motd" })).reason)).toContain(
      "could not write /etc/motd itself",
    );
    expect(String((await set({ "hooks.before_start": "cmd:true" })).reason)).toContain("hooks run inside the daemon");
    // The daemon runs a ready.cmd probe itself, as root: the owner's watcher may not carry one of its making.
    const marker = join(d.dir, "probed-as");
    expect(String((await set({ "ready.cmd": `id -u > ${marker}` })).reason)).toContain(
      "ready.cmd runs as the daemon's user",
    );
    expect(
      await callAs(owner, ep(d), "add", {
        name: "probed",
        cmd: "sleep 60",
        options: { uid: owner.name, "ready.cmd": `id -u > ${marker}` },
        start: true,
      }),
    ).toMatchObject({ status: "error", errno: 3 });
    expect(existsSync(marker)).toBe(false);
    expect(await set({ "ready.log": "ready" })).toMatchObject({ status: "ok" });
  });
});

describe("where hooks come from", () => {
  test("a config file the owner may write stops the start; so does, on reloadconfig, a hook module it may write", async () => {
    const ini = `[circus]\nendpoint = ipc://{dir}/ctl.sock\npubsub_endpoint = ipc://{dir}/events.sock\nendpoint_owner = ${owner.name}\n[watcher:w]\ncmd = sleep 60\n`;
    const refused = await startDaemon(ini, [], {
      wait: false,
      prepare: (dir) => chownSync(join(dir, "circus.ini"), owner.uid, owner.gid),
    });
    running.push(refused);
    expect(await refused.proc.exited).toBe(1);
    expect(refused.output()).toMatch(/the config file \S+circus\.ini belongs to uid \d+, expected root/);

    const d = await ownedDaemon();
    const hook = join(d.dir, "hook.ts");
    writeFileSync(hook, "export function check() { return true; }\n");
    chownSync(hook, owner.uid, owner.gid);
    writeFileSync(d.configPath, `${readFileSync(d.configPath, "utf8")}hooks.before_start = ./hook.ts:check\n`);
    const reply = await callAs(null, ep(d), "reloadconfig", { waiting: true });
    expect(reply).toMatchObject({ status: "error", errno: 5 });
    expect(String(reply.reason)).toContain("hook before_start of watcher rootjob");
  });
});

describe("who reaches the ipc endpoints", () => {
  test("another user cannot connect to the control or events socket", async () => {
    const d = await ownedDaemon();
    expect(statSync(join(d.dir, "ctl.sock")).uid).toBe(owner.uid);
    expect(statSync(join(d.dir, "ctl.sock")).mode & 0o777).toBe(0o600);
    expect(statSync(join(d.dir, "events.sock")).mode & 0o777).toBe(0o600);
    expect(await callAs(stranger, ep(d), "list", {}, 500)).toEqual({ status: "timeout" });
    expect(await callAs(owner, ep(d), "list")).toMatchObject({ status: "ok" });
  });

  test("an abstract control endpoint, which has no file permissions, admits root and the owner only", async () => {
    const name = `ipc://@circus-test-${process.pid}-${Date.now()}`;
    const d = await ownedDaemon(name);
    expect(await callAs(owner, name, "list")).toMatchObject({ status: "ok", watchers: ["rootjob"] });
    expect(await callAs(null, name, "list")).toMatchObject({ status: "ok" });
    expect(await callAs(stranger, name, "list", {}, 1000)).toEqual({ status: "timeout" });
    await waitFor(() => d.output().match(new RegExp(`connection from uid ${stranger.uid} \\(pid \\d+\\) refused`)));
  });

  test("the socket file has its mode from the bind on: no user slips in before a chmod, even under umask 000", async () => {
    // A stranger tries to connect to the path in a tight loop while the daemon starts, eight times.
    const RACER = `
import os, socket, sys, time
path = sys.argv[1]; won = 0; end = None; give_up = time.time() + 20
while time.time() < give_up and (end is None or time.time() < end):
    if end is None and os.path.exists(path): end = time.time() + 0.2
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path); won += 1
    except OSError:
        pass
    s.close()
print("CONNECTED", won, flush=True)
`;
    for (let round = 0; round < 8; round++) {
      let racer!: ReturnType<typeof spawnPeer>;
      const d = await startDaemon(
        "[circus]\nendpoint = ipc://{dir}/ctl.sock\npubsub_endpoint = ipc://{dir}/events.sock\n[watcher:w]\ncmd = sleep 60\n",
        [],
        {
          endpoint: "ipc://{dir}/ctl.sock",
          wrap: ["sh", "-c", 'umask 000; exec "$@"', "sh"],
          prepare: async (dir) => {
            chmodSync(dir, 0o777);
            racer = spawnPeer([...asUser(stranger), "/usr/bin/python3", "-c", RACER, join(dir, "ctl.sock")]);
          },
          call: (e, command, props) => callAs(null, e, command, props, 300),
        },
      );
      running.push(d);
      expect(await racer.waitFor("CONNECTED", 10_000)).toBe("0");
      expect(statSync(join(d.dir, "ctl.sock")).mode & 0o777).toBe(0o600);
      await running.pop()!.stop();
    }
  });
});

describe("log files and reopen", () => {
  test("a worker that replaces its log with a link to a root-only file does not get root to write there", async () => {
    const secret = join(owner.home, "..", `circus-secret-${process.pid}`);
    writeFileSync(secret, "root only\n", { mode: 0o600 });
    const logs = join(owner.home, "logs");
    const d = await startDaemon(
      `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}

[watcher:app]
cmd = sh -c 'while true; do echo tick; sleep 0.05; done'
uid = ${owner.name}
stdout_stream.class = FileStream
stdout_stream.filename = ${logs}/app.log
`,
      [],
      {
        prepare: () => {
          Bun.spawnSync([...asUser(owner), "mkdir", logs]);
        },
      },
    );
    running.push(d);
    try {
      await waitFor(
        () => existsSync(join(logs, "app.log")) && readFileSync(join(logs, "app.log"), "utf8").includes("tick"),
      );
      // The worker's user replaces the file with a link (it owns the directory, so it may).
      const swap = Bun.spawnSync([
        ...asUser(owner),
        "sh",
        "-c",
        `rm ${logs}/app.log && ln -s ${secret} ${logs}/app.log`,
      ]);
      expect(swap.exitCode).toBe(0);
      expect(lstatSync(join(logs, "app.log")).isSymbolicLink()).toBe(true);
      expect((await d.call("reopen")).status).toBe("ok");
      await waitFor(() => d.output().includes("not followed"), 5000, "the refused open in the daemon's log");
      await Bun.sleep(300); // the worker keeps printing meanwhile
      expect(readFileSync(secret, "utf8")).toBe("root only\n");
    } finally {
      Bun.spawnSync(["rm", "-f", secret]);
    }
  });
});
