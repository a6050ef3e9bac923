// `circus daemon` from the outside: exit codes, config errors, pidfile, detaching, signals, PID 1.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BINARY,
  ROOT,
  childrenOf,
  circusCommand,
  descendantsOf,
  freePort,
  isAlive,
  pyCall,
  startDaemon,
  waitFor,
  waitPids,
  type RunningDaemon,
} from "../helpers/daemon.ts";
import { Output, spawnTracked, waitTrap } from "../helpers/processes.ts";
import { tempDir } from "../helpers/temp.ts";

const running: RunningDaemon[] = [];
const strayPids: number[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

const USAGE_LINE =
  "usage: circusd [--daemon] [--pidfile FILE] [--log-level LEVEL] [--log-output OUT] [--logger-config FILE] [--insecure] [--print-unit] [--check] <config>";

function sleepers(n: number, extra = ""): string {
  return `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
check_delay = 1

[watcher:sleepers]
cmd = sleep 300
numprocesses = ${n}
graceful_timeout = 2
${extra}
`;
}

/** dist/circus when built (as CI does before testing), else a fresh compile into a temp dir. */
function compiledBinary(): string {
  if (existsSync(BINARY)) return BINARY;
  const out = join(mkdtempSync(join(tmpdir(), "circus-bin-")), "circus");
  const build = Bun.spawnSync([process.execPath, "build", "--compile", join(ROOT, "src/main.ts"), "--outfile", out], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`cannot compile circus: ${build.stderr.toString()}`);
  return out;
}

function run(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync([...circusCommand(), ...args], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("circus daemon", () => {
  test("refuses a bad config with every problem as file:line: section.key", () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-bad-"));
    const path = join(dir, "bad.ini");
    writeFileSync(
      path,
      "[watcher:a]\ncmd = sleep 1\nnumprocesses = three\n\n[watcher:b]\ncmd = sleep 1\nrespawn = maybe\ngraceful_timout = 3\n",
    );
    const r = run(["daemon", path]);
    expect(r.code).toBe(1);
    // Near misses are shown too, since they often explain the problem.
    expect(r.stderr).toContain(
      `${path}:8: watcher:b.graceful_timout: unknown option kept as a free option; did you mean "graceful_timeout"?`,
    );
    expect(r.stderr).toContain(`${path}:3: watcher:a.numprocesses`);
    expect(r.stderr).toContain(`${path}:7: watcher:b.respawn`);
  });

  test("a socket whose port is taken stops the start: exit 1, the socket and its line named, no worker run", () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const dir = mkdtempSync(join(tmpdir(), "circus-bind-"));
      const path = join(dir, "circus.ini");
      writeFileSync(
        path,
        `[circus]\nendpoint = tcp://127.0.0.1:${freePort()}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
          `[watcher:web]\ncmd = touch ${dir}/ran\nuse_sockets = true\n\n[socket:web]\nhost = 127.0.0.1\nport = ${holder.port}\n`,
      );
      const r = run(["daemon", path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`circusd: cannot start: ${path}:10: socket:web: bind 127.0.0.1:${holder.port}: `);
      expect(r.stderr).toContain("(EADDRINUSE) — another process holds the port");
      expect(existsSync(join(dir, "ran"))).toBe(false);
    } finally {
      holder.stop(true);
    }
  });

  test("without a config file: usage on stderr and exit 2 (circusd printed help and exited 0)", () => {
    const r = run(["daemon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`circusd: no config file given\n${USAGE_LINE}\n`);
  });

  test("starts the configured workers and leaves nothing behind after SIGTERM: no worker, no socket file", async () => {
    const d = await startDaemon(sleepers(3) + "\n[socket:u]\npath = {dir}/u.sock\n");
    running.push(d);
    const pids = await waitFor(
      () => {
        const kids = childrenOf(d.proc.pid);
        return kids.length === 3 ? kids : null;
      },
      5000,
      "3 workers",
    );
    expect(existsSync(join(d.dir, "u.sock"))).toBe(true);
    d.proc.kill("SIGTERM");
    expect(await d.proc.exited).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(join(d.dir, "u.sock"))).toBe(false);
  });

  test("quit over the control channel stops the workers and exits 0", async () => {
    const d = await startDaemon(sleepers(2));
    running.push(d);
    const pids = await waitFor(() => (childrenOf(d.proc.pid).length === 2 ? childrenOf(d.proc.pid) : null));
    const reply = await d.call("quit", { waiting: true });
    expect(reply.status).toBe("ok");
    expect(await d.proc.exited).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  test("writes the pidfile, refuses a second daemon on it, and removes it at exit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-pid-"));
    const pidfile = join(dir, "circusd.pid");
    const d = await startDaemon(sleepers(1), ["--pidfile", pidfile]);
    running.push(d);
    expect(readFileSync(pidfile, "utf8")).toBe(`${d.proc.pid}\n`);

    const second = run(["daemon", d.configPath, "--pidfile", pidfile]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`held by running process ${d.proc.pid}`);

    d.proc.kill("SIGTERM");
    await d.proc.exited;
    expect(existsSync(pidfile)).toBe(false);
  });

  test("while stopping, commands that would start workers are refused and SIGHUP is ignored: nothing is left behind", async () => {
    const d = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:slow]
cmd = sh -c "trap '' TERM; exec sleep 1000"
graceful_timeout = 2

[watcher:other]
cmd = sleep 1001
autostart = false
`);
    running.push(d);
    const [slow] = await waitFor(
      () => (childrenOf(d.proc.pid).length === 1 ? childrenOf(d.proc.pid) : null),
      5000,
      "the slow worker",
    );
    await waitFor(() => readFileSync(`/proc/${slow}/comm`, "utf8").trim() === "sleep", 5000, "exec of the slow worker");
    d.proc.kill("SIGTERM");
    await waitFor(async () => (await d.call("status", { name: "slow" })).status === "stopping", 5000, "stopping");
    const refused = await d.call("start", { name: "other", waiting: true });
    expect(refused).toMatchObject({ status: "error", errno: 5, reason: "the daemon is shutting down" });
    expect((await d.call("status", { name: "slow" })).status).toBe("stopping"); // reads still answered
    d.proc.kill("SIGHUP");
    expect(await d.proc.exited).toBe(0);
    expect(d.output()).toContain("got SIGHUP while stopping: ignored");
    expect(isAlive(slow!)).toBe(false);
    expect(Bun.spawnSync(["pgrep", "-f", "sleep 1001"]).stdout.toString()).toBe("");
  }, 20000);

  test("SIGTERM during a start with long warmup pauses stops at once instead of finishing the start", async () => {
    const d = await startDaemon(sleepers(4, "warmup_delay = 4\n"), [], { wait: false });
    running.push(d);
    await waitFor(() => childrenOf(d.proc.pid).length === 1, 10000, "the first worker");
    const started = performance.now();
    d.proc.kill("SIGTERM");
    expect(await d.proc.exited).toBe(0);
    // Finishing the start first would take 3 more pauses of 4 s; only the stop of one worker remains.
    expect(performance.now() - started).toBeLessThan(3000);
  }, 30000);

  test("a daemon that cannot start its control channel removes the unix sockets it bound", async () => {
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const dir = mkdtempSync(join(tmpdir(), "circus-failstart-"));
    const config = join(dir, "circus.ini");
    writeFileSync(
      config,
      `[circus]\nendpoint = tcp://127.0.0.1:${blocker.port}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
        `[socket:s]\npath = ${dir}/s.sock\n\n[watcher:w]\ncmd = sleep 300\nuse_sockets = true\n`,
    );
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const r = run(["daemon", config]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("cannot start");
        expect(r.stderr).not.toContain("already exists");
        expect(existsSync(`${dir}/s.sock`)).toBe(false);
      }
    } finally {
      blocker.stop(true);
    }
  });

  test("an unwritable pidfile is refused with a clear message, exit 1", () => {
    const r = run(["daemon", "--pidfile", "/proc/circus-test.pid", "/dev/null"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pidfile /proc/circus-test.pid: cannot write it");
  });

  test("SIGHUP reloads the workers gracefully: new pids replace the old ones", async () => {
    const d = await startDaemon(sleepers(2));
    running.push(d);
    const before = await waitFor(() => (childrenOf(d.proc.pid).length === 2 ? childrenOf(d.proc.pid) : null));
    d.proc.kill("SIGHUP");
    await waitFor(
      () => {
        const now = childrenOf(d.proc.pid);
        return now.length === 2 && now.every((p) => !before.includes(p));
      },
      8000,
      "a new generation of workers",
    );
    for (const pid of before) await waitFor(() => !isAlive(pid), 5000, `old worker ${pid} to exit`);
  });

  test("--daemon detaches into its own session and keeps serving after the caller exits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-detach-"));
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const pidfile = join(dir, "d.pid");
    const config = join(dir, "circus.ini");
    writeFileSync(
      config,
      sleepers(1).replace("{endpoint}", endpoint).replace("{pubsub}", `tcp://127.0.0.1:${freePort()}`),
    );
    const r = run(["daemon", "--daemon", "--pidfile", pidfile, config]);
    expect(r.code).toBe(0);
    const pid = await waitFor(
      () => (existsSync(pidfile) ? Number(readFileSync(pidfile, "utf8")) : 0),
      10000,
      "pidfile",
    );
    strayPids.push(pid, ...descendantsOf(pid));
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    expect(Number(stat[3])).toBe(pid); // session id == its own pid: a new session
    await waitFor(async () => (await pyCall(endpoint, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
    strayPids.push(...descendantsOf(pid));
    expect((await pyCall(endpoint, "quit", { waiting: true })).status).toBe("ok");
    await waitFor(() => !isAlive(pid), 10000, "the detached daemon to exit");
  });
});

describe("circus daemon signals (§9.12)", () => {
  for (const signal of ["SIGINT", "SIGQUIT"] as const) {
    test(`${signal} stops every worker and the daemon exits 0`, async () => {
      const d = await startDaemon(sleepers(2));
      running.push(d);
      const pids = await waitFor(() => (childrenOf(d.proc.pid).length === 2 ? childrenOf(d.proc.pid) : null));
      d.proc.kill(signal);
      expect(await d.proc.exited).toBe(0);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
    });
  }

  test("every other signal a user might send is handled or ignored: the daemon and its workers stay", async () => {
    const d = await startDaemon(sleepers(2));
    running.push(d);
    const pids = await waitFor(() => (childrenOf(d.proc.pid).length === 2 ? childrenOf(d.proc.pid) : null));
    // SIGUSR2 is the upgrade (test/daemon/upgrade.test.ts), SIGUSR1 a reopen: both keep daemon and workers too.
    const signals = ["PIPE", "ALRM", "WINCH", "TTIN", "TTOU", "PWR", "XCPU", "XFSZ", "VTALRM", "PROF"];
    // 32 and 33 are glibc's own (its sigaction refuses them), yet `kill -32` reaches the daemon all the same.
    signals.push("URG", "IO", "STKFLT", "USR1", "32", "33", ...Array.from({ length: 31 }, (_, i) => String(34 + i)));
    for (const signal of signals) {
      expect(Bun.spawnSync(["kill", `-${signal}`, String(d.proc.pid)]).exitCode).toBe(0);
      await Bun.sleep(5);
    }
    expect((await d.call("status")).status).toBe("ok");
    expect(d.proc.exitCode).toBeNull();
    expect(childrenOf(d.proc.pid).sort()).toEqual(pids.sort());
    await waitFor(() => d.output().includes("got SIGUSR1, reopening log files"), 2000, "the SIGUSR1 line");
    // SIGPWR stays JavaScriptCore's (it suspends threads for the collector): ignoring it deadlocked
    // the daemon at its first collection that needed it, some 20 s after start.
    const mask = (field: string) =>
      BigInt(
        `0x${new RegExp(`^${field}:\\s+([0-9a-f]+)$`, "m").exec(readFileSync(`/proc/${d.proc.pid}/status`, "utf8"))![1]}`,
      );
    const bit = (sig: number) => 1n << BigInt(sig - 1);
    expect(mask("SigCgt") & bit(30)).toBe(bit(30));
    expect(mask("SigIgn") & bit(30)).toBe(0n);
    expect(mask("SigIgn") & bit(34)).toBe(bit(34)); // a real-time signal nobody handles is ignored
    // A worker spawned now gets every signal at its default, not the daemon's ignored set.
    process.kill(pids[0]!, "SIGKILL");
    const fresh = await waitFor(() => childrenOf(d.proc.pid).find((p) => !pids.includes(p)));
    await waitFor(() => readFileSync(`/proc/${fresh}/comm`, "utf8").trim() === "sleep", 2000, "exec of sleep");
    expect(/^SigIgn:\s+0+$/m.test(readFileSync(`/proc/${fresh}/status`, "utf8"))).toBe(true);
  });

  test("a SIGTERM that arrives as the daemon starts is kept: it stops cleanly once it can, exit 0", async () => {
    const dir = tempDir("circus-early-term-");
    const ini = join(dir, "circus.ini");
    writeFileSync(
      ini,
      sleepers(2).replace("{endpoint}", `ipc://${dir}/c.sock`).replace("{pubsub}", `ipc://${dir}/p.sock`),
    );
    const proc = spawnTracked([...circusCommand(), "daemon", ini], { stdout: "pipe", stderr: "pipe" });
    const output = new Output(proc.stdout, proc.stderr);
    // The first line comes before the daemon's own signal handlers exist (they need the running daemon).
    await output.waitFor("starting circus");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    await output.waitFor("arbiter stopped");
    expect(descendantsOf(proc.pid)).toEqual([]);
  });

  test("a second SIGINT does not wait for graceful_timeout: workers are SIGKILLed at once", async () => {
    const d = await startDaemon(
      sleepers(1)
        .replace("cmd = sleep 300", `cmd = sh -c 'trap "" TERM; while :; do sleep 0.05; done'`)
        .replace("graceful_timeout = 2", "graceful_timeout = 30"),
    );
    running.push(d);
    const [pid] = await waitFor(() => (childrenOf(d.proc.pid).length === 1 ? childrenOf(d.proc.pid) : null));
    await waitTrap(pid!, "TERM");
    d.proc.kill("SIGINT");
    // The first one stops gracefully: the worker, which ignores SIGTERM, is waited for.
    await waitFor(async () => (await d.call("status", { name: "sleepers" })).status === "stopping", 5000, "stopping");
    expect(isAlive(pid!)).toBe(true);
    // Timed from the second one (the wait for `stopping` above is the test's, not the daemon's).
    const t0 = Date.now();
    d.proc.kill("SIGINT");
    await d.proc.exited;
    expect(Date.now() - t0).toBeLessThan(3000);
    await waitFor(() => !isAlive(pid!), 2000, "the worker to be killed");
  });
});

describe("circus daemon logging", () => {
  test("--log-level debug shows debug lines; --log-level error hides info lines", async () => {
    const debug = await startDaemon(sleepers(1), ["--log-level", "debug"]);
    running.push(debug);
    await waitFor(() => debug.output().includes("[DEBUG]"), 5000, "a debug line");
    const quiet = await startDaemon(sleepers(1), ["--log-level", "error"]);
    running.push(quiet);
    await quiet.call("incr", { name: "sleepers", waiting: true });
    await quiet.stop();
    expect(quiet.output()).not.toContain("[INFO]");
    expect(quiet.output()).not.toContain("[DEBUG]");
  });

  test("a --log-level that is not a level is refused, even one named after an Object.prototype member", () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-level-"));
    const path = join(dir, "circus.ini");
    writeFileSync(path, `[watcher:w]\ncmd = touch ${dir}/ran\n`);
    const r = run(["daemon", "--log-level", "constructor", path]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown log level "constructor"; use critical, error, warning, info or debug');
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("--log-output writes the daemon's log to that file instead of stdout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "circus-log-"));
    const logfile = join(dir, "circusd.log");
    const d = await startDaemon(sleepers(1), ["--log-output", logfile]);
    running.push(d);
    await waitFor(
      () => existsSync(logfile) && readFileSync(logfile, "utf8").includes("starting circus"),
      5000,
      "the log file",
    );
    expect(readFileSync(logfile, "utf8")).toMatch(/\[INFO\] .*starting circus/);
    expect(d.output()).not.toContain("starting circus");
  });
});

describe("circus daemon hooks", () => {
  test("module hooks (path relative to the config file) and command hooks run in the compiled binary", async () => {
    const binary = compiledBinary();
    const d = await startDaemon(
      `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:hooked]
cmd = sleep 300
graceful_timeout = 2
hooks.after_spawn = ./hooks.ts:mark
hooks.before_stop = ./hooks.ts:mark

[watcher:refused]
cmd = sleep 300
hooks.before_start = ./hooks.ts:refuse

[watcher:shellhook]
cmd = sleep 300
hooks.after_spawn = cmd:echo "$CIRCUS_WATCHER $CIRCUS_HOOK $CIRCUS_PID $CIRCUS_ENDPOINT" >> {dir}/cmd.log
`,
      [],
      {
        command: [binary],
        files: {
          "hooks.ts": `import { appendFileSync } from "node:fs";
interface Args { watcher: { name: string }; hookName: string; pid?: number }
export function mark({ watcher, hookName, pid }: Args): boolean {
  appendFileSync(import.meta.dir + "/hooks.log", \`\${watcher.name} \${hookName} \${pid ?? "-"}\n\`);
  return true;
}
export async function refuse(): Promise<boolean> {
  await Bun.sleep(10);
  return false;
}
`,
        },
      },
    );
    running.push(d);
    expect(readlinkSync(`/proc/${d.proc.pid}/exe`)).toBe(binary);
    const onePid = (name: string) =>
      waitFor(
        async () => {
          const pids = (await d.call("list", { name })).pids as number[];
          return pids.length === 1 ? pids[0] : null;
        },
        5000,
        `the process of ${name}`,
      );
    const hooked = await onePid("hooked");
    const shell = await onePid("shellhook");
    expect((await d.call("status", { name: "refused" })).status).toBe("stopped");
    // The shell creates cmd.log for its redirection before it writes the line: wait for the lines.
    const written = (file: string) =>
      existsSync(join(d.dir, file)) && readFileSync(join(d.dir, file), "utf8").endsWith("\n");
    await waitFor(() => written("hooks.log") && written("cmd.log"), 5000, "hook output");
    expect(readFileSync(join(d.dir, "hooks.log"), "utf8")).toBe(`hooked after_spawn ${hooked}\n`);
    expect(readFileSync(join(d.dir, "cmd.log"), "utf8")).toBe(`shellhook after_spawn ${shell} ${d.endpoint}\n`);
    await d.call("stop", { name: "hooked", waiting: true });
    expect(readFileSync(join(d.dir, "hooks.log"), "utf8")).toBe(`hooked after_spawn ${hooked}\nhooked before_stop -\n`);
  }, 20_000);
});

describe("circus daemon with statsd = true", () => {
  test("runs circusd-stats as a watcher whose stat.* stream a libzmq SUB receives", async () => {
    const statspoint = `tcp://127.0.0.1:${freePort()}`;
    const d = await startDaemon(
      sleepers(2).replace("check_delay = 1", `check_delay = 1\nstatsd = true\nstats_endpoint = ${statspoint}`),
    );
    running.push(d);
    expect((await d.call("list")).watchers).toEqual(["circusd-stats", "sleepers"]);
    // The streamer may first publish a round made before both sleepers ran: wait for each one's topic.
    const pids = await waitPids(d, "sleepers", 2);
    const wanted = ["stat.sleepers", "stat.circus", ...pids.map((pid) => `stat.sleepers.${pid}`)];
    const sub = Bun.spawn(
      [
        "/usr/bin/python3",
        "-c",
        `import sys, zmq
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"stat.")
s.connect(sys.argv[1])
wanted = set(sys.argv[2:])
seen = set()
s.RCVTIMEO = 10000
while not wanted <= seen:
    topic, body = s.recv_multipart()
    seen.add(topic.decode())
print(" ".join(sorted(seen)))`,
        statspoint,
        ...wanted,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [out, code] = await Promise.all([new Response(sub.stdout).text(), sub.exited]);
    expect(code).toBe(0);
    const topics = out.trim().split(" ");
    for (const topic of wanted) expect(topics).toContain(topic);
    // `--log-output -` reached circusd-stats as stdout, not as a file named `true` in the daemon's folder.
    expect(existsSync(join(d.dir, "true"))).toBe(false);
    expect(d.output()).toMatch(/circus\.stats\[\d+\]/);
  }, 20000);

  test("`--log-output -` on the daemon's command line means stdout (cac used to read it as a flag)", async () => {
    const d = await startDaemon(sleepers(1), ["--log-output", "-", "--log-level", "debug"]);
    running.push(d);
    await waitFor(() => d.output().includes("[DEBUG]"), 3000, "debug lines on stdout");
    expect(existsSync(join(d.dir, "true"))).toBe(false);
  });
});

describe("circus daemon as PID 1", () => {
  test("in a new pid namespace it adopts and reaps orphaned grandchildren: no zombies", async () => {
    if (!Bun.which("unshare")) throw new Error("unshare (util-linux) is required for this test");
    const dir = mkdtempSync(join(tmpdir(), "circus-pid1-"));
    const config = join(dir, "circus.ini");
    const ctl = `ipc://${dir}/ctl.sock`;
    // Each worker double-forks a sleep that is orphaned at once, so PID 1 (the daemon) adopts it.
    writeFileSync(
      config,
      `[circus]\nendpoint = ${ctl}\npubsub_endpoint = ipc://${dir}/pub.sock\nmulticast_endpoint =\ncheck_delay = 0.5\n\n` +
        `[watcher:orphans]\ncmd = sh -c "(sleep 301 &); exec sleep 300"\nnumprocesses = 3\n`,
    );
    const proc = Bun.spawn(
      ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", ...circusCommand(), "daemon", config],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    let daemonPid = 0;
    try {
      await waitFor(async () => (await pyCall(ctl, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
      daemonPid = childrenOf(proc.pid)[0]!;
      const parentOf = (p: number) => Number(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      const argvOf = (p: number) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").slice(0, -1).join(" ");
        } catch {
          return ""; // gone meanwhile
        }
      };
      const children = (argv: string) =>
        childrenOf(daemonPid).filter((p) => argvOf(p) === argv && parentOf(p) === daemonPid);
      // 3 workers plus the 3 orphans they left behind (each past its exec), all children of the daemon now.
      const orphans = await waitFor(
        () => (children("sleep 300").length === 3 && children("sleep 301").length === 3 ? children("sleep 301") : null),
        5000,
        "orphans adopted by the daemon",
      );
      // The orphans end (killed here: a timed exit could come before a loaded machine looked): the daemon
      // reaps them, leaving its 3 workers and no zombie.
      for (const orphan of orphans) process.kill(orphan, "SIGTERM");
      await waitFor(() => childrenOf(daemonPid).length === 3, 10_000, "the orphans to be reaped");
      expect(childrenOf(daemonPid).filter((p) => !isAlive(p))).toEqual([]);
      expect((await pyCall(ctl, "quit", { waiting: true })).status).toBe("ok");
      expect(await proc.exited).toBe(0);
    } finally {
      for (const pid of daemonPid ? [daemonPid, ...descendantsOf(daemonPid)] : []) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      proc.kill("SIGKILL");
    }
  }, 20000);
});
