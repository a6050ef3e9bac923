// The daemon as systemd and containers expect it: sd_notify messages received in order by a real
// notify-socket listener, socket activation by Debian's systemd-socket-activate serving real
// connections, orphans reaped as a subreaper and as PID 1 of a new pid namespace (unshare), and
// workers that die with the daemon (stop_on_daemon_death).

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readStat } from "../../src/os/proc.ts";
import { UnixDatagramReceiver } from "../../src/os/unixdgram.ts";
import { defer } from "../helpers/cleanup.ts";
import {
  childrenOf,
  freePort,
  isAlive,
  pyCall,
  ROOT,
  type RunningDaemon,
  startDaemon,
  waitExec,
  waitFor,
  waitPids,
} from "../helpers/daemon.ts";
import { PYTHON as PY } from "../helpers/paths.ts";
import { procEnviron, trackPid } from "../helpers/processes.ts";
import { tempDir } from "../helpers/temp.ts";
import { within } from "../helpers/wait.ts";

const WORKER = join(ROOT, "test/fixtures/ready-worker.py");
const HEAD = "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\ncheck_delay = 0.5\n";

let daemon: RunningDaemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

describe("sd_notify", () => {
  test("STATUS while starting, READY=1 once the watcher is ready, WATCHDOG=1 pings, STOPPING=1 at the stop", async () => {
    const dir = tempDir("circus-notify-");
    const messages: { at: number; text: string }[] = [];
    const listener = await UnixDatagramReceiver.open(join(dir, "notify.sock"), (data) =>
      messages.push({ at: Date.now(), text: new TextDecoder().decode(data) }),
    );
    defer(() => listener.close());
    daemon = await startDaemon(
      `${HEAD}[watcher:web]\ncmd = ${PY} ${WORKER} --port ${freePort()} --boot 0.6 --notify\n` +
        "copy_env = true\nready.notify = true\nready.timeout = 10\n",
      [],
      { env: { ...process.env, NOTIFY_SOCKET: join(dir, "notify.sock"), WATCHDOG_USEC: "300000" } },
    );
    const d = daemon;
    const ready = await waitFor(() => messages.find((m) => m.text.split("\n").includes("READY=1")), 10000, "READY=1");
    expect((await d.call("status", { name: "web" })).status).toBe("active");
    // The worker got its own NOTIFY_SOCKET (the probe's), never the daemon's.
    const [pid] = await waitPids(d, "web", 1);
    const environ = procEnviron(pid!);
    expect(environ.NOTIFY_SOCKET).toStartWith("/");
    expect(environ.NOTIFY_SOCKET).not.toBe(join(dir, "notify.sock"));
    expect(Object.hasOwn(environ, "WATCHDOG_USEC")).toBe(false);
    // Pings every half WatchdogSec (150 ms here) from the start.
    await waitFor(() => messages.filter((m) => m.text === "WATCHDOG=1").length >= 4, 5000, "watchdog pings");
    const beforeStop = messages.length;
    expect(await d.stop()).toBe(0);
    daemon = null;
    const notWatchdog = messages.filter((m) => m.text !== "WATCHDOG=1").map((m) => m.text);
    const readyAt = notWatchdog.findIndex((t) => t.split("\n").includes("READY=1"));
    const stoppingAt = notWatchdog.findIndex((t) => t.split("\n").includes("STOPPING=1"));
    // In order: a status while starting, READY=1 with the summary, STOPPING=1 last.
    expect(notWatchdog.slice(0, readyAt).some((t) => t.includes("web starting 0/1 ready"))).toBe(true);
    expect(notWatchdog[readyAt]).toContain("STATUS=1 watcher: web active 1/1 ready");
    expect(stoppingAt).toBeGreaterThan(readyAt);
    expect(messages.findIndex((m) => m.text.includes("STOPPING=1"))).toBeGreaterThanOrEqual(beforeStop);
    expect(messages.filter((m) => m.text.includes("READY=1"))).toHaveLength(1);
    expect(ready.at).toBeGreaterThan(messages[0]!.at);
  }, 30000);

  test("a watcher that starts late (after warmup_delay) is shown starting before READY=1", async () => {
    const dir = tempDir("circus-notify-");
    const messages: string[] = [];
    const listener = await UnixDatagramReceiver.open(join(dir, "notify.sock"), (data) =>
      messages.push(new TextDecoder().decode(data)),
    );
    defer(() => listener.close());
    // `first` starts at once; `web` a second later, long after the summary the attach scheduled.
    daemon = await startDaemon(
      `${HEAD}warmup_delay = 1\n[watcher:first]\ncmd = sleep 60\npriority = 10\n` +
        `[watcher:web]\ncmd = ${PY} ${WORKER} --port ${freePort()} --boot 0.6 --notify\n` +
        "copy_env = true\nready.notify = true\nready.timeout = 10\n",
      [],
      { env: { ...process.env, NOTIFY_SOCKET: join(dir, "notify.sock") } },
    );
    await waitFor(() => messages.some((m) => m.split("\n").includes("READY=1")), 10000, "READY=1");
    const beforeReady = messages.slice(
      0,
      messages.findIndex((m) => m.split("\n").includes("READY=1")),
    );
    expect(
      beforeReady.some((m) => m.includes("web starting 0/1 ready")),
      beforeReady.join(" | "),
    ).toBe(true);
  }, 30000);
});

