import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { buildSpawnPlan } from "../../src/arbiter/spawnplan.ts";
import { OperationError, SpawnError } from "../../src/arbiter/errors.ts";
import { execDone, killLeftovers, procStatus, standaloneWatcher, until, wcfg } from "./helpers.ts";

afterEach(killLeftovers);

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
}

describe("spawn plan", () => {
  test("cmd and args are shlex-split after substitution", () => {
    const plan = buildSpawnPlan(wcfg({ name: "p", cmd: "echo 'a b' $(circus.wid)", args: '--x="1 2"' }), 7, new Map());
    expect(plan.argv).toEqual(["echo", "a b", "7", "--x=1 2"]);
    expect(plan.file.endsWith("/echo")).toBe(true);
  });

  test("a '#' in cmd is an ordinary character, as in Circus: every word reaches the program", () => {
    const plan = buildSpawnPlan(wcfg({ name: "p", cmd: "echo --color #fff --name x" }), 1, new Map());
    expect(plan.argv).toEqual(["echo", "--color", "#fff", "--name", "x"]);
  });

  test("shell=true hands the command line to sh -c unquoted, shell_args after it", () => {
    const plan = buildSpawnPlan(
      wcfg({ name: "p", cmd: "echo $HOME | wc -c", shell: true, shell_args: "zero one" }),
      1,
      new Map(),
    );
    expect(plan.argv).toEqual(["/bin/sh", "-c", "echo $HOME | wc -c", "zero", "one"]);
  });

  test("a socket reaches the child under its listed fd number, which $(circus.sockets.NAME) names", () => {
    const sockets = new Map([
      ["web", { fd: 40, childFd: 40, host: "127.0.0.1", port: 8080 }],
      ["api", { fd: 41, childFd: 41, host: "::1", port: 8081 }],
      // so_reuseport: a fresh socket (fd 57) goes to the placeholder's number.
      ["rp", { fd: 57, childFd: 12, host: "127.0.0.1", port: 8082 }],
    ]);
    const cmd = "echo --fd $(circus.sockets.web) $(circus.sockets.api) $(circus.sockets.rp)";
    const plan = buildSpawnPlan(wcfg({ name: "p", cmd, use_sockets: true }), 1, sockets);
    expect([...plan.fds].sort(([a], [b]) => a - b)).toEqual([
      [12, 57],
      [40, 40],
      [41, 41],
    ]);
    expect(plan.argv.slice(1)).toEqual(["--fd", "40", "41", "12"]);
    // Without use_sockets nothing is inherited, but the numbers still expand (as in Circus).
    const closed = buildSpawnPlan(wcfg({ name: "p", cmd }), 1, sockets);
    expect(closed.fds.size).toBe(0);
    expect(closed.argv.slice(1)).toEqual(["--fd", "40", "41", "12"]);
    // Their addresses expand too (decisions §6).
    const addressed = buildSpawnPlan(
      wcfg({
        name: "p",
        cmd: "echo $(circus.sockets.web.host):$(circus.sockets.web.port) [$(circus.sockets.api.host)]",
      }),
      1,
      sockets,
    );
    expect(addressed.argv.slice(1)).toEqual(["127.0.0.1:8080", "[::1]"]);
  });

  test("without PATH in the env the program is looked up in /bin:/usr/bin", () => {
    const plan = buildSpawnPlan(wcfg({ name: "p", cmd: "sleep 1", env: {} }), 1, new Map());
    expect(["/bin/sleep", "/usr/bin/sleep"]).toContain(plan.file);
  });

  test("an unknown program is a SpawnError", () => {
    expect(() => buildSpawnPlan(wcfg({ name: "p", cmd: "no-such-prog-xyz" }), 1, new Map())).toThrow(SpawnError);
  });
});

