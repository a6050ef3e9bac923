// A daemon killed with SIGKILL leaves its workers running; the daemon started next on the same config
// finds them in the worker journal and stops them before starting its own — 10 stay 10, not 20 — and
// never touches a process that only looks like one of them (decisions §10).

import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { workerJournalPath } from "../../src/daemon/pidfile.ts";
import {
  circusCommand,
  descendantsOf,
  isAlive,
  pyCall,
  startDaemon,
  waitFor,
  type RunningDaemon,
} from "../helpers/daemon.ts";

const strays: number[] = [];
const daemons: RunningDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

function startTicks(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]);
}

async function pidsOf(endpoint: string, name: string, count: number): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = ((await pyCall(endpoint, "list", { name }).catch(() => ({ pids: [] }))).pids ?? []) as number[];
      return pids.length === count ? pids : null;
    },
    10000,
    `${count} processes of ${name}`,
  );
}

for (const withPidfile of [true, false]) {
  describe(`a daemon restarted after kill -9 (${withPidfile ? "journal beside the pidfile" : "journal in the runtime folder"})`, () => {
    test("stops what its predecessor left before starting its own: 10 workers, not 20; look-alikes untouched", async () => {
      const d = await startDaemon(
        "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n" +
          (withPidfile ? "pidfile = {dir}/circusd.pid\n" : "") +
          "\n[watcher:w]\ncmd = sleep 300\nnumprocesses = 10\ngraceful_timeout = 3\n",
      );
      daemons.push(d);
      const old = await pidsOf(d.endpoint, "w", 10);
      strays.push(...old);
      const journal = workerJournalPath(withPidfile ? join(d.dir, "circusd.pid") : null, d.endpoint);
      await waitFor(() => readFileSync(journal, "utf8").split("\n").length > 10, 3000, "the journal");

      // Two unrelated processes the journal seems to describe: one with the right command line but
      // another start time (a pid reused), one with the right start time but another command line.
      const lookAlike = Bun.spawn(["sleep", "300"], { stdio: ["ignore", "ignore", "ignore"] });
      const other = Bun.spawn(["sleep", "301"], { stdio: ["ignore", "ignore", "ignore"] });
      strays.push(lookAlike.pid, other.pid);
      const record = (pid: number, start: number, argv: string[]) =>
        `${JSON.stringify({ add: { pid, start, argv, watcher: "w", wid: 99, startedMs: Date.now() } })}\n`;
      appendFileSync(journal, record(lookAlike.pid, startTicks(lookAlike.pid) - 1, ["sleep", "300"]));
      appendFileSync(journal, record(other.pid, startTicks(other.pid), ["sleep", "300"]));

      d.proc.kill("SIGKILL");
      await d.proc.exited;
      for (const pid of old) expect(isAlive(pid)).toBe(true); // orphans now

      const next = Bun.spawn([...circusCommand(), "daemon", d.configPath], {
        cwd: d.dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      void (async () => {
        for await (const chunk of next.stdout) output += new TextDecoder().decode(chunk);
      })();
      try {
        const fresh = await pidsOf(d.endpoint, "w", 10);
        strays.push(...fresh);
        expect(fresh.some((pid) => old.includes(pid))).toBe(false);
        for (const pid of old) expect(isAlive(pid)).toBe(false);
        expect(isAlive(lookAlike.pid)).toBe(true);
        expect(isAlive(other.pid)).toBe(true);
        const sleeps = descendantsOf(next.pid).filter(
          (pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "sleep",
        );
        expect(sleeps.length).toBe(10);
        expect(output).toMatch(
          /10 workers of a previous daemon \(pid \d+\) still run: stopping them before starting \(2 other entries/,
        );
      } finally {
        next.kill("SIGTERM");
        await next.exited;
      }
      // A clean exit stopped every worker: it leaves no journal to act on.
      expect(existsSync(journal)).toBe(false);
    }, 30_000);
  });
}

describe("a second daemon started on the config of a running one", () => {
  test("is refused, naming the running daemon, and leaves its journal alone: after its kill -9, still no doubling", async () => {
    const d = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n" +
        "\n[watcher:w]\ncmd = sleep 302\nnumprocesses = 3\ngraceful_timeout = 3\n",
    );
    daemons.push(d);
    const old = await pidsOf(d.endpoint, "w", 3);
    strays.push(...old);
    const journal = workerJournalPath(null, d.endpoint);
    await waitFor(() => readFileSync(journal, "utf8").split("\n").length > 3, 3000, "the journal");

    // Started again by mistake: it must neither start nor take the running daemon's journal.
    const second = Bun.spawn([...circusCommand(), "daemon", d.configPath], {
      cwd: d.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [code, stderr] = await Promise.all([second.exited, new Response(second.stderr).text()]);
    expect(code).toBe(1);
    expect(stderr).toContain(`another daemon (pid ${d.proc.pid}) runs this config`);
    expect(existsSync(journal)).toBe(true);
    for (const pid of old) expect(readFileSync(journal, "utf8")).toContain(`"pid":${pid},`);

    d.proc.kill("SIGKILL");
    await d.proc.exited;
    const next = Bun.spawn([...circusCommand(), "daemon", d.configPath], {
      cwd: d.dir,
      stdio: ["ignore", "ignore", "ignore"],
    });
    try {
      const fresh = await pidsOf(d.endpoint, "w", 3);
      strays.push(...fresh);
      for (const pid of old) expect(isAlive(pid)).toBe(false);
    } finally {
      next.kill("SIGTERM");
      await next.exited;
    }
  }, 30_000);
});

describe("daemons in two network namespaces on the same tcp endpoint text", () => {
  test("are two daemons: each keeps its own journal and starts", async () => {
    if (!Bun.which("unshare")) throw new Error("unshare (util-linux) is required for this test");
    const d = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n" +
        "\n[watcher:w]\ncmd = sleep 303\nnumprocesses = 1\ngraceful_timeout = 3\n",
    );
    daemons.push(d);
    strays.push(...(await pidsOf(d.endpoint, "w", 1)));
    // The same config in a network namespace of its own (loopback up), as `ip netns exec` would run it.
    const other = Bun.spawn(
      [
        "unshare",
        "-rn",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        ...circusCommand(),
        "daemon",
        d.configPath,
      ],
      { cwd: d.dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const decoder = new TextDecoder();
    void (async () => {
      for await (const chunk of other.stderr) output += decoder.decode(chunk);
    })();
    void (async () => {
      for await (const chunk of other.stdout) output += decoder.decode(chunk);
    })();
    try {
      await waitFor(() => /w started|cannot start/.test(output) || other.exitCode !== null, 10000, "the second daemon");
      expect(output).not.toContain("cannot start");
      expect(output).toContain("w started");
      expect(other.exitCode).toBeNull();
    } finally {
      other.kill("SIGTERM");
      await other.exited;
    }
    expect((await d.call("status")).status).toBe("ok");
  }, 30_000);
});
