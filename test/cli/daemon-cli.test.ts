// `circus daemon`'s command line as scripts and service managers see it: usage errors (exit 2), an
// honest `--daemon` (0 only once the control endpoint answers, else 1 with the reason), a pidfile that
// cannot be one, and `--print-unit`, the systemd unit checked by systemd-analyze and run by hand.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BINARY,
  childrenOf,
  circusCommand,
  descendantsOf,
  freePort,
  isAlive,
  pyCall,
  waitFor,
} from "../helpers/daemon.ts";

const dirs: string[] = [];
const strayPids: number[] = [];
afterEach(() => {
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-daemon-cli-"));
  dirs.push(dir);
  return dir;
}

function run(args: string[]) {
  const started = performance.now();
  const r = Bun.spawnSync([...circusCommand(), ...args], { stdout: "pipe", stderr: "pipe" });
  return {
    code: r.exitCode,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
    ms: performance.now() - started,
  };
}

/** A config with one sleeper, its endpoint, and the file it touches when a worker runs. */
function config(dir: string, extra = "", endpoint = `tcp://127.0.0.1:${freePort()}`) {
  const path = join(dir, "circus.ini");
  writeFileSync(
    path,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
      `[watcher:app]\ncmd = sh -c 'touch ${dir}/ran; exec sleep 300'\ngraceful_timeout = 2\n${extra}`,
  );
  return { path, endpoint };
}

const USAGE =
  "usage: circusd [--daemon] [--pidfile FILE] [--log-level LEVEL] [--log-output OUT] [--logger-config FILE] [--insecure] [--print-unit] [--check] <config>";

describe("usage errors exit 2 without starting anything", () => {
  test("an unknown option names the close one", () => {
    const dir = tempDir();
    const r = run(["daemon", "--deamon", config(dir).path]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toBe(`circusd: unknown option --deamon; did you mean --daemon?\n${USAGE}\n`);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("an option without its value is refused instead of being read as true", () => {
    const dir = tempDir();
    expect(run(["daemon", config(dir).path, "--pidfile"]).stderr).toBe(
      `circusd: option --pidfile needs a value\n${USAGE}\n`,
    );
    const r = run(["daemon", "--log-level", "--daemon", config(dir).path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith("circusd: option --log-level needs a value (got the option --daemon)\n");
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("circusd under its own name says the same", () => {
    const r = Bun.spawnSync([join(BINARY, "..", "circusd"), "--frobnicate"], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toStartWith("circusd: unknown option --frobnicate\n");
  });
});

describe("a pidfile that cannot be one", () => {
  test("a directory is refused in one line, exit 1", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "pid"));
    const r = run(["daemon", "--pidfile", join(dir, "pid"), config(dir).path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`circusd: pidfile ${join(dir, "pid")} is a directory; pick another --pidfile\n`);
  });
});

describe("--check", () => {
  test("looks at the --pidfile's place too: a missing directory or a directory is one line, exit 1", () => {
    const dir = tempDir();
    const { path } = config(dir);
    const missing = join(dir, "no-such-dir", "circus.pid");
    expect(run(["daemon", "--check", "--pidfile", missing, path])).toMatchObject({
      code: 1,
      stderr: `circusd: pidfile ${missing}: directory ${join(dir, "no-such-dir")} does not exist; create it or pick another --pidfile\n`,
    });
    mkdirSync(join(dir, "pid"));
    expect(run(["daemon", "--check", "--pidfile", join(dir, "pid"), path])).toMatchObject({
      code: 1,
      stderr: `circusd: pidfile ${join(dir, "pid")} is a directory; pick another --pidfile\n`,
    });
    // A pidfile a live daemon holds is fine: an upgrade checks the new binary while the old one runs.
    writeFileSync(join(dir, "circus.pid"), `${process.pid}\n`);
    const ok = run(["daemon", "--check", "--pidfile", join(dir, "circus.pid"), path]);
    expect({ code: ok.code, first: ok.stdout.split("\n")[0] }).toEqual({ code: 0, first: `${path}: ok` });
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("[circus] pidfile is looked at as --pidfile is", () => {
    const dir = tempDir();
    const missing = join(dir, "gone", "circus.pid");
    const path = join(dir, "circus.ini");
    writeFileSync(path, `[circus]\npidfile = ${missing}\n\n[watcher:w]\ncmd = sleep 300\n`);
    expect(run(["daemon", "--check", path])).toMatchObject({
      code: 1,
      stderr: `circusd: pidfile ${missing}: directory ${join(dir, "gone")} does not exist; create it or pick another --pidfile\n`,
    });
  });
});

describe("--daemon", () => {
  test("returns 0 once the control endpoint answers: a call right after it never waits", async () => {
    const dir = tempDir();
    const { path, endpoint } = config(dir);
    const pidfile = join(dir, "circus.pid");
    const r = run(["daemon", "--daemon", "--pidfile", pidfile, path]);
    const pid = Number(readFileSync(pidfile, "utf8"));
    strayPids.push(pid);
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect((await pyCall(endpoint, "status", {}, 1000)).status).toBe("ok");
    strayPids.push(...descendantsOf(pid));
    expect(process.env.CIRCUS_READY_FD).toBeUndefined();
    await waitFor(() => childrenOf(pid).length === 1, 5000, "the worker");
    // Its environment once it runs its program (its shell touched the file), not the clone's before exec.
    await waitFor(() => existsSync(join(dir, "ran")), 5000, "the worker's shell");
    const workerEnv = readFileSync(`/proc/${childrenOf(pid)[0]}/environ`, "utf8");
    expect(workerEnv).not.toContain("CIRCUS_READY_FD");
    expect((await pyCall(endpoint, "quit", { waiting: true })).status).toBe("ok");
    await waitFor(() => !isAlive(pid), 10000, "the detached daemon to exit");
  });

  test("a CURVE daemon is ready too: it checks its own endpoint with its internal key; warnings reach the caller", async () => {
    const dir = tempDir();
    const keygen = Bun.spawnSync([...circusCommand(), "keygen", "server", "--dir", dir], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(keygen.exitCode).toBe(0);
    mkdirSync(join(dir, "clients"));
    const { path } = config(
      dir,
      "",
      `tcp://127.0.0.1:${freePort()}\ncurve_secret_key = server.key_secret\ncurve_authorized_keys = clients`,
    );
    const pidfile = join(dir, "circus.pid");
    const r = run(["daemon", "--daemon", "--pidfile", pidfile, path]);
    const pid = Number(readFileSync(pidfile, "utf8"));
    strayPids.push(pid);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("[WARNING] [circus] curve_authorized_keys: no .key file in");
    await waitFor(() => childrenOf(pid).length === 1, 5000, "the worker");
    strayPids.push(...descendantsOf(pid));
    process.kill(pid, "SIGTERM");
    await waitFor(() => !isAlive(pid), 10000, "the detached daemon to exit");
  });

  test("a config with problems: exit 1 with the problems on stderr, and --log-output gets them too", () => {
    const dir = tempDir();
    const path = join(dir, "circus.ini");
    writeFileSync(path, "[watcher:w]\ncmd = sleep 300\nnumprocesses = three\n");
    const log = join(dir, "circusd.log");
    const r = run(["daemon", "--daemon", "--log-output", log, path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`circusd: cannot start, the config has problems:\n${path}:3: watcher:w.numprocesses:`);
    expect(readFileSync(log, "utf8")).toContain(`[ERROR] ${path}:3: watcher:w.numprocesses:`);
  });

  test("a pidfile held by a live process: exit 1 naming it", () => {
    const dir = tempDir();
    const pidfile = join(dir, "circus.pid");
    writeFileSync(pidfile, `${process.pid}\n`);
    const r = run(["daemon", "--daemon", "--pidfile", pidfile, config(dir).path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`circusd: pidfile ${pidfile} is held by running process ${process.pid}`);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("a control port in use: exit 1 saying so with the port, nothing left running", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const dir = tempDir();
      const { path } = config(dir, "", `tcp://127.0.0.1:${holder.port}`);
      const r = run(["daemon", "--daemon", path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `circusd: cannot start: invalid endpoint "tcp://127.0.0.1:${holder.port}": address in use: another program (another daemon?) already listens on port ${holder.port} on 127.0.0.1`,
      );
      expect(existsSync(join(dir, "ran"))).toBe(false);
    } finally {
      holder.stop(true);
    }
  });
});

/** `circus daemon --print-unit` on a config file `name` holding `ini`, in a fresh directory. */
function printUnit(ini: string, name = "circus.ini"): { r: ReturnType<typeof run>; dir: string } {
  const dir = tempDir();
  const path = join(dir, name);
  writeFileSync(path, ini);
  return { r: run(["daemon", "--print-unit", path]), dir };
}

describe("--print-unit", () => {
  test("prints the unit: systemd-analyze verify passes, and its start, reload and stop work", async () => {
    const dir = tempDir();
    const { path, endpoint } = config(dir, "numprocesses = 2\n");
    const pidfile = join(dir, "circus.pid");
    const r = run(["daemon", "--print-unit", "--pidfile", pidfile, path]);
    expect(r.code).toBe(0);
    const unit = r.stdout;
    const entries = new Map(
      unit
        .split("\n")
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(entries.get("ExecStart")).toBe(`${circusCommand().join(" ")} daemon ${path} --pidfile ${pidfile}`);
    expect(entries.get("WorkingDirectory")).toBe(dir);
    expect(entries.get("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(entries.get("User")).toBe("root"); // the test's config file is root's
    expect(entries.get("KillMode")).toBe("mixed");
    // The daemon speaks sd_notify (tested with a real listener in daemon-systemd.test.ts).
    expect(entries.get("Type")).toBe("notify");
    expect(entries.get("NotifyAccess")).toBe("main");
    expect(entries.get("TimeoutStartSec")).toBe("90");
    expect(unit).toContain("# WatchdogSec=30 makes systemd restart a daemon");
    expect(entries.get("NoNewPrivileges")).toBe("yes");
    expect(unit).toContain(`# The control endpoint ${endpoint} is open to every local user`);

    const unitPath = join(dir, "circus.service");
    writeFileSync(unitPath, unit);
    const verify = Bun.spawnSync(["systemd-analyze", "verify", unitPath], { stdout: "pipe", stderr: "pipe" });
    expect(verify.stderr.toString()).toBe("");
    expect(verify.exitCode).toBe(0);

    const daemon = Bun.spawn(entries.get("ExecStart")!.split(" "), { stdout: "ignore", stderr: "ignore" });
    strayPids.push(daemon.pid);
    const before = await waitFor(
      () => (childrenOf(daemon.pid).length === 2 ? childrenOf(daemon.pid) : null),
      10000,
      "2 workers",
    );
    const reload = Bun.spawnSync(["sh", "-c", entries.get("ExecReload")!.replace("$MAINPID", String(daemon.pid))], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(reload.exitCode).toBe(0);
    await waitFor(
      () => {
        const now = childrenOf(daemon.pid);
        return now.length === 2 && now.every((p) => !before.includes(p));
      },
      10000,
      "reloaded workers",
    );
    strayPids.push(...childrenOf(daemon.pid));
    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  }, 30000);

  test("an ipc endpoint in /run/circus and a watcher switching users: root, the runtime directory, no warning", () => {
    const unit = printUnit(
      "[circus]\nendpoint = ipc:///run/circus/control.sock\npubsub_endpoint = ipc:///run/circus/pubsub.sock\n\n" +
        "[watcher:web]\ncmd = sleep 300\nuid = nobody\ngraceful_timeout = 90\n",
    ).r.stdout;
    expect(unit).toContain("# root: watcher web set uid/gid (the daemon switches to them itself).\nUser=root\n");
    expect(unit).toContain("RuntimeDirectory=circus\n");
    expect(unit).toContain("TimeoutStopSec=120\n");
    expect(unit).not.toContain("open to every local user");
    expect(unit).not.toContain("circus.socket");
  });

  test("probes lengthen TimeoutStartSec; a systemd = true socket gets the socket unit's hint", () => {
    const unit = printUnit(
      "[socket:web]\nsystemd = true\n[watcher:db]\ncmd = sleep 300\nready.tcp = 127.0.0.1:5432\nready.timeout = 60\n" +
        "[watcher:web]\ncmd = sleep 300\nuse_sockets = true\ndepends_on = db\nready.log = listening\nready.timeout = 45\n" +
        "[watcher:cron]\ncmd = sleep 300\nautostart = false\nready.log = x\nready.timeout = 600\n",
    ).r.stdout;
    // db then web, one after the other: 60 + 45 s, and a margin; cron does not start with the daemon.
    expect(unit).toContain("Type=notify\nNotifyAccess=main\nTimeoutStartSec=135\n");
    expect(unit).toContain("# [socket:web] has systemd = true: a circus.socket unit passes it\n");
    expect(unit).toContain("FileDescriptorName=web");
  });

  test("a config path with % and $ is written so systemd runs that path, not its expansion", () => {
    const { r, dir } = printUnit("[watcher:w]\ncmd = sleep 300\n", "100%h $HOME.ini");
    const exec = r.stdout.split("\n").find((l) => l.startsWith("ExecStart="));
    expect(exec).toBe(`ExecStart=${circusCommand().join(" ")} daemon "${dir}/100%%h $$HOME.ini"`);
  });

  test("a config that does not load prints no unit: exit 1 with the problems", () => {
    const { r } = printUnit("[watcher:w]\nnumprocesses = 1\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("cmd is required");
  });
});
