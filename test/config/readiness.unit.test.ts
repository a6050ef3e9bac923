import { describe, expect, test } from "bun:test";
import { dependantsOf, findCycles, startOrder, withDependencies } from "../../src/config/dependencies.ts";
import { checkWatcherOption } from "../../src/config/options/watcher-wire.ts";
import { loadText, problemsOf, warningsOf } from "./fixture.ts";

const SOCKET = "[socket:web]\nhost = 127.0.0.1\nport = 8080\n";

describe("ready.* options", () => {
  test("a probe and its timing are read per watcher, ini and TOML alike", async () => {
    const ini = await loadText(
      "[watcher:web]\ncmd = run\nready.http = http://127.0.0.1:90$(circus.wid)/health\nready.interval = 0.2\nready.timeout = 5\n",
    );
    expect(ini.watchers[0]!.ready).toEqual({
      http: "http://127.0.0.1:90$(circus.wid)/health",
      tcp: null,
      cmd: null,
      log: null,
      notify: false,
      interval: 0.2,
      timeout: 5,
    });
    const toml = await loadText('[watcher.web]\ncmd = "run"\nready = { notify = true, timeout = 3 }\n', {
      name: "circus.toml",
    });
    expect(toml.watchers[0]!.ready).toMatchObject({ notify: true, timeout: 3 });
  });

  test("ready.interval below 0.01 s is refused in a file and by set: it would keep the daemon busy probing", async () => {
    const problems = await problemsOf("[watcher:web]\ncmd = run\nready.tcp = 127.0.0.1:7001\nready.interval = 1e-6\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("circus.ini:4: watcher:web.ready.interval:");
    expect(problems[0]).toContain("at least 0.01");
    expect(() => checkWatcherOption("ready.interval", 0.001, "set")).toThrow(/0\.01/);
    expect(checkWatcherOption("ready.interval", 0.01, "set")).toBe(0.01);
  });

  test("two probes on one watcher are refused at the line of the second", async () => {
    const problems = await problemsOf("[watcher:web]\ncmd = run\nready.log = listening\nready.notify = true\n");
    expect(problems).toEqual([
      "circus.ini:4: watcher:web.ready.notify: only one probe per watcher, but ready.log and ready.notify are set; keep the one that says this process serves",
    ]);
  });

  test("a probe aimed at a [socket:*] address is a config error that recommends ready.notify or ready.log", async () => {
    const literal = await problemsOf(`${SOCKET}[watcher:web]\ncmd = run\nready.http = http://localhost:8080/health\n`);
    expect(literal).toHaveLength(1);
    expect(literal[0]).toStartWith("circus.ini:6: watcher:web.ready.http:");
    expect(literal[0]).toContain("[socket:web]");
    expect(literal[0]).toContain("ready.notify or ready.log");
    const named = await problemsOf(
      `${SOCKET}[watcher:web]\ncmd = run\nready.tcp = 127.0.0.1:$(circus.sockets.web.port)\n`,
    );
    expect(named[0]).toStartWith("circus.ini:6: watcher:web.ready.tcp:");
    expect(named[0]).toContain("[socket:web]");
  });

  test("a variable a probe cannot know is a config error with file:line, not a failure at every spawn", async () => {
    const bogus = await problemsOf("[watcher:web]\ncmd = run\nready.tcp = 127.0.0.1:$(circus.bogus)\n");
    expect(bogus).toEqual([
      "circus.ini:3: watcher:web.ready.tcp: $(circus.bogus) is not a variable a probe knows, expected $(circus.wid), $(circus.pid), $(circus.env.NAME) or $(circus.sockets.NAME.port)",
    ]);
    const socket = await problemsOf("[watcher:web]\ncmd = run\nready.cmd = check $(circus.sockets.nope.port)\n");
    expect(socket).toEqual([
      "circus.ini:3: watcher:web.ready.cmd: $(circus.sockets.nope.port) names no configured socket: add [socket:nope] or fix the name",
    ]);
    // What a probe does know loads: wid, pid, env, a configured socket, the watcher's own options.
    const ok = await loadText(
      `${SOCKET}[watcher:web]\ncmd = run\nready.cmd = check $(CIRCUS.WID) $(circus.pid) $(circus.env.HOME) $(circus.sockets.web.port) ((circus.name))\n`,
    );
    expect(ok.watchers[0]!.ready.cmd).toContain("check");
  });

  test("ready.log on a process whose output is closed is refused; timing without a probe is warned about", async () => {
    const closed = await problemsOf(
      "[watcher:web]\ncmd = run\nready.log = up\nclose_child_stdout = true\nclose_child_stderr = true\n",
    );
    expect(closed).toEqual([
      "circus.ini:3: watcher:web.ready.log: reads the lines the process writes, but close_child_stdout and close_child_stderr close both: keep one open, or use another probe",
    ]);
    const oneOpen = await loadText("[watcher:web]\ncmd = run\nready.log = up\nclose_child_stdout = true\n");
    expect(oneOpen.watchers[0]!.ready.log).toBe("up");
    const warned = await warningsOf("[watcher:web]\ncmd = run\nready.timeout = 5\n");
    expect(warned.join("\n")).toContain(
      "watcher:web.ready.timeout: has no effect without a probe (ready.http, tcp, cmd, log or notify)",
    );
  });

  test("a per-process address passes; one shared by several processes is warned about", async () => {
    const ok = await loadText(
      `${SOCKET}[watcher:web]\ncmd = run\nnumprocesses = 4\nready.tcp = 127.0.0.1:70$(circus.wid)\n`,
    );
    expect(ok.watchers[0]!.ready.tcp).toBe("127.0.0.1:70$(circus.wid)");
    const warned = await warningsOf("[watcher:web]\ncmd = run\nnumprocesses = 2\nready.tcp = 127.0.0.1:7000\n");
    expect(warned.join("\n")).toContain("the same address for every process");
  });

  test("bad probe values and unknown ready keys are refused with file:line", async () => {
    const problems = await problemsOf(
      "[watcher:web]\ncmd = run\nready.http = ftp://x/\nready.tcp = nowhere\nready.log = (unclosed\nready.timeout = 0\nready.wait = 3\n",
    );
    expect(problems.map((p) => p.split(": ").slice(0, 2).join(": "))).toEqual([
      "circus.ini:3: watcher:web.ready.http",
      "circus.ini:4: watcher:web.ready.tcp",
      "circus.ini:5: watcher:web.ready.log",
      "circus.ini:6: watcher:web.ready.timeout",
      "circus.ini:7: watcher:web.ready.wait",
    ]);
  });

  test("set and add check ready.* values in Circus's words", () => {
    expect(checkWatcherOption("ready.timeout", 5, "set")).toBe(5);
    expect(() => checkWatcherOption("ready.timeout", -1, "set")).toThrow("'ready.timeout' must be > 0, got -1");
    expect(() => checkWatcherOption("ready.nope", 1, "set")).toThrow("unknown key 'ready.nope'");
    expect(() => checkWatcherOption("ready.log", "(", "add")).toThrow("'ready.log'");
  });
});

describe("depends_on", () => {
  test("names are read comma- or space-separated, with critical and stop_on_daemon_death", async () => {
    const c = await loadText(
      "[watcher:app]\ncmd = run\ndepends_on = db, cache\ncritical = true\nstop_on_daemon_death = true\n[watcher:db]\ncmd = run\n[watcher:cache]\ncmd = run\n",
    );
    const app = c.watchers.find((w) => w.name === "app")!;
    expect(app.depends_on).toEqual(["db", "cache"]);
    expect([app.critical, app.stop_on_daemon_death]).toEqual([true, true]);
  });

  test("an unknown name and a cycle are config errors at the depends_on line", async () => {
    const problems = await problemsOf(
      "[watcher:a]\ncmd = run\ndepends_on = b\n[watcher:b]\ncmd = run\ndepends_on = c\n[watcher:c]\ncmd = run\ndepends_on = a\n[watcher:d]\ncmd = run\ndepends_on = nope\n",
    );
    expect(problems).toEqual([
      "circus.ini:3: watcher:a.depends_on: dependency cycle a → b → c → a, expected watchers that can start one after another",
      'circus.ini:12: watcher:d.depends_on: no watcher "nope", expected one of a, b, c',
    ]);
  });

  test("the start order puts dependencies first and priority orders the rest", () => {
    const nodes = [
      { name: "web", priority: 10, depends_on: ["api"] },
      { name: "api", priority: 0, depends_on: ["db"] },
      { name: "db", priority: 0, depends_on: [] },
      { name: "cron", priority: 5, depends_on: [] },
      { name: "zz", priority: 5, depends_on: [] },
    ];
    expect(startOrder(nodes).map((n) => n.name)).toEqual(["cron", "zz", "db", "api", "web"]);
    expect(withDependencies(nodes, "web").map((n) => n.name)).toEqual(["db", "api", "web"]);
    expect(dependantsOf(nodes, "db").map((n) => n.name)).toEqual(["web", "api"]);
    expect(findCycles(nodes)).toEqual([]);
  });
});

describe("[circus] and [socket:*] additions", () => {
  test("exit_on_failure, health and socket systemd are read", async () => {
    const c = await loadText(
      "[circus]\nexit_on_failure = true\nhealth = 127.0.0.1:9090\n[socket:web]\nsystemd = true\n[watcher:w]\ncmd = run\n",
    );
    expect([c.circus.exit_on_failure, c.circus.health, c.sockets[0]!.systemd]).toEqual([true, "127.0.0.1:9090", true]);
  });

  test("a health address that is not host:port is refused with its place", async () => {
    const [problem] = await problemsOf("[circus]\nhealth = 9090\n[watcher:w]\ncmd = run\n");
    expect(problem).toContain("circus.health");
    expect(problem).toContain("not host:port, expected one like 127.0.0.1:9090");
  });
});
