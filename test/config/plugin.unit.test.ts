import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadText, problemsOf, warningsOf } from "./fixture.ts";

const W = "[watcher:w]\ncmd = x\n";

const USER_PLUGIN = `
import { CircusPlugin, kinds, option } from "circus";
const options = {
  greeting: option(kinds.text, { default: "hello", doc: "what to say" }),
  every: option(kinds.float, { default: 2, doc: "seconds" }),
};
export class Greeter extends CircusPlugin<typeof options> {
  static override options = options;
}
export const notAPlugin = 42;
`;

describe("[plugin:NAME] sections", () => {
  test("a built-in keeps its options as strings, resolved to what `circus plugin` runs", async () => {
    const c = await loadText(
      "[plugin:Flapper]\nuse = circus.plugins.flapping.Flapping\nmax_retry = 3\nwindow = $(circus.env.W)\n" + W,
      { environ: { W: "10" } },
    );
    const [p] = c.plugins;
    expect(p!.name).toBe("plugin:Flapper");
    expect(p!.use).toBe("circus.plugins.flapping.Flapping");
    expect(p!.target).toBe("circus.plugins.flapping.Flapping");
    expect(p!.options).toEqual({ max_retry: "3", window: "10" });
    expect(p!.socket).toBeNull();
    expect(c.warnings).toEqual([]);
  });

  test("its watcher has Circus's plugin defaults: priority 1, singleton, copy_env", async () => {
    const c = await loadText("[plugin:f]\nuse = flapping\n" + W, { environ: { HOME: "/h" } });
    const w = c.plugins[0]!.watcher;
    expect(w.name).toBe("plugin:f");
    expect([w.priority, w.singleton, w.copy_env, w.numprocesses]).toEqual([1, true, true, 1]);
    expect(w.env.HOME).toBe("/h");
  });

  test("watcher options in the section configure the plugin's watcher; a key both know goes to both", async () => {
    const c = await loadText(
      "[plugin:f]\nuse = flapping\npriority = 7\nstop_signal = INT\nmax_retry = 2\nstdout_stream.class = StdoutStream\n" +
        W,
    );
    const p = c.plugins[0]!;
    expect([p.watcher.priority, p.watcher.stop_signal, p.watcher.max_retry]).toEqual([7, 2, 2]);
    expect(p.watcher.stdout_stream).toEqual({ class: "StdoutStream" });
    expect(p.options).toEqual({ max_retry: "2" });
  });

  test("active = false: the plugin's watcher neither starts nor respawns (the plugin would exit at once)", async () => {
    const c = await loadText("[plugin:f]\nuse = flapping\nactive = false\n[plugin:g]\nuse = flapping\n" + W);
    expect(c.plugins.map((p) => [p.watcher.autostart, p.watcher.respawn])).toEqual([
      [false, false],
      [true, true],
    ]);
  });

  test("cmd and args are the daemon's in a plugin section: ignored with a warning", async () => {
    expect(await warningsOf("[plugin:f]\nuse = flapping\ncmd = /bin/false\n" + W)).toEqual([
      "plugin:f.cmd: is set by the daemon for a plugin's watcher (it runs `circus plugin`); ignored",
    ]);
  });

  test("a plugin without use is a problem", async () => {
    expect(await problemsOf("[plugin:p]\nloop_rate = 5\n" + W)).toEqual([
      "circus.ini:1: plugin:p.use: use is required, expected the plugin to run, like use = circus.plugins.flapping.Flapping",
    ]);
  });

  test("an unknown use is a problem at its line, listing the built-ins, with a near name", async () => {
    const [p] = await problemsOf("[plugin:p]\n\nuse = circus.plugins.flapping.Flaping\n" + W);
    expect(p).toStartWith(
      'circus.ini:3: plugin:p.use: unknown plugin "circus.plugins.flapping.Flaping" (did you mean "circus.plugins.flapping.Flapping"?), expected a built-in (circus.plugins.statsd.StatsdEmitter, statsd,',
    );
    expect(p).toContain("prometheus");
    expect(p).toEndWith("or a module like ./plugins/mine.ts:MyPlugin");
  });

  test("every Circus class name of the built-ins is accepted", async () => {
    const names = [
      "circus.plugins.statsd.StatsdEmitter",
      "circus.plugins.statsd.FullStats",
      "circus.plugins.flapping.Flapping",
      "circus.plugins.watchdog.WatchDog",
      "circus.plugins.http_observer.HttpObserver",
      "circus.plugins.redis_observer.RedisObserver",
      "circus.plugins.resource_watcher.ResourceWatcher",
      "circus.plugins.command_reloader.CommandReloader",
      "prometheus",
    ];
    const text = names
      .map(
        (use, i) =>
          `[plugin:p${i}]\nuse = ${use}\n${use.includes("Resource") ? "watcher = w\n" : ""}port = ${9000 + i}\n`,
      )
      .join("\n");
    const c = await loadText(text + W);
    expect(c.plugins.map((p) => p.use)).toEqual(names);
  });

  test("a bad option value is a problem at its line saying what is expected", async () => {
    expect(await problemsOf("[plugin:f]\nuse = flapping\nattempts = many\nwindow = -1\n" + W)).toEqual([
      'circus.ini:3: plugin:f.attempts: "many" is not an integer, expected a whole number like 3',
      "circus.ini:4: plugin:f.window: -1 is negative, expected 0 or more seconds",
    ]);
  });

  test("ResourceWatcher needs its watcher; service is the deprecated spelling; sizes and percents are checked", async () => {
    expect(await problemsOf("[plugin:r]\nuse = resource_watcher\n" + W)).toEqual([
      "circus.ini:1: plugin:r.watcher: watcher is required: the watcher to look after (`service` is Circus's deprecated name for it)",
    ]);
    expect(await problemsOf("[plugin:r]\nuse = resource_watcher\nservice = w\nmax_mem = lots\n" + W)).toEqual([
      'circus.ini:4: plugin:r.max_mem: "lots" is neither a percentage nor a size, expected a number like 90 (percent) or a size like 200M or 1.5G',
    ]);
    const c = await loadText("[plugin:r]\nuse = resource_watcher\nservice = w\nmax_mem = 200M\n" + W);
    expect(c.plugins[0]!.options).toEqual({ service: "w", max_mem: "200M" });
  });

  test("URLs, regexes and signals are checked", async () => {
    expect(
      await problemsOf(
        "[plugin:h]\nuse = http_observer\ncheck_url = ftp://x/\n[plugin:d]\nuse = watchdog\nmsg_regex = (\nwatchers_stop_signal = NOPE\n" +
          W,
      ),
    ).toEqual([
      'circus.ini:3: plugin:h.check_url: "ftp://x/": the scheme must be http or https, expected a URL like http://host:port/',
      expect.stringMatching(/^circus.ini:6: plugin:d.msg_regex: "\(" is not a valid regular expression/),
      expect.stringMatching(/^circus.ini:7: plugin:d.watchers_stop_signal: /),
    ]);
  });

  test("an unknown key of a built-in is a warning with a near name", async () => {
    expect(await warningsOf("[plugin:s]\nuse = statsd\nsample_rte = 0.5\n" + W)).toEqual([
      'plugin:s.sample_rte: not an option of statsd nor a watcher option, ignored; did you mean "sample_rate"?',
    ]);
  });

  test("keys named like Object.prototype members are a built-in's unknown keys; a user plugin gets them as own keys", async () => {
    const section = "toString = 1\n__proto__ = 2\nconstructor = 3\n";
    expect(await warningsOf(`[plugin:s]\nuse = statsd\n${section}${W}`)).toEqual(
      ["toString", "__proto__", "constructor"].map(
        (key) => `plugin:s.${key}: not an option of statsd nor a watcher option, ignored`,
      ),
    );
    const c = await loadText(`[plugin:s]\nuse = statsd\n${section}${W}`);
    expect(Object.keys(c.plugins[0]!.options)).toEqual([]);
    const user = await loadText(`[plugin:g]\nuse = ./greeter.ts:Greeter\n${section}${W}`, {
      files: { "greeter.ts": USER_PLUGIN },
    });
    const options = user.plugins[0]!.options;
    expect(Object.keys(options)).toEqual(["toString", "__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(options, "__proto__")?.value).toBe("2");
    expect(Object.getPrototypeOf(options)).toBe(Object.prototype);
  });

  test("a plugin priority must be an integer", async () => {
    const [p] = await problemsOf("[plugin:p]\nuse = flapping\npriority = high\n" + W);
    expect(p).toStartWith("circus.ini:3: plugin:p.priority:");
  });

  test("Prometheus and WatchDog get a socket the daemon binds: tcp and udp", async () => {
    const c = await loadText(
      "[plugin:Prom]\nuse = prometheus\nport = 9999\n[plugin:dog]\nuse = watchdog\nport = 0\n" + W,
    );
    const [prom, dog] = c.plugins;
    expect(prom!.socket).toMatchObject({ name: "plugin-prom", host: "127.0.0.1", port: 9999, type: "SOCK_STREAM" });
    expect(dog!.socket).toMatchObject({ name: "plugin-dog", host: "127.0.0.1", port: 0, type: "SOCK_DGRAM" });
  });

  test("a [socket:…] with the plugin socket's name is a problem", async () => {
    const [p] = await problemsOf("[socket:plugin-prom]\nport = 1\n[plugin:prom]\nuse = prometheus\n" + W);
    expect(p).toContain("plugin:prom: the plugin's socket is named plugin-prom");
  });

  test("TOML: [plugin.NAME] with native values", async () => {
    const c = await loadText(
      '[plugin.flap]\nuse = "flapping"\nattempts = 3\nwindow = 2.5\npriority = 4\n[watcher.w]\ncmd = "x"\n',
      { name: "circus.toml" },
    );
    expect(c.plugins[0]!.options).toEqual({ attempts: "3", window: "2.5" });
    expect(c.plugins[0]!.watcher.priority).toBe(4);
  });
});

describe("user plugin modules", () => {
  test("a module path is resolved against the config file's directory", async () => {
    const c = await loadText(
      "[plugin:g]\nuse = ./plugins/greeter.ts:Greeter\ngreeting = hi there\nanything = 1\n" + W,
      {
        files: { "plugins/greeter.ts": USER_PLUGIN },
      },
    );
    const p = c.plugins[0]!;
    expect(p.target).toEndWith(join("plugins", "greeter.ts") + ":Greeter");
    expect(p.target.startsWith("/")).toBe(true);
    // User plugins may read keys they did not declare: everything that is not a watcher option is passed.
    expect(p.options).toEqual({ greeting: "hi there", anything: "1" });
  });

  test("a JavaScript module works too, its default export when no name is given", async () => {
    const js = 'import { CircusPlugin } from "circus";\nexport default class Logger extends CircusPlugin {}\n';
    const c = await loadText("[plugin:l]\nuse = ./logger.js\n" + W, { files: { "logger.js": js } });
    expect(c.plugins[0]!.target).toEndWith("logger.js:default");
  });

  test("a user plugin's own options are checked", async () => {
    const [p] = await problemsOf("[plugin:g]\nuse = ./greeter.ts:Greeter\nevery = soon\n" + W, {
      files: { "greeter.ts": USER_PLUGIN },
    });
    expect(p).toBe('circus.ini:3: plugin:g.every: "soon" is not a number, expected a number like 2.5');
  });

  test("a missing file, a missing export and an export that is no plugin are problems at use's line", async () => {
    const files = { "greeter.ts": USER_PLUGIN };
    expect(await problemsOf("[plugin:g]\nuse = ./nope.ts:Greeter\n" + W, { files })).toEqual([
      expect.stringMatching(
        /^circus.ini:2: plugin:g.use: plugin module \S+\/nope.ts does not exist, expected a .ts or .js file$/,
      ),
    ]);
    expect(await problemsOf("[plugin:g]\nuse = ./greeter.ts:Greter\n" + W, { files })).toEqual([
      expect.stringMatching(
        /^circus.ini:2: plugin:g.use: \S+\/greeter.ts has no export "Greter", expected one of Greeter$/,
      ),
    ]);
    expect(await problemsOf("[plugin:g]\nuse = ./greeter.ts:notAPlugin\n" + W, { files })).toEqual([
      expect.stringMatching(/export "notAPlugin" is not a plugin class, expected a class extending CircusPlugin/),
    ]);
  });
});
