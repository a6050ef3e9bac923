// Output streams through a real `circus daemon` and real workers: rotation from the config, nothing
// lost when a worker is killed, stopped, restarted or reloaded, one file shared by stdout and stderr,
// 10 workers into one rotating file, live stream changes, SIGUSR1 after an external move, and the
// passthrough of watchers without a stream.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";

const FIX = join(import.meta.dir, "fixtures");
let daemon: RunningDaemon;
let out: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "circus-streams-int-"));
  const file = (name: string, extra = "") =>
    `stdout_stream.class = FileStream\nstdout_stream.filename = ${join(out, name)}\n${extra}`;
  daemon = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
check_delay = 1

[watcher:rot]
cmd = seq 1 30000
autostart = false
respawn = false
${file("rot.log", "stdout_stream.max_bytes = 20000\nstdout_stream.backup_count = 100")}

[watcher:killed]
cmd = ${FIX}/numbered.sh 2000 0.01
autostart = false
respawn = false
${file("killed.log")}

[watcher:shared]
cmd = ${FIX}/long-lines.sh 3000 2000
autostart = false
respawn = false
${file("shared.log")}
stderr_stream.filename = ${join(out, "shared.log")}

[watcher:many]
cmd = ${FIX}/wid-lines.sh $(circus.wid) 10000
numprocesses = 10
autostart = false
respawn = false
${file("many.log", "stdout_stream.max_bytes = 100000\nstdout_stream.backup_count = 50")}

[watcher:bye]
cmd = ${FIX}/bye.sh
autostart = false
graceful_timeout = 5
stdout_stream.class = ${FIX}/slow-stream.ts:create
stdout_stream.filename = ${join(out, "bye.log")}

[watcher:swap]
cmd = ${FIX}/numbered.sh 100 0.02
autostart = false
graceful_timeout = 1
${file("swap-a.log")}

[watcher:usr1]
cmd = ${FIX}/numbered.sh 100 0.02
autostart = false
graceful_timeout = 1
${file("usr1.log")}

