// Watcher and process options of a config file, observed from outside a real daemon: /proc of its
// workers (argv, env, cwd, fds, limits, credentials, umask), files they write, and its replies.
// One daemon serves the whole file; each test looks at its own watchers.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { isAlive, startDaemon, waitExec, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { subscribe, type CircusEvent } from "../../src/protocol/client.ts";
import { waitTrap, zombieChildren } from "../helpers/processes.ts";

const root = process.getuid?.() === 0;

/** A user of our own with two supplementary groups, to see initgroups at work (created as root, removed after). */
/** Named after this process, so that test runs side by side (or parallel files) never share one. */
const TEST_USER = `circus-opt-${process.pid}`;
const TEST_GROUPS = [`circus-opta-${process.pid}`, `circus-optb-${process.pid}`];

function createTestUser(): { name: string; uid: number; gid: number; groups: number[] } {
  const run = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
  run(["userdel", TEST_USER]);
  for (const g of TEST_GROUPS) run(["groupadd", "-f", g]);
  const made = run([
    "useradd",
    "-M",
    "-N",
    "-g",
    "nogroup",
    "-G",
    TEST_GROUPS.join(","),
    "-d",
    "/nonexistent",
    TEST_USER,
  ]);
  if (made.exitCode !== 0) throw new Error(`useradd ${TEST_USER} failed`);
  const passwd = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((l) => l.split(":"));
  const groups = readFileSync("/etc/group", "utf8")
    .split("\n")
    .map((l) => l.split(":"));
  const pw = passwd.find((p) => p[0] === TEST_USER)!;
  const gid = Number(pw[3]);
  const extra = groups.filter((g) => TEST_GROUPS.includes(g[0]!)).map((g) => Number(g[2]));
  return { name: TEST_USER, uid: Number(pw[2]), gid, groups: [...new Set([gid, ...extra])].sort((a, b) => a - b) };
}

function removeTestUser(): void {
  Bun.spawnSync(["userdel", TEST_USER], { stdout: "ignore", stderr: "ignore" });
  for (const g of TEST_GROUPS) Bun.spawnSync(["groupdel", g], { stdout: "ignore", stderr: "ignore" });
}
const member = root ? createTestUser() : null;

const LIMITS: Record<string, [string, string]> = {
  // rlimit name → [config value, /proc/PID/limits row label]
  as: ["", "Max address space"],
  cpu: ["3600", "Max cpu time"],
  fsize: ["unlimited", "Max file size"],
  data: ["1073741824", "Max data size"],
  stack: ["8388608", "Max stack size"],
  core: ["0", "Max core file size"],
  rss: ["1048576", "Max resident set"],
  nproc: ["4096", "Max processes"],
  nofile: ["1024", "Max open files"],
  memlock: ["65536", "Max locked memory"],
  locks: ["100", "Max file locks"],
  sigpending: ["1000", "Max pending signals"],
  msgqueue: ["819200", "Max msgqueue size"],
  nice: ["0", "Max nice priority"],
  rtprio: ["0", "Max realtime priority"],
  rttime: ["1000000", "Max realtime timeout"],
};

const trap = (sig: string) => `sh -c 'trap "echo ${sig} >> {dir}/$0; exit 0" ${sig}; while :; do sleep 0.05; done'`;

const INI = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
check_delay = 0.5
umask = 027

[env]
GLOBAL = 1
SHARED = from-env

[env:envc*]
SHARED = from-glob
HOMECOPY = $HOME

[env:envcopy]
SHARED = from-exact

[watcher:order-low]
cmd = sleep 300
priority = 1

[watcher:order-high]
cmd = sleep 300
priority = 10

[watcher:order-mid]
cmd = sleep 300
priority = 5

[watcher:limits]
cmd = sleep 300
${Object.entries(LIMITS)
  .map(([name, [value]]) => `rlimit_${name} = ${value}`)
  .join("\n")}

${member ? `[watcher:member]\ncmd = sleep 300\nuid = ${member.name}\n` : ""}
${root ? "[watcher:nobody]\ncmd = sleep 300\nuid = 65534\ngid = nogroup\n" : ""}

[watcher:envcopy]
cmd = sleep 300
copy_env = true

[watcher:envplain]
cmd = sleep 300

[watcher:shellw]
cmd = echo "$0 $1" | tr a-z A-Z > {dir}/shell.out; exec sleep 300
shell = true
shell_args = zero one

[watcher:argsw]
cmd = sh -c 'sleep 300; : "$@"' zero
args = 'two words' x\\ y

[watcher:quiet]
cmd = sleep 300
close_child_stdout = true
close_child_stderr = true
working_dir = {dir}

[watcher:stdin]
cmd = sleep 300
stdin_socket = in

