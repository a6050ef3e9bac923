// The daemon facing output it cannot write: a stdout nobody reads (a pipe, a socket) must not keep
// `quit` from completing, and a full disk must leave no spliced line behind once space returns.

import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeFd, outputPair } from "../../src/os/capture.ts";
import {
  circusCommand,
  descendantsOf,
  freePort,
  isAlive,
  pyCall,
  startDaemon,
  waitFor,
  type RunningDaemon,
} from "../helpers/daemon.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function floodConfig(dir: string): { path: string; endpoint: string } {
  const endpoint = `tcp://127.0.0.1:${freePort()}`;
  const path = join(dir, "circus.ini");
  writeFileSync(
    path,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
      "[watcher:flood]\ncmd = yes flood-line-flood-line\nnumprocesses = 2\noutput_block_timeout = 0.5\ngraceful_timeout = 2\n",
  );
  return { path, endpoint };
}

/** Start a daemon whose stdout and stderr are `fd`, which nobody reads; resolve once it answers. */
async function daemonWritingTo(fd: number) {
  const dir = mkdtempSync(join(tmpdir(), "circus-unread-"));
  const { path, endpoint } = floodConfig(dir);
  const proc = Bun.spawn([...circusCommand(), "daemon", path], { cwd: dir, stdio: ["ignore", fd, fd] });
  cleanups.push(() => {
    for (const pid of [proc.pid, ...descendantsOf(proc.pid)]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone, as it should be.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(async () => (await pyCall(endpoint, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
  const pids = await waitFor(async () => {
    const list = ((await pyCall(endpoint, "list", { name: "flood" })).pids ?? []) as number[];
    return list.length === 2 ? list : null;
  });
  return { proc, pids };
}

async function quitsWithin(proc: ReturnType<typeof Bun.spawn>, pids: number[], ms: number): Promise<void> {
  // Long enough for the pipe to fill and the workers to block on it.
  await Bun.sleep(700);
  const t0 = performance.now();
  proc.kill("SIGTERM");
  const code = await Promise.race([proc.exited, Bun.sleep(ms).then(() => "hung")]);
  expect(code).toBe(0);
  expect(performance.now() - t0).toBeLessThan(ms);
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
}

describe("a daemon whose stdout nobody reads", () => {
  test("SIGTERM completes with a pipe on stdout that is never read", async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), "circus-fifo-")), "out");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    // Read-write: the pipe has a reader (this test) that never reads.
    const fd = openSync(fifo, "r+");
    cleanups.push(() => closeSync(fd));
    const { proc, pids } = await daemonWritingTo(fd);
    await quitsWithin(proc, pids, 10_000);
  });

  test("SIGTERM completes with a socket on stdout that is never read", async () => {
    const pair = outputPair();
    cleanups.push(() => {
      closeFd(pair.workerFd);
      closeFd(pair.daemonFd);
    });
    const { proc, pids } = await daemonWritingTo(pair.workerFd);
    await quitsWithin(proc, pids, 15_000);
  });
});

/** A 1 MiB tmpfs (root only); null when this host does not let us mount one. */
function smallDisk(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "circus-disk-"));
  if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  cleanups.push(() => {
    Bun.spawnSync(["umount", "-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Whether this host lets the tests mount a tmpfs (root, and no container forbidding it). */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), "circus-probe-"));
  const ok = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).exitCode === 0;
  if (ok) Bun.spawnSync(["umount", dir]);
  rmSync(dir, { recursive: true, force: true });
  return ok;
}

describe("a full disk", () => {
  test.skipIf(!canMount())("leaves no spliced line once space returns, and the dropped lines are logged", async () => {
    const mount = smallDisk()!;
    mkdirSync(join(mount, "logs"));
    // Most of the disk is taken; the rest fills within a fraction of a second.
    writeFileSync(join(mount, "filler"), Buffer.alloc(900 * 1024));
    const worker =
      `awk 'BEGIN { for (i = 1; ; i++) { print "line " i " padding-padding-padding-padding"; ` +
      `if (i % 200 == 0) { fflush(); system("sleep 0.01") } } }'\n`;
    const d: RunningDaemon = await startDaemon(
      `[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n\n` +
        `[watcher:writer]\ncmd = sh {dir}/writer.sh\ngraceful_timeout = 2\n` +
        `stdout_stream.class = FileStream\nstdout_stream.filename = ${mount}/logs/out.log\n`,
      [],
      { files: { "writer.sh": worker } },
    );
    cleanups.push(() => d.stop());
    await waitFor(() => /cannot write .*out\.log: .*no space left on device/i.test(d.output()), 10000, "ENOSPC");
    unlinkSync(join(mount, "filler"));
    await waitFor(() => d.output().includes("out.log works again"), 10000, "writing to resume");
    // More lines after the recovery, then a clean stop.
    await Bun.sleep(300);
    expect(await d.stop()).toBe(0);
    const lines = readFileSync(join(mount, "logs/out.log"), "utf8").split("\n");
    expect(lines.pop()).toBe("");
    let previous = 0;
    for (const line of lines) {
      const m = /^line (\d+) padding-padding-padding-padding$/.exec(line);
      if (!m) throw new Error(`spliced or partial line: ${JSON.stringify(line)}`);
      expect(Number(m[1])).toBeGreaterThan(previous);
      previous = Number(m[1]);
    }
    expect(lines.length).toBeLessThan(previous); // lines were dropped while the disk was full…
    expect(d.output()).toMatch(/\d+ lines \(\d+ bytes\) dropped/); // …and the daemon said how many
  });
});
