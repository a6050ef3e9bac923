// The watcher table itself: Circus's `options` order, defaults, and keys named like JavaScript's
// Object.prototype members, which lookups must never mistake for known options.

import { describe, expect, test } from "bun:test";
import {
  FILE_KEYS,
  LISTED_OPTIONS,
  newWatcherConfig,
  renderWatcherOption,
  WATCHER_DEFAULTS,
  WATCHER_OPTIONS,
  watcherOption,
} from "../../../src/config/options/watcher.ts";
import {
  CtlValueError,
  checkWatcherOption,
  checkWatcherOptions,
  ctlSetValue,
  listWatcherOptions,
} from "../../../src/config/options/watcher-wire.ts";
import { loadText, problemsOf, warningsOf } from "../fixture.ts";

// circus/watcher.py's optnames, in its order (§2.3).
const CIRCUS_OPTNAMES = [
  "numprocesses",
  "warmup_delay",
  "working_dir",
  "uid",
  "gid",
  "send_hup",
  "stop_signal",
  "stop_children",
  "shell",
  "shell_args",
  "env",
  "max_retry",
  "cmd",
  "args",
  "respawn",
  "graceful_timeout",
  "executable",
  "use_sockets",
  "priority",
  "copy_env",
  "singleton",
  "stdout_stream_conf",
  "on_demand",
  "stderr_stream_conf",
  "max_age",
  "max_age_variance",
  "close_child_stdin",
  "close_child_stdout",
  "close_child_stderr",
];

describe("the watcher table", () => {
  test("options lists Circus's names in Circus's order, each position used once", () => {
    expect(LISTED_OPTIONS).toEqual(CIRCUS_OPTNAMES);
    const positions = Object.values(WATCHER_OPTIONS)
      .map((s) => s.listed)
      .filter((p) => p !== undefined)
      .sort((a, b) => a - b);
    expect(positions).toEqual(CIRCUS_OPTNAMES.map((_, i) => i));
  });

  test("every key has a doc line and a default its kind accepts over the wire", () => {
    for (const [key, spec] of Object.entries(WATCHER_OPTIONS)) {
      expect(spec.doc.length).toBeGreaterThan(10);
      // cmd's empty default stands for "missing": the loader and the wire require one.
      if (spec.set !== "no" && spec.default !== null && key !== "cmd") {
        expect(() => spec.kind.fromWire(spec.default as never, key)).not.toThrow();
      }
    }
  });

  test("every listed key that is not a field says where its value comes from", () => {
    for (const key of LISTED_OPTIONS) {
      const spec = watcherOption(key)!;
      if (!spec.field) expect(typeof spec.get).toBe("function");
    }
  });

  test("defaults are Circus 0.19's", () => {
    expect(WATCHER_DEFAULTS).toMatchObject({
      numprocesses: 1,
      graceful_timeout: 30,
      stop_signal: 15,
      max_retry: 5,
      max_age_variance: 30,
      close_child_stdin: true,
      respawn: true,
      autostart: true,
    });
  });

  test("floats render as Python floats, environments as K=V pairs, the rest as Python's str()", () => {
    expect(renderWatcherOption("graceful_timeout", 30)).toBe("30.0");
    expect(renderWatcherOption("warmup_delay", 0)).toBe("0");
    expect(renderWatcherOption("env", { B: "2", A: "1" })).toBe("A=1,B=2");
    expect(renderWatcherOption("send_hup", true)).toBe("True");
    expect(renderWatcherOption("uid", null)).toBe("");
    expect(renderWatcherOption("flapping.attempts", "2")).toBe("2");
  });
});

describe("keys named like Object.prototype members", () => {
  const PROTO_NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"];

  test("are not options of any table", () => {
    for (const key of PROTO_NAMES) {
      expect(watcherOption(key)).toBeUndefined();
      expect(FILE_KEYS).not.toContain(key);
    }
  });

  test("in a watcher section they are kept as free options, visible in options", async () => {
    const c = await loadText(
      "[watcher:w]\ncmd = run\ntoString = 1\nconstructor = 2\n__proto__ = 3\nhasOwnProperty = 4\n",
    );
    const w = c.watchers[0]!;
    expect(Object.keys(w.free).sort()).toEqual(["__name__", "__proto__", "constructor", "hasOwnProperty", "toString"]);
    expect(Object.getOwnPropertyDescriptor(w.free, "__proto__")?.value).toBe("3");
    const own = (o: object, k: string) => (Object.hasOwn(o, k) ? (o as Record<string, unknown>)[k] : undefined);
    expect(own(w.free, "toString")).toBe("1");
    const listed = listWatcherOptions(w);
    expect(own(listed, "constructor")).toBe("2");
    expect(own(JSON.parse(JSON.stringify(listed)), "__proto__")).toBe("3");
  });

  test("in a watcher section each is a warning saying it is an unknown option, never silently kept", async () => {
    const warnings = await warningsOf(
      "[watcher:w]\ncmd = run\ntoString = 1\nconstructor = 2\n__proto__ = 3\nhasOwnProperty = 4\nvalueOf = 5\n",
    );
    expect(warnings).toEqual(
      ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"].map(
        (key) => `watcher:w.${key}: unknown option kept as a free option (it is no watcher option)`,
      ),
    );
  });

  test("set refuses them unless the watcher has such a free option; add and ctl always refuse them", () => {
    for (const key of PROTO_NAMES) {
      expect(() => checkWatcherOption(key, "1", "set", { free: {}, singleton: false })).toThrow(`unknown key '${key}'`);
      expect(() => checkWatcherOption(key, "1", "add")).toThrow(`unknown key '${key}'`);
      expect(() => ctlSetValue(key.toLowerCase(), "1")).toThrow(CtlValueError);
    }
    const free = Object.fromEntries([["constructor", "2"]]);
    expect(checkWatcherOptions({ constructor: "5" }, "set", { free, singleton: false })).toEqual({
      constructor: "5",
    });
  });

  test("prototype names after a group prefix are unknown hooks and resource limits", async () => {
    const problems = await problemsOf("[watcher:w]\ncmd = run\nhooks.constructor = ./h.ts:f\nrlimit_toString = 1\n");
    expect(problems[0]).toContain('unknown hook "constructor"');
    expect(problems[1]).toContain('unknown resource limit "tostring"');
    expect(() => checkWatcherOption("hooks.toString", "./h.ts:f", "set")).toThrow("unknown hook 'toString'");
    expect(() => checkWatcherOption("rlimit_constructor", 1, "set")).toThrow("isn't a valid rlimit setting");
  });

  test("[circus] and [socket:*] warn about them as unknown keys", async () => {
    const c = await loadText("[circus]\nconstructor = x\n[socket:s]\ntoString = 1\n[watcher:w]\ncmd = run\n");
    expect(c.warnings.map((w) => w.message)).toEqual([
      "circus.constructor: unknown [circus] option, ignored",
      "socket:s.toString: unknown socket option, ignored",
    ]);
  });
});

describe("add builds a watcher from the table", () => {
  test("keys set ignores are applied by add; a singleton may not start with more than one process", () => {
    const checked = checkWatcherOptions({ respawn: false, rlimit_nofile: 64, singleton: true }, "add");
    expect(checked).toEqual({ respawn: false, rlimit_nofile: 64, singleton: true });
    expect(() => checkWatcherOptions({ singleton: true, numprocesses: 2 }, "add")).toThrow(
      "Cannot have 2 processes with a singleton watcher",
    );
    const cfg = newWatcherConfig({ name: "w", cmd: "x" });
    expect(cfg.respawn).toBe(true);
  });
});
