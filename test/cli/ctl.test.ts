// `circus ctl` as a subprocess against a pyzmq fake of circusd 0.19: the requests it sends, what it
// prints and its exit statuses.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { VERSION } from "../../src/version.ts";
import { join } from "node:path";
import { runCtlProcess, startFakeCircusd, stopAll, type FakeCircusd } from "./fake-circusd.ts";

let fake: FakeCircusd;
beforeAll(async () => {
  fake = await startFakeCircusd();
});
afterAll(stopAll);

/** Run ctl against the fake and return its result plus the request the fake received (if any). */
async function ctl(...args: string[]) {
  const before = fake.requests.length;
  const result = await runCtlProcess(["--endpoint", fake.endpoint, ...args]);
  const requests = await fake.settled();
  return { ...result, request: requests.length > before ? requests[requests.length - 1]?.request : undefined };
}

describe("requests are the ones circusctl sends", () => {
  const cases: [string[], object][] = [
    [["list"], { command: "list", properties: {} }],
    [["list", "web"], { command: "list", properties: { name: "web" } }],
    [["incr", "web", "3"], { command: "incr", properties: { name: "web", nb: 3 } }],
    [["decr", "web", "--waiting"], { command: "decr", properties: { name: "web", waiting: true } }],
    [["status", "web"], { command: "status", properties: { name: "web" } }],
    [["stats", "web", "1201"], { command: "stats", properties: { name: "web", process: 1201 } }],
    [["get", "web", "cmd", "env"], { command: "get", properties: { name: "web", keys: ["cmd", "env"] } }],
    [
      ["add", "--start", "srv", "python", "-m", "http.server"],
      { command: "add", properties: { name: "srv", cmd: "python -m http.server", start: true } },
    ],
    [["signal", "web", "HUP"], { command: "signal", properties: { name: "web", signum: 1 } }],
    [
      ["signal", "web", "1202", "--children", "USR1"],
      { command: "signal", properties: { name: "web", pid: 1202, signum: 10, children: true } },
    ],
    [
      ["reload", "web", "--terminate", "--sequential"],
      { command: "reload", properties: { name: "web", graceful: false, sequential: true } },
    ],
    [["restart", "web", "--match", "regex"], { command: "restart", properties: { name: "web", match: "regex" } }],
    [
      ["kill", "web", "--signum", "KILL", "--graceful_timeout", "2.5"],
      { command: "kill", properties: { name: "web", signum: 9, graceful_timeout: 2.5 } },
    ],
    [
      [
        "set",
        "web",
        "NumProcesses",
        "4",
        "send_hup",
        "yes",
        "stop_signal",
        "quit",
        "hooks",
        "before_start:m.f,after_stop:m.g",
      ],
      {
        command: "set",
        properties: {
          name: "web",
          options: {
            numprocesses: 4,
            send_hup: true,
            stop_signal: 3,
            hooks: { before_start: "m.f", after_stop: "m.g" },
          },
        },
      },
    ],
    [["globaloptions", "check_delay"], { command: "globaloptions", properties: { option: "check_delay" } }],
  ];
  for (const [args, expected] of cases) {
    test(`\`circus ctl ${args.join(" ")}\` sends ${JSON.stringify(expected)}`, async () => {
      const r = await ctl(...args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const { id, ...rest } = r.request!;
      expect(rest).toEqual(expected as never);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
    });
  }
});

describe("output as circusctl prints it", () => {
  test("list prints the watcher names comma-separated", async () => {
    expect((await ctl("list")).stdout).toBe("circusd-stats,web,worker\n");
  });
  test("status without a name prints sorted name: state lines; with a name just the state", async () => {
    expect((await ctl("status")).stdout).toBe("circusd-stats: active\nweb: active\nworker: stopped\n");
    expect((await ctl("status", "web")).stdout).toBe("active\n");
  });
  test("incr prints ok without --waiting and the new target with it", async () => {
    expect((await ctl("incr", "web")).stdout).toBe("ok\n");
    expect((await ctl("incr", "web", "2", "--waiting")).stdout).toMatch(/^\d+\n$/);
  });
  test("listsockets prints fd:socket 'name' at address lines", async () => {
    expect((await ctl("listsockets")).stdout).toBe(
      "5:socket 'web' at 127.0.0.1:8080\n6:socket 'local' at /tmp/local.sock\n",
    );
  });
  test("options prints key: value lines with env rendered K=V sorted", async () => {
    const out = (await ctl("options", "web")).stdout;
    expect(out).toContain("env: A=1,B=2\n");
    expect(out).toContain("numprocesses: 3\n");
  });
  test("an error reply prints error: <reason> on stderr and exits 3", async () => {
    const r = await ctl("list", "nope");
    expect(r).toMatchObject({ code: 3, stdout: "", stderr: "error: program nope not found\n" });
  });
  test("--json prints the envelope with Python's spacing; an error reply still exits 3", async () => {
    const ok = await ctl("--json", "list");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^\{"status": "ok", "time": [\d.]+, "watchers": \["circusd-stats", "web", "worker"\], "id": "[0-9a-f]{32}"\}\n$/,
    );
    const bad = await ctl("--json", "list", "nope");
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: "error", errno: 3, reason: "program nope not found" });
  });
  test("--json --prettify indents by 2 and sorts keys", async () => {
    const r = await ctl("--json", "--prettify", "status", "web");
    expect(r.stdout).toMatch(/^\{\n {2}"id": "[0-9a-f]{32}",\n {2}"status": "active",\n {2}"time": [\d.]+\n\}\n$/);
  });
});