[watcher:stopq]
cmd = ${trap("QUIT")} stopq.out
stop_signal = quit
graceful_timeout = 5

[watcher:stopn]
cmd = ${trap("USR1")} stopn.out
stop_signal = 10
graceful_timeout = 5

[watcher:stops]
cmd = ${trap("USR2")} stops.out
stop_signal = SIGUSR2
graceful_timeout = 5

[watcher:crash]
cmd = sh -c 'exit 1'
max_retry = -1
autostart = false

[watcher:givesup]
cmd = {dir}/no-such-program
max_retry = 3

[watcher:periodic]
cmd = sh -c 'date +%s%N >> {dir}/periodic.log; exit 0'
max_retry = 3

[watcher:victim]
cmd = sleep 300

[watcher:storm]
cmd = sleep 301
numprocesses = 20
max_retry = -1

[watcher:family]
cmd = sh -c 'sleep 300 & wait'

[watcher:stubborn]
cmd = sh -c 'trap "" TERM; while :; do sleep 0.05; done'
graceful_timeout = 0.5

[socket:in]
host = 127.0.0.1
port = 0
`;

let d: RunningDaemon;
beforeAll(async () => {
  // A low soft open-files limit to see the daemon raise it; `env` adds variables only the daemon has.
  d = await startDaemon(INI, [], {
    wrap: ["prlimit", "--nofile=256:8192", "env", "GLOBAL=daemon", "DAEMON_ONLY=yes"],
  });
}, 20_000);
afterAll(async () => {
  if (member) removeTestUser();
  await d?.stop();
});

const pidsOf = (name: string, count = 1) => waitPids(d, name, count);
const running = waitExec;

async function worker(name: string, comm = "sleep"): Promise<number> {
  const [pid] = await pidsOf(name);
  return running(pid!, comm);
}

function status(pid: number, field: string): string[] {
  const line =
    readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith(field + ":")) ?? "";
  return line
    .slice(field.length + 1)
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

function limitRow(pid: number, label: string): [string, string] {
  const line =
    readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith(label)) ?? "";
  const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
  return [soft!, hard!];
}

function environ(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function stat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

describe("a daemon's watchers seen from /proc", () => {
  test("watchers start in descending priority: the higher the priority, the earlier (lower) the pid", async () => {
    const [high] = await pidsOf("order-high");
    const [mid] = await pidsOf("order-mid");
    const [low] = await pidsOf("order-low");
    expect(high!).toBeLessThan(mid!);
    expect(mid!).toBeLessThan(low!);
  });

  test("every worker has the [circus] umask and leads its own session and process group", async () => {
    for (const name of ["order-mid", "limits", "argsw"]) {
      const pid = await worker(name, name === "argsw" ? "sh" : "sleep");
      expect(status(pid, "Umask")).toEqual(["0027"]);
      const [, , pgrp, session] = stat(pid);
      expect([Number(pgrp), Number(session)]).toEqual([pid, pid]);
    }
  });

  test("the daemon raises its soft open-files limit to the hard limit at start; workers inherit it", async () => {
    expect(limitRow(d.proc.pid, "Max open files")).toEqual(["8192", "8192"]);
    expect(limitRow(await worker("order-mid"), "Max open files")).toEqual(["8192", "8192"]);
  });

  test("every rlimit_* reaches the worker as soft = hard; empty or unlimited means unlimited", async () => {
    const pid = await worker("limits");
    for (const [value, label] of Object.values(LIMITS)) {
      const expected = value === "" || value === "unlimited" ? "unlimited" : value;
      expect([label, ...limitRow(pid, label)]).toEqual([label, expected, expected]);
    }
  });

  test.skipIf(member === null)(
    "uid by name switches to the user, its primary group and its supplementary groups",
    async () => {
      const pid = await worker("member");
      expect(status(pid, "Uid")).toEqual(Array(4).fill(String(member!.uid)));
      expect(status(pid, "Gid")).toEqual(Array(4).fill(String(member!.gid)));
      expect(
        status(pid, "Groups")
          .map(Number)
          .sort((a, b) => a - b),
      ).toEqual(member!.groups);
      expect(member!.groups.length).toBeGreaterThan(1);
    },
  );

  test.skipIf(!root)(
    "a numeric uid with a gid by name switches both, and none of the daemon's groups stay",
    async () => {
      const pid = await worker("nobody");
      expect(status(pid, "Uid")).toEqual(Array(4).fill("65534"));
      expect(status(pid, "Gid")).toEqual(Array(4).fill("65534"));
      expect(status(pid, "Groups")).toEqual(["65534"]);
    },
  );

  test("env precedence: [env:exact] over [env:glob] over [env] over the daemon's environment (copy_env)", async () => {
    const env = environ(await worker("envcopy"));
    expect(env.SHARED).toBe("from-exact");
    expect(env.GLOBAL).toBe("1");
    expect(env.DAEMON_ONLY).toBe("yes");
    expect(env.HOMECOPY).toBe(process.env.HOME!);
  });

  test("without copy_env a worker sees only [env] and the sections matching its name", async () => {
    expect(environ(await worker("envplain"))).toEqual({ GLOBAL: "1", SHARED: "from-env" });
  });

  test("shell = true runs the line through sh -c: pipes work and shell_args become $0 $1", async () => {
    await worker("shellw");
    await waitFor(
      () => existsSync(`${d.dir}/shell.out`) && readFileSync(`${d.dir}/shell.out`, "utf8").trim(),
      5000,
      "shell.out",
    );
    expect(readFileSync(`${d.dir}/shell.out`, "utf8").trim()).toBe("ZERO ONE");
  });

  test("cmd and args are split like a POSIX shell: the worker's argv keeps quoted words whole", async () => {
    const pid = await worker("argsw", "sh");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
    expect(argv).toEqual(["sh", "-c", 'sleep 300; : "$@"', "zero", "two words", "x y"]);
  });

  test("close_child_stdout/stderr point fds 1 and 2 at /dev/null; working_dir is the worker's cwd", async () => {
    const pid = await worker("quiet");
    expect(readlinkSync(`/proc/${pid}/fd/1`)).toBe("/dev/null");
    expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe("/dev/null");
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(d.dir);
  });

  test("stdin_socket puts the daemon's socket on the worker's fd 0", async () => {
    const pid = await worker("stdin");
    const [sock] = (await d.call("listsockets")).sockets as { fd: number; name: string }[];
    expect(sock!.name).toBe("in");
    expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe(readlinkSync(`/proc/${d.proc.pid}/fd/${sock!.fd}`));
    expect(readlinkSync(`/proc/${pid}/fd/0`)).toMatch(/^socket:\[\d+\]$/);
  });

  test("stop_signal takes names (quit, SIGUSR2) and numbers (10): each worker gets its own signal", async () => {
    const pids = [await worker("stopq", "sh"), await worker("stopn", "sh"), await worker("stops", "sh")];
    await Promise.all(["QUIT", "USR1", "USR2"].map((signal, i) => waitTrap(pids[i]!, signal)));
    for (const name of ["stopq", "stopn", "stops"])
      expect((await d.call("stop", { name, waiting: true })).status).toBe("ok");
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const got = (file: string) => readFileSync(`${d.dir}/${file}`, "utf8").trim();
    expect([got("stopq.out"), got("stopn.out"), got("stops.out")]).toEqual(["QUIT", "USR1", "USR2"]);
  });

  test("a command that cannot be spawned is retried with backoff, and after max_retry = 3 the watcher gives up: stopped, with spawn_error", async () => {
    const reply = await waitFor(
      async () => {
        const r = await d.call("status", { name: "givesup" });
        return r.status === "stopped" ? r : null;
      },
      5000,
      "givesup to stop",
    );
    expect(reply.spawn_error).toContain(`${d.dir}/no-such-program`);
    expect(reply.spawn_error).toContain("max_retry = 3");
    expect(reply.last_exit).toBeNull();
  });

  test("a short job exiting 0 is run again and again past max_retry, the watcher staying active", async () => {
    const runs = () =>
      existsSync(`${d.dir}/periodic.log`) ? readFileSync(`${d.dir}/periodic.log`, "utf8").trim().split("\n").length : 0;
    await waitFor(() => runs() >= 5, 5000, "5 runs");
    const reply = await d.call("status", { name: "periodic" });
    expect(reply.status).toBe("active");
    expect(reply.spawn_error).toBeNull();
    expect(reply.last_exit).toMatchObject({ status: 0, signal: null, reason: "exit" });
    expect(reply.restarts).toBeGreaterThanOrEqual(4);
  });

  test("a worker killed with SIGKILL is replaced at once by a new pid", async () => {
    const old = await worker("victim");
    const spawns: { process_pid: number; time: number }[] = [];
    const sub = subscribe(d.pubsub, ["watcher.victim.spawn"], (e) =>
      spawns.push(e.payload as { process_pid: number; time: number }),
    );
    try {
      await sub.ready;
      const killedAt = Date.now() / 1000;
      process.kill(old, "SIGKILL");
      const [fresh] = await waitFor(
        async () => {
          const pids = ((await d.call("list", { name: "victim" })).pids ?? []) as number[];
          return pids.length === 1 && pids[0] !== old ? pids : null;
        },
        5000,
        "a replacement",
      );
      const spawned = await waitFor(() => spawns.find((e) => e.process_pid === fresh), 5000, "its spawn event");
      // Event-driven: timed from the kill to the spawn the daemon reports (one clock, this host's), not to
      // when this test's polling saw it, which a loaded machine stretches.
      expect(spawned.time - killedAt).toBeLessThan(1);
    } finally {
      await sub.close();
    }
  });

  test("slow: no zombie is left among the daemon's children after a storm of 100 kills", async () => {
    await pidsOf("storm", 20);
    // The victims come from the daemon's `list` (one scan of /proc per kill cost half a second on a
    // machine running 10 000 processes); a pid once killed is not counted again while it awaits its reap.
    // Every fourth of them per round (a different fourth each time): one round trip per kill made the
    // storm outlast the test's 15 s on a loaded machine (100 pyzmq round trips and the refills between).
    const hit = new Set<number>();
    let killed = 0;
    for (let round = 0; killed < 100 && round < 1000; round++) {
      const kids = (((await d.call("list", { name: "storm" })).pids ?? []) as number[]).filter((p) => !hit.has(p));
      for (const victim of kids.filter((_, k) => (k + round) % 4 === 0).slice(0, 100 - killed)) {
        try {
          process.kill(victim, "SIGKILL");
          hit.add(victim);
          killed++;
        } catch {
          // already gone
        }
      }
      await Bun.sleep(5);
    }
    expect(killed).toBe(100);
    await pidsOf("storm", 20);
    await waitFor(() => zombieChildren(d.proc.pid).length === 0, 3000, "no zombies");
    expect(zombieChildren(d.proc.pid)).toEqual([]);
  }, 15_000);

  test("stopping a watcher leaves no grandchild behind", async () => {
    const pid = await worker("family", "sh");
    const grandchild = await waitFor(
      () => readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim(),
      3000,
      "the grandchild",
    );
    expect((await d.call("stop", { name: "family", waiting: true })).status).toBe("ok");
    await waitFor(() => !isAlive(Number(grandchild)), 2000, "the grandchild to be gone");
  });

  test("a worker ignoring SIGTERM is SIGKILLed once graceful_timeout has passed", async () => {
    const pid = await worker("stubborn", "sh");
    await waitTrap(pid, "TERM");
    const t0 = Date.now();
    expect((await d.call("stop", { name: "stubborn", waiting: true })).status).toBe("ok");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(isAlive(pid)).toBe(false);
  });

  test("slow: a command that exits at once is retried forever, 100 ms doubling up to max(check_delay, 1 s), and the daemon keeps answering", async () => {
    // Each delay is timed by the daemon's own clock, from a death (its reap event) to the next spawn: the
    // time a shell takes to start, which a loaded machine stretches (466 ms seen for a 100 ms delay), is
    // no part of it. The watcher starts here, once every event of its crash loop reaches the test.
    const events: CircusEvent[] = [];
    const sub = subscribe(d.pubsub, ["watcher.crash."], (e) => events.push(e));
    try {
      await sub.ready;
      await d.call("start", { name: "crash" });
      const of = (action: string) =>
        events
          .filter((e) => e.topic === `watcher.crash.${action}`)
          .map((e) => e.payload as { process_pid: number; time: number });
      await waitFor(() => of("spawn").length >= 7, 10_000, "7 attempts");
      const t0 = Date.now();
      const reply = await d.call("status", { name: "crash" });
      expect(Date.now() - t0).toBeLessThan(1500); // a round trip, not a blocked daemon
      expect(reply.status).toBe("active");
      const spawns = of("spawn");
      const reapOf = (pid: number) =>
        waitFor(() => of("reap").find((r) => r.process_pid === pid), 5000, `the reap of ${pid}`);
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) delays.push(spawns[i + 1]!.time - (await reapOf(spawns[i]!.process_pid)).time);
      // 100, 200, 400, 800 ms, then capped at 1 s (check_delay is 0.5).
      expect(delays[0]!).toBeGreaterThanOrEqual(0.09);
      expect(delays[0]!).toBeLessThan(0.4);
      expect(delays[1]!).toBeGreaterThanOrEqual(0.19);
      expect(delays[2]!).toBeGreaterThanOrEqual(0.39);
      expect(delays[3]!).toBeGreaterThanOrEqual(0.79);
      // Capped: doubling on would make these 1.6 s and 3.2 s.
      for (const delay of delays.slice(4, 6)) expect(delay).toBeGreaterThanOrEqual(0.99);
      expect(delays[5]!).toBeLessThan(2.5);
    } finally {
      await sub.close();
      await d.call("stop", { name: "crash", waiting: true });
    }
  }, 15_000);
});
