// Workers started through `circus __exec`: limits, credentials, umask, session, env, inherited fds,
// exec failures — under bun and as a compiled binary.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildLauncherCommand, readSpec, LAUNCH_FAILURE_EXIT, type LaunchSpec } from "../../src/os/launcher.ts";
import { bindSocket, closeSocket, type BoundSocket } from "../../src/os/sockets.ts";
import { getRlimit } from "../../src/os/rlimit.ts";
import { resolveUser, supplementaryGroups } from "../../src/os/users.ts";
import { servedText } from "../helpers/wait.ts";

const ENTRY = resolve(import.meta.dir, "../fixtures/launcher-entry.ts");
const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const BUN_SELF = [process.execPath, ENTRY];
const PATH_ENV = { PATH: "/usr/local/bin:/usr/bin:/bin" };

const pids: number[] = [];
const sockets: BoundSocket[] = [];
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "circus-launcher-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already exited */
    }
  }
  for (const s of sockets.splice(0)) closeSocket(s);
});

interface Outcome {
  pid: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Launch `spec` through the launcher (bun-run fixture unless `self` says otherwise) and wait. */
async function launch(spec: LaunchSpec, options: { self?: string[]; cwd?: string } = {}): Promise<Outcome> {
  const { cmd, env } = buildLauncherCommand(spec, options.self ?? BUN_SELF);
  const child = Bun.spawn(cmd, { env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  pids.push(child.pid);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { pid: child.pid, code, stdout, stderr };
}

function worker(argv: [string, ...string[]], extra: Partial<LaunchSpec> = {}): LaunchSpec {
  return { file: argv[0], argv, env: { ...PATH_ENV }, ...extra };
}

/** Fields of "Label:" in /proc/PID/status text, or the values of a /proc/PID/limits row. */
function statusField(text: string, label: string): string[] {
  const line = text.split("\n").find((l) => l.startsWith(label)) ?? "";
  return line.slice(label.length).replace(/^:/, "").trim().split(/\s+/).filter(Boolean);
}

describe("launcher", () => {
  test("a worker gets its rlimits as soft = hard and keeps the launcher's pid", async () => {
    const out = await launch(
      worker(["cat", "/proc/self/limits", "/proc/self/status"], {
        rlimits: { nofile: 123, core: null },
      }),
    );
    expect(out.stderr).toBe("");
    expect(statusField(out.stdout, "Max open files").slice(0, 2)).toEqual(["123", "123"]);
    expect(statusField(out.stdout, "Max core file size").slice(0, 2)).toEqual(["unlimited", "unlimited"]);
    expect(statusField(out.stdout, "Pid")).toEqual([String(out.pid)]);
  });

  test("an unlimited nofile becomes the current hard limit", async () => {
    const out = await launch(worker(["cat", "/proc/self/limits"], { rlimits: { nofile: null } }));
    const hard = String(getRlimit("nofile").hard);
    expect(statusField(out.stdout, "Max open files").slice(0, 2)).toEqual([hard, hard]);
  });

  test("uid, gid and the user's supplementary groups are all switched", async () => {
    const nobody = resolveUser("nobody");
    const groups = supplementaryGroups(nobody.name, nobody.gid);
    const out = await launch(worker(["cat", "/proc/self/status"], { uid: nobody.uid, gid: nobody.gid, groups }));
    expect(statusField(out.stdout, "Uid")).toEqual(Array(4).fill(String(nobody.uid)));
    expect(statusField(out.stdout, "Gid")).toEqual(Array(4).fill(String(nobody.gid)));
    expect(statusField(out.stdout, "Groups")).toEqual(groups.map(String));

    const several = await launch(
      worker(["cat", "/proc/self/status"], { uid: nobody.uid, gid: nobody.gid, groups: [4, 27, 65534] }),
    );
    expect(statusField(several.stdout, "Groups")).toEqual(["4", "27", "65534"]);
  });

  test("umask and a new session are applied before exec", async () => {
    const out = await launch(
      worker(["sh", "-c", 'umask; cut -d" " -f6 /proc/$$/stat; echo $$'], { umask: 0o027, setsid: true }),
    );
    const [mask, session, pid] = out.stdout.trim().split("\n");
    expect(mask).toBe("0027");
    expect(session).toBe(pid);
  });

  test("the worker sees exactly the spec's environment and default signal dispositions", async () => {
    writeFileSync(join(dir, ".env"), "FROM_DOTENV=1\n");
    const out = await launch(
      {
        file: "sh",
        argv: ["sh", "-c", "env; grep SigIgn /proc/self/status"],
        env: { PATH: "/usr/bin:/bin", ONLY: "this" },
      },
      { cwd: dir },
    );
    const lines = out.stdout
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && !l.startsWith("_="));
    expect(lines.sort()).toEqual(["ONLY=this", "PATH=/usr/bin:/bin", "SigIgn:\t0000000000000000"]);
  });

  test("argv[0] can differ from the executed file", async () => {
    const out = await launch({ file: "/bin/sh", argv: ["custom-name", "-c", "echo $0"], env: {} });
    expect(out.stdout.trim()).toBe("custom-name");
  });

  test("a program missing from PATH exits 127 with a message saying so", async () => {
    const out = await launch(worker(["no-such-program-xyz"]));
    expect(out.code).toBe(LAUNCH_FAILURE_EXIT);
    expect(out.stderr).toContain(
      'circus: cannot start "no-such-program-xyz": execve "no-such-program-xyz": no such file or directory (ENOENT)',
    );
    expect(out.stderr).toContain("PATH");
  });

  test("without PATH the search falls back to /bin:/usr/bin, as Circus does", async () => {
    const out = await launch({ file: "true", argv: ["true"], env: {} });
    expect(out.code).toBe(0);
  });

  test("an unknown rlimit name fails the launch with the valid names", async () => {
    const out = await launch(worker(["true"], { rlimits: { bogus: 1 } }));
    expect(out.code).toBe(127);
    expect(out.stderr).toContain('unknown rlimit "bogus"');
  });

  test("a socket passed on fd 3 is still listening after the launcher's exec", async () => {
    const socket = await bindSocket({
      family: "AF_INET",
      type: "SOCK_STREAM",
      proto: 0,
      host: "127.0.0.1",
      port: 0,
      path: null,
      backlog: 8,
      umask: 0,
      replace: false,
      interface: null,
      reusePort: false,
      blocking: false,
    });
    sockets.push(socket);
    const script = "require('http').createServer((q,s)=>s.end(String(process.pid))).listen({fd: 3})";
    const { cmd, env } = buildLauncherCommand(worker(["node", "-e", script], { rlimits: { nofile: 200 } }), BUN_SELF);
    const child = Bun.spawn(cmd, { env, stdio: ["ignore", "inherit", "inherit", socket.fd] });
    pids.push(child.pid);
    expect(await servedText(`http://127.0.0.1:${socket.port}/`)).toBe(String(child.pid));
  });

  test("a spec larger than one environment string travels in chunks", () => {
    const big = "x".repeat(300_000);
    const spec = worker(["true"], { env: { BIG: big } });
    const { env } = buildLauncherCommand(spec, BUN_SELF);
    expect(Object.keys(env).length).toBeGreaterThan(3);
    expect(readSpec(env).env.BIG).toBe(big);
  });
});

describe("launcher self-command", () => {
  test("from source the daemon re-runs bun on src/main.ts, which dispatches __exec", async () => {
    const self = JSON.parse(Bun.spawnSync([process.execPath, ENTRY, "__self"]).stdout.toString());
    expect(self).toEqual([process.execPath, MAIN]);
    const out = await launch(worker(["cat", "/proc/self/limits"], { rlimits: { nofile: 99 } }), { self });
    expect(statusField(out.stdout, "Max open files").slice(0, 2)).toEqual(["99", "99"]);
  });

  test("a compiled binary re-runs itself and its ffi works inside the binary", async () => {
    const binary = join(dir, "launcher");
    const build = Bun.spawnSync([process.execPath, "build", "--compile", ENTRY, "--outfile", binary], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(build.exitCode).toBe(0);
    expect(JSON.parse(Bun.spawnSync([binary, "__self"]).stdout.toString())).toEqual([binary]);

    const spec = worker(["cat", "/proc/self/limits"], { rlimits: { nofile: 77 } });
    const relayed = Bun.spawnSync([binary, "__spawn", Buffer.from(JSON.stringify(spec)).toString("base64url")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(relayed.stderr.toString()).toBe("");
    expect(statusField(relayed.stdout.toString(), "Max open files").slice(0, 2)).toEqual(["77", "77"]);
  }, 20_000);
});
