import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WorkerProcess } from "../../src/arbiter/process.ts";
import type { SpawnPlan } from "../../src/arbiter/spawnplan.ts";
import { WatcherOutput, type WatcherOutputConfig } from "../../src/streams/output.ts";
import { tempDir } from "./helpers.ts";

const spawned: WorkerProcess[] = [];

afterEach(() => {
  // Workers lead their own process group: take any grandchildren down with them.
  for (const proc of spawned.splice(0)) {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // Group already gone.
    }
  }
});

function plan(script: string): SpawnPlan {
  const argv = ["sh", "-c", script];
  return {
    argv,
    shownArgv: argv,
    file: "/bin/sh",
    env: { PATH: "/usr/bin:/bin" },
    cwd: null,
    stdin: "ignore",
    closeStdout: false,
    closeStderr: false,
    fds: new Map(),
    uid: null,
    gid: null,
  };
}

function spawn(script: string, output: WatcherOutput): WorkerProcess {
  const proc = WorkerProcess.spawn(plan(script), 1, output);
  spawned.push(proc);
  return proc;
}

function config(extra: Partial<WatcherOutputConfig>): WatcherOutputConfig {
  return {
    name: "web",
    stdout_stream: null,
    stderr_stream: null,
    close_child_stdout: false,
    close_child_stderr: false,
    ...extra,
  };
}

describe("WatcherOutput", () => {
  test("a worker's output reaches its file and the tail buffer before drained() resolves", async () => {
    const dir = tempDir();
    const output = await WatcherOutput.open(
      config({ stdout_stream: { class: "FileStream", filename: "web.log" }, close_child_stderr: true }),
      { configDir: dir, cwd: dir, tailLines: 5 },
    );
    expect([output.stdout, output.stderr]).toEqual(["capture", "ignore"]);
    const proc = spawn("seq 1 20000; echo last", output);
    await proc.exited;
    expect(await output.drained(proc.pid)).toBe(true);
    const lines = readFileSync(join(dir, "web.log"), "utf8").trimEnd().split("\n");
    expect(lines.length).toBe(20001);
    expect(lines.at(-1)).toBe("last");
    expect(output.tail.lines().map((l) => `${l.pid} ${l.stream} ${l.line}`)).toEqual(
      ["19997", "19998", "19999", "20000", "last"].map((l) => `${proc.pid} stdout ${l}`),
    );
    await output.close();
  });

  test("a grandchild holding the channel cannot stall drained(): it times out and keeps what was read", async () => {
    const dir = tempDir();
    const output = await WatcherOutput.open(
      config({ stdout_stream: { filename: "web.log" }, stderr_stream: { filename: "web.log" } }),
      { configDir: dir, cwd: dir },
    );
    const proc = spawn("echo before; echo oops >&2; sleep 30 & exit 0", output);
    await proc.exited;
    expect(await output.drained(proc.pid, 200)).toBe(false);
    expect(readFileSync(join(dir, "web.log"), "utf8").split("\n").sort()).toEqual(["", "before", "oops"]);
    await output.close();
  });

  test("with no stream and no tail the workers simply inherit the daemon's stdout and stderr", async () => {
    const output = await WatcherOutput.open(config({}), { configDir: "/", tailLines: 0 });
    expect([output.stdout, output.stderr]).toEqual(["inherit", "inherit"]);
    const captured = await WatcherOutput.open(config({}), { configDir: "/" });
    expect([captured.stdout, captured.stderr]).toEqual(["capture", "capture"]);
    expect(captured.streamOf("stdout")?.kind).toBe("PassthroughStream");
  });

  test("a bad stream option names the watcher and the channel", async () => {
    const dir = tempDir();
    await expect(
      WatcherOutput.open(config({ stdout_stream: { filename: "ok.log" }, stderr_stream: { class: "Bogus" } }), {
        configDir: dir,
        cwd: dir,
      }),
    ).rejects.toThrow(/^watcher web: stderr_stream: unknown stream class "Bogus"/);
  });
});