describe("worker processes", () => {
  test("each worker leads its own session and process group", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "sess", cmd: "sleep 30" }));
    const [pid] = (await watcher.start()).started;
    await execDone(pid!);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(Number(fields[2])).toBe(pid!); // pgrp
    expect(Number(fields[3])).toBe(pid!); // session
    await watcher.stop();
  });

  test("executable runs that file with cmd's first word as argv[0]", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "exe", cmd: "my-sleeper 30", executable: "/bin/sleep" }));
    const [pid] = (await watcher.start()).started;
    await execDone(pid!);
    expect(cmdline(pid!)).toEqual(["my-sleeper", "30"]);
    await watcher.stop();
  });

  test("working_dir becomes the child's cwd and stdin is /dev/null by default", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "cwd", cmd: "sleep 30", working_dir: "/tmp" }));
    const [pid] = (await watcher.start()).started;
    await execDone(pid!);
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/tmp");
    expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe("/dev/null");
    await watcher.stop();
  });

  test("close_child_stdout sends stdout to /dev/null", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "quiet", cmd: "sleep 30", close_child_stdout: true }));
    const [pid] = (await watcher.start()).started;
    await execDone(pid!);
    expect(readlinkSync(`/proc/${pid}/fd/1`)).toBe("/dev/null");
    await watcher.stop();
  });

  const root = process.getuid?.() === 0;
  test.skipIf(!root)("uid and rlimit_nofile are applied through the launcher", async () => {
    const { watcher } = standaloneWatcher(
      wcfg({ name: "limited", cmd: "sleep 30", uid: "nobody", rlimits: { nofile: 123 } }),
    );
    await watcher.start();
    // The launcher execs in place, so the pid stays; wait until the worker is sleep, not the launcher.
    let pid = 0;
    await until(
      () => {
        pid = watcher.pids()[0] ?? 0;
        return pid > 0 && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "sleep";
      },
      5000,
      "exec of the worker",
    );
    expect(procStatus(pid, "Uid").split(/\s+/)[0]).toBe("65534");
    const limits = readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"))!;
    expect(limits.split(/\s{2,}/).slice(1, 3)).toEqual(["123", "123"]);
    expect(procStatus(pid, "Groups")).not.toContain("0");
    expect(watcher.processes()[0]!.cmd).toBe("sleep 30");
    await watcher.stop();
  });
});

describe("kill and signal", () => {
  test("kill with a pid stops only that process and it is replaced", async () => {
    const { watcher, rec } = standaloneWatcher(wcfg({ name: "k", cmd: "sleep 30", numprocesses: 2 }));
    const [a, b] = (await watcher.start()).started;
    await watcher.kill({ pid: a, signum: 9 });
    expect(watcher.pids()).toContain(b!);
    expect(watcher.pids()).not.toContain(a!);
    expect(watcher.pids()).toHaveLength(2);
    // As in Circus, a process the `kill` command ends is not reported as a `reap`.
    expect(rec.of("reap")).toEqual([]);
    expect(rec.of("kill").map((e) => e.payload.process_pid)).toEqual([a]);
    expect(watcher.exitState().lastExit).toMatchObject({ pid: a, signal: 9, reason: "kill" });
  });

  test("signal reaches the process, or with children its direct children only", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "sig", cmd: "sh -c 'sleep 30 & wait'", max_retry: -1 }));
    const [pid] = (await watcher.start()).started;
    let child = 0;
    await until(
      () => {
        child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim() || 0);
        return child > 0;
      },
      2000,
      "child",
    );
    await watcher.signal({ signum: 9, pid, children: true });
    await until(() => watcher.pids()[0] !== pid, 2000, "parent replaced after its child died");
  });

  test("childpid or children of a process the watcher does not manage: refused, nothing is signalled", async () => {
    const { watcher } = standaloneWatcher(wcfg({ name: "sigx", cmd: "sleep 30" }));
    await watcher.start();
    const outsider = Bun.spawn(["sh", "-c", "sleep 301 & wait"]);
    try {
      let child = 0;
      const path = `/proc/${outsider.pid}/task/${outsider.pid}/children`;
      await until(
        () => {
          child = Number(readFileSync(path, "utf8").trim() || 0);
          return child > 0;
        },
        2000,
        "outsider's child",
      );
      await expect(watcher.signal({ signum: 9, pid: outsider.pid, childpid: child })).rejects.toThrow(OperationError);
      await expect(watcher.signal({ signum: 9, pid: outsider.pid, children: true })).rejects.toThrow(OperationError);
      await Bun.sleep(100);
      expect(procStatus(child, "State")).not.toMatch(/^Z/);
      expect(readFileSync(`/proc/${child}/cmdline`, "utf8")).toContain("301");
    } finally {
      for (const c of readFileSync(`/proc/${outsider.pid}/task/${outsider.pid}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)) {
        try {
          process.kill(Number(c), 9);
        } catch {}
      }
      outsider.kill(9);
    }
  });
});
