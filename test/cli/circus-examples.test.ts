// Circus 0.19.0's 16 example configs (test/fixtures/circus-examples/examples, copied unchanged) run by
// our daemon: each starts, its watchers reach `active`, the apps served on its sockets answer, plugins
// run as ours, the web console runs where `httpd = true`, and a watcher with a Python hook loads stopped
// saying why (decisions §10).
//
// What the test changes in a copy of each config, and why:
// - endpoints become free ports (`stats_endpoint` and `httpd_port` too) and multicast discovery is off, so tests never
//   collide; socket ports become 0 and 0.0.0.0 becomes 127.0.0.1; example7's /tmp/webapp.sock moves to
//   the test's directory;
// - `cmd = python` becomes `../bin/python` (this machine has python3 only), and the programs that
//   cannot run here as written are replaced by the stand-ins of test/fixtures/circus-examples/standins
//   (Flask apps, two Python 2 programs); `../bin/chaussette` is our stand-in already;
// - the stand-in Flask apps and the WatchDog heartbeat get their port from an [env:…] section;
// - example9's leaker gets `rlimit_as`, because it eats memory without bound once it wakes up;
//   plugin_watchdog.ini logs at debug level, to show the heartbeats arriving.

import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { circusCommand, freePort, startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";

const FIXTURES = resolve(import.meta.dir, "../fixtures/circus-examples");
const running: RunningDaemon[] = [];
const copies: string[] = [];

afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Example {
  daemon: RunningDaemon;
  /** The copy of test/fixtures/circus-examples this daemon runs in. */
  root: string;
}

interface Options {
  /** Run from the repository root (configs that name `examples/…`) instead of examples/. */
  fromRoot?: boolean;
  /** Further edits of the config text. */
  edit?: (text: string, root: string) => string;
}

/** Run example `name` (examples/<name>.ini) in a fresh copy of the fixtures, as described above. */
async function runExample(name: string, options: Options = {}): Promise<Example> {
  const root = mkdtempSync(join(tmpdir(), "circus-example-"));
  copies.push(root);
  cpSync(FIXTURES, root, { recursive: true });
  let text = readFileSync(join(root, "examples", `${name}.ini`), "utf8");
  text = text
    .replace(/^(endpoint|pubsub_endpoint|multicast_endpoint) *=.*\n/gm, "")
    .replace(/^stats_endpoint *=.*$/m, `stats_endpoint = tcp://127.0.0.1:${freePort()}`)
    // In [socket:*] sections only (a plugin's `port` is its statsd server's).
    .replace(/^\[socket:[^\]]+\][^[]*/gm, (section) =>
      section.replace(/^port *= *\d+$/gm, "port = 0").replace(/^host *= *0\.0\.0\.0$/gm, "host = 127.0.0.1"),
    )
    .replace(/^cmd = python\b/gm, "cmd = ../bin/python")
    .replace(/\b(flask_app|hang|simplesocket_server)\.py\b/g, "../standins/$1.py");
  // The web console (httpd = true) gets a free port too.
  text = text.replace(/^httpd_port *=.*\n/gm, "");
  const httpd = /^httpd *= *(true|1|yes|on)$/im.test(text) ? `httpd_port = ${freePort()}\n` : "";
  const endpoints = `endpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n${httpd}`;
  text = /^\[circus\]$/m.test(text)
    ? text.replace(/^\[circus\]\n/m, `[circus]\n${endpoints}`)
    : `[circus]\n${endpoints}\n${text}`;
  if (options.edit) text = options.edit(text, root);
  const cwd = options.fromRoot ? root : join(root, "examples");
  // ../bin first in PATH, as in the virtualenv Circus's examples expect (example7 runs `chaussette`).
  const path = `PATH=${join(root, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`;
  const daemon = await startDaemon(text, [], { wrap: ["env", `--chdir=${cwd}`, path] });
  running.push(daemon);
  return { daemon, root };
}

/** Wait until every watcher named is active with at least one process; return the status reply. */
async function allActive(d: RunningDaemon, names: string[]): Promise<Record<string, string>> {
  const reply = await waitFor(
    async () => {
      const r = await d.call("status");
      const statuses = r.statuses as Record<string, string>;
      for (const name of names) {
        if (statuses[name] !== "active") return null;
        const pids = ((await d.call("list", { name })).pids ?? []) as number[];
        if (pids.length === 0) return null;
      }
      return statuses;
    },
    15_000,
    `${names.join(", ")} to be active`,
  );
  expect(Object.keys(reply).sort()).toEqual([...names].sort());
  return reply;
}

/** The port of socket `name`, from listsockets. */
async function socketPort(d: RunningDaemon, name: string): Promise<number> {
  const sockets = (await d.call("listsockets")).sockets as { name: string; port: number }[];
  return sockets.find((s) => s.name === name)!.port;
}

/** GET `url` until it answers 200 (the worker may still be starting); the body. */
async function answer(url: string, init: RequestInit & { unix?: string } = {}): Promise<string> {
  return waitFor(
    () =>
      fetch(url, { ...init, headers: { connection: "close" } })
        .then((r) => (r.ok ? r.text() : null))
        .catch(() => null),
    10_000,
    `an answer from ${url}`,
  );
}

/** The web console of a config with `httpd = true` answers on its port (globaloptions does not show it). */
async function consoleAnswers(d: RunningDaemon): Promise<void> {
  const port = Number(/^httpd_port = (\d+)$/m.exec(readFileSync(d.configPath, "utf8"))![1]);
  const status = await waitFor(
    () =>
      fetch(`http://127.0.0.1:${port}/`, { redirect: "manual", headers: { connection: "close" } })
        .then((r) => r.status)
        .catch(() => null),
    10_000,
    "the web console",
  );
  expect(status).toBeLessThan(400);
}

/** Status of one watcher, with the keys beyond Circus. */
const statusOf = (d: RunningDaemon, name: string) => d.call("status", { name });

describe("Circus 0.19.0's example configs", () => {
  test("slow: example1.ini: two watchers (rlimits), the Flapping plugin, circusd-stats and the web console run", async () => {
    const { daemon: d } = await runExample("example1");
    await allActive(d, ["dummy", "dummy2", "plugin:flapping", "circusd-stats", "circushttpd"]);
    expect(((await d.call("list", { name: "dummy" })).pids as number[]).length).toBe(5);
    await consoleAnswers(d);
  }, 30_000);

  test("slow: example2.ini: 14 verbose workers, one writing to test.log with its time_format, Flapping and stats", async () => {
    const { daemon: d, root } = await runExample("example2");
    await allActive(d, ["verbose", "verbose2", "plugin:flapping", "circusd-stats"]);
    // Relative to the daemon's working directory, as in Circus; the quotes of time_format are kept, as Circus keeps them.
    const log = join(root, "examples", "test.log");
    await waitFor(
      () =>
        existsSync(log) &&
        /^'\d{4}\/\d\d\/\d\d \| \d\d:\d\d:\d\d' \[\d+\] \| \d+:\d+$/m.test(readFileSync(log, "utf8")),
      10_000,
      "test.log lines",
    );
    expect(d.output()).toContain("refresh_time");
  }, 30_000);

  test("slow: example3.ini: a job that exits every second keeps running under Flapping, with per-watcher flapping options", async () => {
    const { daemon: d } = await runExample("example3");
    await allActive(d, ["dying", "dying2", "plugin:flapping"]);
    // Each run lives a second and exits 0: respawned at once, never counted, never stopped.
    const reply = await waitFor(
      async () => {
        const r = await statusOf(d, "dying2");
        return (r.restarts as number) >= 2 ? r : null;
      },
      10_000,
      "two restarts of dying2",
    );
    expect(reply).toMatchObject({ status: "active", spawn_error: null, last_exit: { reason: "exit", status: 0 } });
    expect((await d.call("get", { name: "dying2", keys: ["flapping.max_retry"] })).options).toEqual({
      "flapping.max_retry": "2",
    });
  }, 30_000);

  test("slow: example4.ini: $WID stays literal as in Circus; the StatsdEmitter plugin and circusd-stats run", async () => {
    const { daemon: d } = await runExample("example4");
    await allActive(d, ["dummy", "dummy2", "plugin:statsd", "circusd-stats"]);
    const [pid] = (await d.call("list", { name: "dummy2" })).pids as number[];
    await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("dummy_fly2.py"), 5000, "the exec");
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain("$WID");
  }, 30_000);

  test("slow: example5.ini: three chaussette workers serve HTTP on the circus socket; the web console runs", async () => {
    const { daemon: d } = await runExample("example5");
    await allActive(d, ["webworker", "circusd-stats", "circushttpd"]);
    await consoleAnswers(d);
    const port = await socketPort(d, "webapp");
    const pids = (await d.call("list", { name: "webworker" })).pids as number[];
    const body = await answer(`http://127.0.0.1:${port}/`);
    expect(body).toMatch(/^chaussette\.util\.bench_app \d+\n$/);
    expect(pids).toContain(Number(body.split(" ")[1]));
  }, 30_000);

  test("slow: example6.ini: the singleton Flask app (stand-in) answers on its port; the web console runs", async () => {
    const port = freePort();
    const { daemon: d } = await runExample("example6", { edit: (t) => `${t}\n[env:swiss]\nEXAMPLE_PORT = ${port}\n` });
    await allActive(d, ["swiss", "circusd-stats", "circushttpd"]);
    await consoleAnswers(d);
    expect(await answer(`http://127.0.0.1:${port}/`)).toBe("Hello World!");
  }, 30_000);

  test("slow: example7.ini: chaussette serves HTTP on a unix socket; copy_path is accepted with a warning", async () => {
    const { daemon: d, root } = await runExample("example7", {
      edit: (t, dir) => t.replace("path = /tmp/webapp.sock", `path = ${dir}/webapp.sock`),
    });
    await allActive(d, ["webworker", "circusd-stats"]);
    expect(await answer("http://localhost/", { unix: join(root, "webapp.sock") })).toMatch(/^flask_app\.app \d+\n$/);
    expect(d.output()).toContain("copy_path");
  }, 30_000);

  test("slow: example8.ini: a [circus] section alone runs circusd-stats", async () => {
    const { daemon: d } = await runExample("example8");
    await allActive(d, ["circusd-stats"]);
  }, 30_000);

  test("slow: example9.ini: the ResourceWatcher plugin (with Circus's `service` name) watches the leaker", async () => {
    const { daemon: d } = await runExample("example9", {
      edit: (t) => t.replace("cmd = ../bin/python leaker.py", "cmd = ../bin/python leaker.py\nrlimit_as = 400000000"),
    });
    await allActive(d, ["leaker", "plugin:leak", "circusd-stats"]);
    expect((await d.call("options", { name: "plugin:leak" })).status).toBe("ok");
  }, 30_000);

  test("slow: example10.ini: the Python-hooked watcher loads stopped, says how to port the hook, and runs once ported", async () => {
    const { daemon: d, root } = await runExample("example10", { fromRoot: true });
    const reply = await statusOf(d, "vars");
    expect(reply.status).toBe("stopped");
    expect(reply.spawn_error).toContain("examples.demo.set_var");
    expect(reply.spawn_error).toContain('"./hooks.ts:set_var"');
    expect(d.output()).toContain("examples.demo.set_var");
    // Ported as the message says: ported/demo.ts sets the variable the command prints.
    const ctl = (args: string[]) => Bun.spawnSync([...circusCommand(), "ctl", "--endpoint", d.endpoint, ...args]);
    expect(ctl(["set", "vars", "hooks.before_spawn", `${root}/ported/demo.ts:set_var`]).exitCode).toBe(0);
    expect(ctl(["start", "vars"]).exitCode).toBe(0);
    await waitFor(() => /^\d+; sleep 1$/m.test(d.output()), 10_000, "the ported hook's variable in the output");
    expect((await statusOf(d, "vars")).spawn_error).toBeNull();
  }, 30_000);

  test("slow: hang.ini: the Flask app (stand-in) runs under ../bin/python and answers", async () => {
    const port = freePort();
    const { daemon: d } = await runExample("hang", { edit: (t) => `${t}\n[env:dummy]\nEXAMPLE_PORT = ${port}\n` });
    await allActive(d, ["dummy", "circusd-stats"]);
    expect(await answer(`http://127.0.0.1:${port}/`)).toBe("Hello World!");
  }, 30_000);

  test("slow: max_age.ini: three workers with max_age run", async () => {
    const { daemon: d } = await runExample("max_age");
    await allActive(d, ["dummy"]);
    expect((await d.call("get", { name: "dummy", keys: ["max_age", "max_age_variance"] })).options).toEqual({
      max_age: 10,
      max_age_variance: 5,
    });
  }, 30_000);

  test("slow: plugin_watchdog.ini: the WatchDog plugin (its socket bound by the daemon) gets heartbeats from its watcher", async () => {
    const port = freePort();
    const { daemon: d } = await runExample("plugin_watchdog", {
      fromRoot: true,
      edit: (t) =>
        t
          .replace("/usr/bin/python2 examples/plugin_watchdog.py", "/usr/bin/python3 standins/plugin_watchdog.py")
          .replace("use = circus.plugins.watchdog.WatchDog", `use = circus.plugins.watchdog.WatchDog\nport = ${port}`)
          .replace("[circus]\n", "[circus]\nloglevel = debug\n") + `\n[env:test1]\nWATCHDOG_PORT = ${port}\n`,
    });
    await allActive(d, ["test1", "test2", "dummy2", "plugin:mywatchdog"]);
    const sockets = (await d.call("listsockets")).sockets as { name: string; port: number }[];
    expect(sockets.find((s) => s.name === "plugin-mywatchdog")?.port).toBe(port);
    const [pid] = (await d.call("list", { name: "test1" })).pids as number[];
    // The example quotes its regexes and the quotes are part of them, as in Circus: no watcher is
    // monitored and no heartbeat is understood; the plugin's debug log shows each one arriving.
    await waitFor(
      () => d.output().includes(`watchdog message not understood: "${pid};`),
      10_000,
      "a heartbeat at the plugin",
    );
  }, 30_000);

  test("slow: redirect_serve.ini: both chaussette watchers answer on their sockets; the web console runs", async () => {
    const { daemon: d } = await runExample("redirect_serve");
    await allActive(d, ["serve", "redirect", "circusd-stats", "circushttpd"]);
    await consoleAnswers(d);
    expect(await answer(`http://127.0.0.1:${await socketPort(d, "serve")}/`)).toMatch(/^flask_serve\.app \d+\n$/);
    expect(await answer(`http://127.0.0.1:${await socketPort(d, "redirect")}/`)).toMatch(/^flask_redirect\.app \d+\n$/);
  }, 30_000);

  test("slow: simplesocket.ini: three workers accept on the circus socket they got as argv[1]", async () => {
    const { daemon: d } = await runExample("simplesocket");
    await allActive(d, ["worker", "circusd-stats"]);
    const port = await socketPort(d, "simplesock");
    const pids = (await d.call("list", { name: "worker" })).pids as number[];
    const greeting = await waitFor(
      () =>
        new Promise<string | null>((done) => {
          let text = "";
          const c = connect(port, "127.0.0.1");
          c.on("data", (b) => (text += b.toString()));
          c.on("close", () => done(text || null));
          c.on("error", () => done(null));
        }),
      10_000,
      "a greeting",
    );
    expect(greeting).toMatch(/^Hello Circus by \d+$/);
    expect(pids).toContain(Number(greeting.split(" by ")[1]));
  }, 30_000);

  test("slow: uwsgi_lossless_reload.ini: the watcher with three Python hooks loads stopped, saying which and how to port", async () => {
    const { daemon: d } = await runExample("uwsgi_lossless_reload", { fromRoot: true });
    const reply = await statusOf(d, "web");
    expect(reply.status).toBe("stopped");
    expect(reply.spawn_error).toContain("examples.uwsgi_lossless_reload.");
    expect((await d.call("listsockets")).sockets).toHaveLength(1);
  }, 30_000);
});
