// `circus ctl` driving a real `circus daemon`: every command's printed output and exit code.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { childrenOf, circusCommand, isAlive, startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { run } from "../helpers/processes.ts";

let daemon: RunningDaemon;

beforeAll(async () => {
  daemon = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
check_delay = 1

[watcher:web]
cmd = sleep 300
numprocesses = 2
graceful_timeout = 1

[watcher:Other]
cmd = sleep 301
autostart = false
graceful_timeout = 1

[socket:s1]
host = 127.0.0.1
port = 0
`);
  await waitFor(() => childrenOf(daemon.proc.pid).length === 2, 5000, "2 workers");
});

afterAll(async () => {
  await daemon.stop();
});

async function ctl(...args: string[]) {
  const { stdout, stderr, code } = await run([...circusCommand(), "ctl", "--endpoint", daemon.endpoint, ...args]);
  return { stdout, stderr, code };
}

async function pidsOf(name: string): Promise<number[]> {
  const r = await ctl("list", name);
  return r.stdout.trim() ? r.stdout.trim().split(",").map(Number) : [];
}

describe("circus ctl against a running daemon", () => {
  test("status lists every watcher with its state, sorted, and one watcher's state alone", async () => {
    expect(await ctl("status")).toEqual({ stdout: "Other: stopped\nweb: active\n", stderr: "", code: 0 });
    expect((await ctl("status", "web")).stdout).toBe("active\n");
  });

  test("list prints lower-cased watcher names, or a watcher's pids, comma-separated", async () => {
    expect((await ctl("list")).stdout).toBe("other,web\n");
    const pids = await pidsOf("web");
    expect(pids.length).toBe(2);
    expect(pids.sort()).toEqual(childrenOf(daemon.proc.pid).sort());
  });

  test("numwatchers, numprocesses and listsockets print what the daemon holds", async () => {
    expect((await ctl("numwatchers")).stdout).toBe("2\n");
    expect((await ctl("numprocesses", "web")).stdout).toBe("2\n");
    expect((await ctl("listsockets")).stdout).toMatch(/^\d+:socket 's1' at 127\.0\.0\.1:\d+\n$/);
  });

  test("globaloptions, get and options print key: value lines", async () => {
    const global = (await ctl("globaloptions")).stdout;
    expect(global).toContain(`endpoint: ${daemon.endpoint}\n`);
    expect(global).toContain(`pubsub_endpoint: ${daemon.pubsub}\n`);
    expect((await ctl("get", "web", "numprocesses", "cmd")).stdout).toBe("numprocesses: 2\ncmd: sleep 300\n");
    const options = (await ctl("options", "web")).stdout;
    expect(options).toContain("cmd: sleep 300\n");
    expect(options).toContain("stop_signal: 15\n");
    expect(options).toContain("singleton: False\n");
  });

  test("incr and decr change the running processes; with --waiting they print the new count", async () => {
    expect((await ctl("incr", "web", "2", "--waiting")).stdout).toBe("4\n");
    expect((await pidsOf("web")).length).toBe(4);
    expect((await ctl("decr", "web", "2", "--waiting")).stdout).toBe("2\n");
    await waitFor(async () => (await pidsOf("web")).length === 2, 5000, "2 workers again");
  });

  test("start and stop a watcher by name, case-insensitively", async () => {
    expect((await ctl("start", "OTHER", "--waiting")).code).toBe(0);
    expect((await ctl("status", "other")).stdout).toBe("active\n");
    const [pid] = await pidsOf("other");
    expect(isAlive(pid!)).toBe(true);
    expect((await ctl("stop", "other", "--waiting")).code).toBe(0);
    expect((await ctl("status", "other")).stdout).toBe("stopped\n");
    await waitFor(() => !isAlive(pid!), 3000, "the stopped worker to exit");
  });

  test("set changes an option that get then reports", async () => {
    expect((await ctl("set", "web", "graceful_timeout", "2")).stdout).toBe("ok\n");
    expect((await ctl("get", "web", "graceful_timeout")).stdout).toBe("graceful_timeout: 2.0\n");
  });

  test("kill stops the processes and the watcher replaces them", async () => {
    const before = await pidsOf("web");
    expect((await ctl("kill", "web", String(before[0]), "--waiting")).code).toBe(0);
    await waitFor(
      async () => {
        const now = await pidsOf("web");
        return now.length === 2 && !now.includes(before[0]!);
      },
      5000,
      "a replacement worker",
    );
  });

  test("reload and restart with --waiting give a new generation of processes", async () => {
    for (const cmd of ["reload", "restart"]) {
      const before = await pidsOf("web");
      expect((await ctl(cmd, "web", "--waiting")).code).toBe(0);
      const after = await pidsOf("web");
      expect(after.length).toBe(2);
      expect(after.some((p) => before.includes(p))).toBe(false);
    }
  });

  test("signal delivers a signal to the watcher's processes", async () => {
    const [victim] = await pidsOf("web");
    expect((await ctl("signal", "web", String(victim), "KILL")).stdout).toBe("ok\n");
    await waitFor(() => !isAlive(victim!), 3000, "the signalled worker to die");
  });

  test("add creates a stopped watcher, start runs it, rm removes it", async () => {
    expect((await ctl("add", "extra", "sleep", "302")).stdout).toBe("ok\n");
    expect((await ctl("status", "extra")).stdout).toBe("stopped\n");
    expect((await ctl("start", "extra", "--waiting")).code).toBe(0);
    const [pid] = await pidsOf("extra");
    expect(pid).toBeGreaterThan(0);
    expect((await ctl("rm", "extra", "--waiting")).code).toBe(0);
    expect((await ctl("list")).stdout).toBe("other,web\n");
    await waitFor(() => !isAlive(pid!), 3000, "the removed watcher's worker to exit");
  });

  test("stats prints one line per process under the watcher name", async () => {
    const r = await ctl("stats", "web");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("web:");
    expect(lines.length).toBe(3);
    expect(lines[1]).toMatch(/^\d+: \d+ +sleep /);
  });

  test("dstats prints the daemon's own process line under Main Process:", async () => {
    const r = await ctl("dstats");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("Main Process:");
    // Indented by four spaces, as circusctl prints it.
    expect(lines[1]).toMatch(new RegExp(`^    ${daemon.proc.pid}\\s+\\S+ root `));
  });

  test("ipython is refused with a clear error, exit 3", async () => {
    expect(await ctl("ipython")).toEqual({
      stdout: "",
      stderr: "error: ipython is not available in this implementation\n",
      code: 3,
    });
  });

  test("--json prints the reply envelope", async () => {
    const r = await ctl("--json", "numwatchers");
    const reply = JSON.parse(r.stdout);
    expect(reply.status).toBe("ok");
    expect(reply.numwatchers).toBe(2);
    expect(typeof reply.time).toBe("number");
  });

  test("errors: unknown watcher exits 3 with `error: …` on stderr, bad arguments exit 2", async () => {
    expect(await ctl("list", "nope")).toEqual({ stdout: "", stderr: "error: program nope not found\n", code: 3 });
    expect((await ctl("--json", "list", "nope")).code).toBe(3);
    const bad = await ctl("incr", "web", "abc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"abc" is not an integer');
    expect((await ctl("frobnicate")).code).toBe(2);
  });

  test("a daemon that does not answer gives `Timed out.` and exit 1", async () => {
    // It accepts the connection and never speaks: only a real timeout (a refused port fails at once).
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const endpoint = `tcp://127.0.0.1:${silent.port}`;
      const proc = Bun.spawn([...circusCommand(), "ctl", "--endpoint", endpoint, "--timeout", "1", "status"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await proc.exited).toBe(1);
      expect(await new Response(proc.stderr).text()).toContain("Timed out.");
    } finally {
      silent.stop(true);
    }
  });

  test("reloadconfig applies a changed file: a new watcher appears, the daemon keeps running", async () => {
    const text = await Bun.file(daemon.configPath).text();
    writeFileSync(daemon.configPath, text + "\n[watcher:late]\ncmd = sleep 303\n");
    expect((await ctl("reloadconfig", "--waiting")).code).toBe(0);
    expect((await ctl("status", "late")).stdout).toBe("active\n");
    writeFileSync(join(daemon.dir, "circus.ini"), text + "\n[watcher:late]\ncmd = sleep 303\nnumprocesses = many\n");
    const broken = await ctl("reloadconfig", "--waiting");
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain("numprocesses");
    expect((await ctl("status", "late")).stdout).toBe("active\n");
  });

  test("quit prints ok and the daemon exits 0 with its workers gone", async () => {
    const workers = childrenOf(daemon.proc.pid);
    expect(await ctl("quit", "--waiting")).toEqual({ stdout: "ok\n", stderr: "", code: 0 });
    expect(await daemon.proc.exited).toBe(0);
    for (const pid of workers) expect(isAlive(pid)).toBe(false);
  });
});