describe("socket activation", () => {
  test("systemd-socket-activate's listening socket becomes [socket:web] (systemd = true) and serves connections", async () => {
    const port = freePort();
    daemon = await startDaemon(
      `${HEAD}[socket:web]\nsystemd = true\n` +
        `[watcher:web]\ncmd = ${PY} ${WORKER} --fd $(circus.sockets.web)\nuse_sockets = true\nnumprocesses = 2\n`,
      [],
      {
        wrap: ["systemd-socket-activate", "-l", `127.0.0.1:${port}`, "--fdname=web", "-E", "PATH", "-E", "HOME"],
        wait: false,
      },
    );
    const d = daemon;
    await waitFor(() => d.output().includes(`Listening on 127.0.0.1:${port}`), 10000, "systemd-socket-activate");
    // systemd-socket-activate execs the daemon on the first connection, which then waits in the queue.
    const first = fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(15000) });
    await waitFor(
      async () => (await pyCall(d.endpoint, "status", {}, 300).catch(() => null))?.status === "ok",
      15000,
      "the daemon",
    );
    const pids = await waitPids(d, "web", 2, 15000);
    expect(Number(await (await first).text())).toBeOneOf(pids);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`, { keepalive: false });
      expect(Number(await res.text())).toBeOneOf(pids);
    }
    // The socket is systemd's fd 3, not one the daemon bound.
    const sockets = (await d.call("listsockets")).sockets as { name: string; fd: number; port: number }[];
    expect(sockets).toEqual([expect.objectContaining({ name: "web", fd: 3, port })]);
    expect(d.output()).not.toContain("binding it");
  }, 30000);

  test("systemd = true without socket activation binds the socket as usual", async () => {
    const port = freePort();
    daemon = await startDaemon(
      `${HEAD}[socket:web]\nhost = 127.0.0.1\nport = ${port}\nsystemd = true\n` +
        `[watcher:web]\ncmd = ${PY} ${WORKER} --fd $(circus.sockets.web)\nuse_sockets = true\n`,
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => null))?.status === 200, 10000);
    expect(daemon.output()).toContain("not socket-activated");
  });
});

describe("orphans and the daemon's death", () => {
  // The worker's shell exits at once; its background sleep is left without a parent. It ends when the
  // test kills it, once it has seen it adopted (a timed exit could come before a loaded machine looked).
  const ORPHAN = `[watcher:parent]\ncmd = sh -c 'sleep 302 & echo orphan $!; exit 0'\nrespawn = false\n`;

  test("as a child subreaper the daemon adopts a worker's orphan and reaps it", async () => {
    daemon = await startDaemon(`${HEAD}${ORPHAN}`);
    const d = daemon;
    const orphan = Number(await waitFor(() => /orphan (\d+)/.exec(d.output())?.[1], 5000, "the orphan's pid"));
    trackPid(orphan);
    // Its parent exited: it is the daemon's child now, not init's.
    await waitFor(() => readStat(orphan)?.ppid === d.proc.pid, 5000, "the re-parenting");
    // Once it exits it is reaped (no zombie left).
    process.kill(orphan, "SIGTERM");
    await waitFor(() => readStat(orphan) === null, 5000, "the orphan to be reaped");
  });

  test("as PID 1 of a new pid namespace (unshare) it runs, reaps orphans and stops on SIGTERM", async () => {
    daemon = await startDaemon(`${HEAD}${ORPHAN}`, [], {
      wrap: ["unshare", "--pid", "--fork", "--mount-proc"],
      wait: false,
    });
    const d = daemon;
    await waitFor(
      async () => (await pyCall(d.endpoint, "status", {}, 300).catch(() => null))?.status === "ok",
      15000,
      "the daemon",
    );
    expect(d.output()).toContain("(pid 1)");
    // The daemon's pid as this namespace sees it: unshare's only child.
    const inner = await waitFor(() => childrenOf(d.proc.pid)[0], 5000, "the daemon under unshare");
    // The orphan (its pid is the namespace's, so it is found by name) comes back to PID 1 once the
    // shell has exited, and PID 1 reaps it when it ends: no zombie stays under it.
    await waitFor(() => /orphan \d+/.test(d.output()), 5000, "the orphan");
    const orphan = await waitFor(
      () => childrenOf(inner).find((p) => readStat(p)?.comm === "sleep" && readStat(p)?.state !== "Z"),
      5000,
      "the orphan adopted by PID 1",
    );
    process.kill(orphan, "SIGTERM");
    await waitFor(() => readStat(orphan) === null, 5000, "the orphan reaped by PID 1");
    process.kill(inner, "SIGTERM");
    const code = await within(d.proc.exited, 10000, "the daemon to exit");
    expect(code).toBe(0);
    expect(d.output()).toContain("arbiter stopped");
  }, 30000);

  test("stop_on_daemon_death: the worker gets SIGKILL when the daemon is killed; others are left running", async () => {
    daemon = await startDaemon(
      `${HEAD}[watcher:tied]\ncmd = sleep 60\nstop_on_daemon_death = true\n[watcher:free]\ncmd = sleep 60\n`,
    );
    const d = daemon;
    const [tied] = await waitPids(d, "tied", 1);
    const [free] = await waitPids(d, "free", 1);
    trackPid(free!); // killed after the test: nothing ties it to the daemon
    await waitExec(tied!, "sleep");
    d.proc.kill("SIGKILL");
    await d.proc.exited;
    await waitFor(() => !isAlive(tied!), 5000, "the tied worker to die with the daemon");
    expect(isAlive(free!)).toBe(true);
  });
});
