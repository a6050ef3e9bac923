import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { type CircusConfig, ConfigError } from "../../src/config/types.ts";
import { loadText, problemsOf, warningsOf } from "./fixture.ts";

const EXAMPLES = join(import.meta.dir, "../../examples");

/** A config without where-it-came-from details, for comparing formats. */
function comparable(c: CircusConfig): unknown {
  return JSON.parse(JSON.stringify({ ...c, file: null }, (k, v) => (k === "source" || k === "location" ? null : v)));
}

describe("loadConfig", () => {
  test("examples/circus.ini and examples/circus.toml load to the same config", async () => {
    const environ = { PATH: "/usr/bin:/bin", HOME: "/home/x" };
    const ini = await loadConfig(join(EXAMPLES, "circus.ini"), { environ });
    const toml = await loadConfig(join(EXAMPLES, "circus.toml"), { environ });
    expect(comparable(toml)).toEqual(comparable(ini));
    expect(ini.warnings).toEqual([]);
    expect(ini.watchers.map((w) => w.name)).toEqual(["ticker", "web"]);
    expect(ini.sockets[0]).toMatchObject({ name: "web", host: "127.0.0.1", port: 8080 });
    expect(ini.watchers[1]).toMatchObject({
      numprocesses: 3,
      use_sockets: true,
      cmd: "node examples/webapp.js --fd $(circus.sockets.web)",
    });
    expect(ini.circus.endpoint).toBe("tcp://127.0.0.1:5555");
    expect(ini.circus.pubsub_endpoint).toBe("tcp://127.0.0.1:5556");
  });

  test("file is the absolute path of the main config", async () => {
    const c = await loadConfig(join(EXAMPLES, "circus.ini"), { environ: {} });
    expect(c.file).toBe(join(EXAMPLES, "circus.ini"));
  });

  test("several problems are reported together, in file order, in one ConfigError", async () => {
    const text = [
      "[circus]",
      "debug = sometimes",
      "[watcher:web]",
      "numprocesses = three",
      "stop_signal = NOPE",
      "rlimit_bogus = 1",
      "[socket:s]",
      "family = AF_X",
      "[plugin:p]",
      "x = 1",
      "garbage line",
    ].join("\n");
    const problems = await problemsOf(text);
    expect(problems.map((p) => p.split(":").slice(0, 3).join(":"))).toEqual([
      "circus.ini:2: circus.debug",
      "circus.ini:3: watcher",
      "circus.ini:4: watcher",
      "circus.ini:5: watcher",
      "circus.ini:6: watcher",
      "circus.ini:8: socket",
      "circus.ini:9: plugin",
      "circus.ini:11: plugin",
    ]);
    expect(problems[1]).toContain("cmd is required");
  });

  test("ConfigError's message holds one formatted line per problem", async () => {
    const err = await loadText("[watcher:a]\nnumprocesses = x\n").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split("\n").length).toBe(2);
  });

  test("a missing file is a ConfigError that says so", async () => {
    const err = await loadConfig("/nonexistent/circus.ini").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("cannot read the config file");
  });

  test("unknown sections are ignored with a warning", async () => {
    expect(await warningsOf("[watchers:web]\ncmd = x\n")).toEqual([
      'watchers:web: unknown section, ignored; expected one of circus, watcher:, socket:, plugin:, env, env: (did you mean "watcher"?)',
    ]);
  });

  test("empty sections are skipped", async () => {
    const c = await loadText("[watcher:empty]\n[socket:none]\n[watcher:w]\ncmd = x\n");
    expect(c.watchers.map((w) => w.name)).toEqual(["w"]);
    expect(c.sockets).toEqual([]);
  });

  test("[DEFAULT] keys reach every section through the loader", async () => {
    const c = await loadText(
      "[DEFAULT]\ngraceful_timeout = 3\n[watcher:a]\ncmd = x\n[watcher:b]\ncmd = y\ngraceful_timeout = 1\n",
    );
    expect(c.watchers.map((w) => w.graceful_timeout)).toEqual([3, 1]);
  });
});

describe("loadConfig with TOML", () => {
  const toml = (text: string, environ: Record<string, string> = {}) => loadText(text, { name: "circus.toml", environ });

  test("native types, arrays, inline stream tables and hook arrays are understood", async () => {
    const c = await toml(
      [
        "[watcher.api]",
        'cmd = "node"',
        'args = ["server.js", "--port", "$(circus.env.PORT)"]',
        "numprocesses = 2",
        "graceful_timeout = 2.5",
        "stop_signal = 2",
        "rlimit_nofile = 1024",
        'stdout_stream = { class = "FileStream", filename = "x.log", max_bytes = 100 }',
        'hooks.before_start = ["./h.ts:check", true]',
        'hooks.after_start = "cmd:./ok.sh"',
        "[env]",
        "N = 1",
        '[env."api,web"]',
        'X = "y"',
      ].join("\n"),
      { PORT: "80" },
    );
    const w = c.watchers[0];
    expect(w?.args).toEqual(["server.js", "--port", "80"]);
    expect([w?.numprocesses, w?.graceful_timeout, w?.stop_signal]).toEqual([2, 2.5, 2]);
    expect(w?.rlimits).toEqual({ nofile: 1024 });
    expect(w?.stdout_stream).toEqual({ class: "FileStream", filename: "x.log", max_bytes: "100" });
    expect(w?.hooks.before_start?.ignoreErrors).toBe(true);
    expect(w?.hooks.after_start?.target).toMatchObject({ kind: "command", command: "./ok.sh" });
    expect(w?.env).toEqual({ N: "1", X: "y" });
  });

  test("a string where an integer is expected is a problem at the key's line", async () => {
    expect(await problemsOf('[watcher.web]\ncmd = "x"\n\nnumprocesses = "3"\n', { name: "circus.toml" })).toEqual([
      'circus.toml:4: watcher.web.numprocesses: "3" is a string, expected an integer (no quotes), like 3',
    ]);
  });

  test("wrong bool and float types are problems too", async () => {
    const problems = await problemsOf('[watcher.web]\ncmd = "x"\nshell = "yes"\ngraceful_timeout = true\n', {
      name: "circus.toml",
    });
    expect(problems).toEqual([
      'circus.toml:3: watcher.web.shell: "yes" is a string, expected true or false (no quotes)',
      "circus.toml:4: watcher.web.graceful_timeout: true is not a number, expected a number (no quotes), like 2.5",
    ]);
  });

  test("a string holding a $(circus.env.X) variable may stand for a number", async () => {
    const c = await toml('[watcher.web]\ncmd = "x"\nnumprocesses = "$(circus.env.N)"\n', { N: "4" });
    expect(c.watchers[0]?.numprocesses).toBe(4);
  });

  test("a fractional integer is refused", async () => {
    expect(await problemsOf('[watcher.web]\ncmd = "x"\nwarmup_delay = 1.5\n', { name: "circus.toml" })).toEqual([
      "circus.toml:3: watcher.web.warmup_delay: 1.5 is not an integer, expected a whole number like 3",
    ]);
  });

  test("a TOML main file honours include arrays", async () => {
    const c = await loadText('[circus]\ninclude = ["more.ini"]\n', {
      name: "circus.toml",
      files: { "more.ini": "[watcher:m]\ncmd = m\n" },
    });
    expect(c.watchers.map((w) => w.name)).toEqual(["m"]);
  });

  test("an umask written as a TOML octal integer is taken as is", async () => {
    expect((await toml('[circus]\numask = 0o027\n[watcher.w]\ncmd = "x"\n')).circus.umask).toBe(0o27);
  });
});