describe("exit statuses and messages", () => {
  test("an unknown command exits 2 and suggests the close one", async () => {
    const r = await ctl("lst");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "lst"; did you mean "list"?');
    expect(r.request).toBeUndefined();
  });
  test("a swapped or abbreviated command word gets every close command", async () => {
    expect((await ctl("stauts")).stderr).toContain('unknown command "stauts"; did you mean "status" or "stats"?');
    expect((await ctl("stat")).stderr).toContain('unknown command "stat"; did you mean "stats", "start" or "status"?');
  });
  test("a missing argument exits 2 with the usage line", async () => {
    const r = await ctl("incr");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing argument <name>; usage: circusctl incr <name> [<nb>] [--waiting]");
  });
  test("an unknown command option exits 2 naming the accepted ones", async () => {
    const r = await ctl("incr", "web", "--force");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option --force for incr; incr accepts --waiting");
  });
  test("an unknown global option exits 2", async () => {
    const r = await runCtlProcess(["--endpoit", "tcp://127.0.0.1:1", "list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option --endpoit");
  });
  test("a global option named after an Object.prototype member is unknown, before or after the command", async () => {
    const before = await runCtlProcess(["--constructor", "x", "list"]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain("unknown option --constructor; global options: --endpoint");
    const after = await ctl("list", "--toString");
    expect(after.code).toBe(2);
    expect(after.stderr).toContain("unknown option --toString for list");
    expect(after.request).toBeUndefined();
  });
  test("a value that does not convert exits 2 and says what was expected", async () => {
    const r = await ctl("incr", "web", "three");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"three" is not an integer');
  });
  test("set with an unknown key or a bad hook exits 2 without sending anything", async () => {
    const a = await ctl("set", "web", "colour", "blue");
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("unknown key 'colour'");
    const b = await ctl("set", "web", "hooks", "before_lunch:m.f");
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('unknown hook "before_lunch"');
  });
  test("no reply within --timeout prints Timed out. with the hint and exits 1", async () => {
    const t0 = Date.now();
    const r = await ctl("--timeout", "1", "status", "slow");
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith("Timed out.\n");
    expect(r.stderr).toContain("checking your --endpoint option");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });
  test("--timeout must be a whole number of seconds", async () => {
    const r = await ctl("--timeout", "1.5", "list");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--timeout");
  });
  test("$CIRCUSCTL_ENDPOINT is used when --endpoint is absent", async () => {
    const r = await runCtlProcess(["list"], { CIRCUSCTL_ENDPOINT: fake.endpoint });
    expect(r).toMatchObject({ code: 0, stdout: "circusd-stats,web,worker\n" });
  });
  test("an invalid endpoint exits 1 with the reason", async () => {
    const r = await runCtlProcess(["--endpoint", "udp://x:1", "list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unsupported transport "udp"');
  });
});

describe("help and version", () => {
  test("--version prints circusctl's line, Circus's version first and ours after it", async () => {
    expect(await runCtlProcess(["--version"])).toMatchObject({
      code: 0,
      stdout: `circusctl 0.19.0 (circus ${VERSION}, TypeScript)\n`,
    });
  });
  test("--help lists every command with its summary", async () => {
    const r = await runCtlProcess(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: circusctl [options] command [args]");
    expect(r.stdout).toMatch(/\n {2}incr +Increment the number of processes in a watcher\n/);
    expect(r.stdout).toContain("--ssh_keyfile");
  });
  test("<command> --help prints that command's full help and sends nothing", async () => {
    const r = await ctl("incr", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: circusctl incr <name> [<nb>] [--waiting]");
    expect(r.request).toBeUndefined();
  });
});

describe("interrupting circusctl", () => {
  test("Ctrl-C while waiting for a reply exits 1, as circusctl does", async () => {
    // A ROUTER that never answers: bind a port with our own ZMTP and ignore requests.
    const { RouterSocket } = await import("../../src/zmtp/index.ts");
    const silent = new RouterSocket();
    const endpoint = await silent.bind("tcp://127.0.0.1:0");
    try {
      const proc = Bun.spawn(
        [
          process.execPath,
          join(import.meta.dir, "../fixtures/ctl-entry.ts"),
          "--endpoint",
          endpoint,
          "--timeout",
          "30",
          "status",
        ],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      await silent.receive(10_000); // its request came: it is waiting for the reply now
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(1);
    } finally {
      await silent.close();
    }
  });
});