[watcher:plain]
cmd = sh -c 'echo plain-out; echo plain-err >&2; exec sleep 300'
graceful_timeout = 1
`);
});

afterAll(async () => {
  await daemon?.stop();
  rmSync(out, { recursive: true, force: true });
});

async function call(command: string, properties: Record<string, unknown> = {}) {
  const reply = await daemon.call(command, properties);
  expect(reply.status).not.toBe("error");
  return reply;
}

const pidsOf = async (name: string) => (await call("list", { name })).pids as number[];
const stopped = (name: string) =>
  waitFor(async () => (await call("status", { name })).status === "stopped", 10000, `${name} stopped`);

/** Lines of `base` and its rotated files, oldest first (base.N … base.1, base). */
function rotatedLines(base: string): string[] {
  const names = readdirSync(out).filter((n) => n === base || n.startsWith(base + "."));
  const rank = (n: string) => (n === base ? 0 : Number(n.slice(base.length + 1)));
  const lines: string[] = [];
  for (const n of names.sort((a, b) => rank(b) - rank(a))) {
    const text = readFileSync(join(out, n), "utf8");
    if (text) lines.push(...text.replace(/\n$/, "").split("\n"));
  }
  return lines;
}

/** The numbers 1…N in order, nothing missing or repeated; returns N. */
function expectNumbered(lines: string[]): number {
  const bad = lines.findIndex((l, i) => l !== String(i + 1));
  expect(bad === -1 ? null : { at: bad, line: lines[bad], before: lines[bad - 1] }).toBeNull();
  return lines.length;
}

describe("output streams through the daemon", () => {
  test("a FileStream from the config rotates by size at line ends, keeping every line in order", async () => {
    await call("start", { name: "rot", waiting: true });
    await stopped("rot");
    const files = readdirSync(out).filter((n) => n.startsWith("rot.log"));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(join(out, f), "utf8");
      expect(text.length).toBeLessThan(20000);
      expect(text.endsWith("\n")).toBe(true);
    }
    expect(expectNumbered(rotatedLines("rot.log"))).toBe(30000);
  });

  test("a worker killed mid-write loses nothing it wrote: all of it is in the file when its reap is reported", async () => {
    await call("start", { name: "killed", waiting: true });
    const [pid] = await pidsOf("killed");
    await waitFor(
      () => existsSync(join(out, "killed.log")) && statSync(join(out, "killed.log")).size > 200_000,
      10000,
      "output",
    );
    process.kill(-pid!, "SIGKILL");
    await stopped("killed");
    const size = statSync(join(out, "killed.log")).size;
    const text = readFileSync(join(out, "killed.log"), "utf8");
    // The stream ends the last line at EOF, whole or not: a file always ends in a newline.
    expect(text.endsWith("\n")).toBe(true);
    // A kill in the middle of a write leaves at most the start of the next number as the last line.
    const lines = text.slice(0, -1).split("\n");
    const last = lines.pop()!;
    const n = expectNumbered(lines);
    expect(String(n + 1).startsWith(last)).toBe(true);
    await Bun.sleep(300);
    expect(statSync(join(out, "killed.log")).size).toBe(size);
  });

  test("stdout and stderr sharing one file never interleave inside a line", async () => {
    await call("start", { name: "shared", waiting: true });
    await stopped("shared");
    const lines = readFileSync(join(out, "shared.log"), "utf8").replace(/\n$/, "").split("\n");
    const a = "A".repeat(3000);
    const b = "B".repeat(3000);
    expect(lines.filter((l) => l !== a && l !== b)).toEqual([]);
    expect(lines.filter((l) => l === a).length).toBe(2000);
    expect(lines.filter((l) => l === b).length).toBe(2000);
  });

  test("100 000 numbered lines from 10 workers reach one rotating file with none lost or repeated", async () => {
    await call("start", { name: "many", waiting: true });
    await stopped("many");
    const next = new Map<string, number>();
    let total = 0;
    for (const line of rotatedLines("many.log")) {
      const [wid, n] = line.split(" ");
      expect(Number(n)).toBe((next.get(wid!) ?? 0) + 1);
      next.set(wid!, Number(n));
      total++;
    }
    expect(total).toBe(100_000);
    expect([...next.keys()].sort((x, y) => Number(x) - Number(y))).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
      "10",
    ]);
    for (const f of readdirSync(out).filter((n) => n.startsWith("many.log"))) {
      expect(statSync(join(out, f)).size).toBeLessThan(100_000);
    }
  });

  test("the last line written on SIGTERM is stored (by a slow custom stream) when stop, restart and reload reply", async () => {
    const log = () => (existsSync(join(out, "bye.log")) ? readFileSync(join(out, "bye.log"), "utf8") : "");
    // The slow stream stores nothing until flushed: the tail shows when a worker is ready.
    const hello = async (pid?: number) =>
      waitFor(
        async () =>
          ((await call("logs", { name: "bye" })).lines as { line: string }[]).some((l) => l.line === `hello ${pid}`),
        5000,
        "hello",
      );
    await call("start", { name: "bye", waiting: true });
    let [pid] = await pidsOf("bye");
    await hello(pid);
    await call("stop", { name: "bye", waiting: true });
    expect(log()).toContain(`bye ${pid}\n`);

    await call("start", { name: "bye", waiting: true });
    [pid] = await pidsOf("bye");
    await hello(pid);
    await call("restart", { name: "bye", waiting: true });
    expect(log()).toContain(`bye ${pid}\n`);

    [pid] = await pidsOf("bye");
    await hello(pid);
    await call("reload", { name: "bye", waiting: true });
    expect(log()).toContain(`bye ${pid}\n`);
    await call("stop", { name: "bye", waiting: true });
  }, 20000);

  test("reloadconfig recreating a changed watcher stores its last words first and keeps its logs history", async () => {
    const log = () => readFileSync(join(out, "bye.log"), "utf8");
    await call("start", { name: "bye", waiting: true });
    const [pid] = await pidsOf("bye");
    const hello = async () => ((await call("logs", { name: "bye" })).lines as { line: string }[]).map((l) => l.line);
    await waitFor(async () => (await hello()).includes(`hello ${pid}`), 5000, "hello");
    const ini = readFileSync(daemon.configPath, "utf8");
    writeFileSync(daemon.configPath, ini.replace(`cmd = ${FIX}/bye.sh\n`, `cmd = ${FIX}/bye.sh changed\n`));
    try {
      const reply = await call("reloadconfig", { waiting: true });
      expect(reply.status).toBe("ok");
      expect(log()).toContain(`bye ${pid}\n`);
      expect(await hello()).toContain(`bye ${pid}`);
      expect((await call("get", { name: "bye", keys: ["cmd"] })).options).toEqual({ cmd: `${FIX}/bye.sh changed` });
    } finally {
      writeFileSync(daemon.configPath, ini);
    }
  }, 15000);

  test("set stdout_stream.filename switches a running worker to the new file without a restart or a lost line", async () => {
    await call("start", { name: "swap", waiting: true });
    const pids = await pidsOf("swap");
    await waitFor(
      () => existsSync(join(out, "swap-a.log")) && statSync(join(out, "swap-a.log")).size > 2000,
      5000,
      "swap-a.log",
    );
    await call("set", { name: "swap", options: { "stdout_stream.filename": join(out, "swap-b.log") }, waiting: true });
    await waitFor(
      () => existsSync(join(out, "swap-b.log")) && statSync(join(out, "swap-b.log")).size > 2000,
      5000,
      "swap-b.log",
    );
    expect(await pidsOf("swap")).toEqual(pids);
    await call("stop", { name: "swap", waiting: true });
    const a = rotatedLines("swap-a.log");
    const b = rotatedLines("swap-b.log");
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expectNumbered([...a, ...b]);
  });

  test("after logrotate moves a file away, SIGUSR1 makes the daemon write a new one, losing nothing", async () => {
    await call("start", { name: "usr1", waiting: true });
    const path = join(out, "usr1.log");
    await waitFor(() => existsSync(path) && statSync(path).size > 1000, 5000, "usr1.log");
    renameSync(path, join(out, "usr1.moved"));
    daemon.proc.kill("SIGUSR1");
    await waitFor(() => existsSync(path) && statSync(path).size > 1000, 5000, "a new usr1.log");
    await call("stop", { name: "usr1", waiting: true });
    const moved = readFileSync(join(out, "usr1.moved"), "utf8").replace(/\n$/, "").split("\n");
    const fresh = readFileSync(path, "utf8").replace(/\n$/, "").split("\n");
    expectNumbered([...moved, ...fresh]);
  });

  test("a bad stream value given to set changes nothing and, with waiting, is an errno 3 error naming it", async () => {
    const reply = await daemon.call("set", {
      name: "plain",
      options: { "stdout_stream.class": "Bogus" },
      waiting: true,
    });
    expect(reply).toMatchObject({ status: "error", errno: 3 });
    expect(String(reply.reason)).toContain('stdout_stream: unknown stream class "Bogus"');
    expect((await call("get", { name: "plain", keys: ["stdout_stream_conf"] })).options).toEqual({
      stdout_stream_conf: {},
    });
  });

  test("a watcher added with stream options writes through them, and rm stores its last words before replying", async () => {
    const path = join(out, "added.log");
    await call("add", {
      name: "added",
      cmd: `${FIX}/bye.sh`,
      options: { stdout_stream: { class: `${FIX}/slow-stream.ts:create`, filename: path }, graceful_timeout: 5 },
      start: true,
      waiting: true,
    });
    const [pid] = await pidsOf("added");
    await waitFor(
      async () => ((await call("logs", { name: "added" })).lines as { line: string }[]).length > 0,
      5000,
      "hello",
    );
    await call("rm", { name: "added", waiting: true });
    expect(readFileSync(path, "utf8")).toBe(`hello ${pid}\nbye ${pid}\n`);
  });

  test("a watcher with no stream still writes to the daemon's stdout and stderr, and its lines are in the tail", async () => {
    await waitFor(
      () => daemon.output().includes("plain-out\n") && daemon.output().includes("plain-err\n"),
      5000,
      "passthrough",
    );
    const [pid] = await pidsOf("plain");
    if (pid === undefined) throw new Error("the plain watcher has no process");
    const reply = await call("logs", { name: "plain" });
    const lines = (reply.lines as { pid: number; stream: string; line: string }[]).map((l) => [
      l.pid,
      l.stream,
      l.line,
    ]);
    expect(lines.sort()).toEqual([
      [pid, "stderr", "plain-err"],
      [pid, "stdout", "plain-out"],
    ]);
  });
});
