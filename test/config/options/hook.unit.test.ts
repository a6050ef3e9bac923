import { describe, expect, test } from "bun:test";
import {
  DEFAULT_IGNORED_HOOKS,
  HOOK_NAMES,
  HookError,
  isHookName,
  parseHook,
  parseHookTarget,
} from "../../../src/config/options/hook.ts";
import { newWatcherConfig } from "../../../src/config/options/watcher.ts";
import {
  applyWatcherOption,
  checkWatcherOption,
  checkWatcherOptions,
  ctlSetValue,
} from "../../../src/config/options/watcher-wire.ts";
import type { HookConfig } from "../../../src/config/types.ts";
import { loadText } from "../fixture.ts";

describe("hook targets", () => {
  test("a relative module path is resolved against the config directory", () => {
    expect(parseHookTarget("./hooks.ts:checkRedis", "/etc/circus")).toEqual({
      kind: "module",
      module: "/etc/circus/hooks.ts",
      exportName: "checkRedis",
      raw: "./hooks.ts:checkRedis",
    });
  });

  test("an absolute module path is kept", () => {
    expect(parseHookTarget("/opt/h.js:fn", "/etc")).toMatchObject({
      kind: "module",
      module: "/opt/h.js",
      exportName: "fn",
    });
  });

  test("a module without an export name uses its default export", () => {
    expect(parseHookTarget("../h.mjs", "/etc/circus")).toMatchObject({ module: "/etc/h.mjs", exportName: "default" });
  });

  test("cmd: targets are shell commands kept as written", () => {
    expect(parseHookTarget("cmd:./notify.sh --quiet", "/etc")).toEqual({
      kind: "command",
      command: "./notify.sh --quiet",
      raw: "cmd:./notify.sh --quiet",
    });
  });

  test("a Python dotted path is refused with both supported forms in the message", () => {
    const err = (() => {
      try {
        parseHookTarget("mymodule.hooks.check", "/etc");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HookError);
    expect((err as Error).message).toContain('"./hooks.ts:check"');
    expect((err as Error).message).toContain('"cmd:./check.sh"');
    expect(() => parseHookTarget("mymodule:check", "/etc")).toThrow("Python import path");
  });

  test("the flag after the first comma means ignore errors; default false", () => {
    expect(parseHook("./h.ts:f, true", "/d").ignoreErrors).toBe(true);
    expect(parseHook("./h.ts:f", "/d").ignoreErrors).toBe(false);
    expect(parseHook(["./h.ts:f", true], "/d").ignoreErrors).toBe(true);
    expect(parseHook(["./h.ts:f"], "/d").ignoreErrors).toBe(false);
  });

  test("a flag that is not a boolean is refused", () => {
    expect(() => parseHook("./h.ts:f, sometimes", "/d")).toThrow(HookError);
  });
});

describe("one grammar for files, set and add", () => {
  // [text, what it means] — null: refused everywhere; "python": kept (unavailable) from a file, refused by set/add.
  const CASES: [string, { target: string; ignoreErrors: boolean } | null | "python"][] = [
    ["./h.ts:check", { target: "./h.ts:check", ignoreErrors: false }],
    ["./h.ts:check, true", { target: "./h.ts:check", ignoreErrors: true }],
    ["./h.ts:check,no", { target: "./h.ts:check", ignoreErrors: false }],
    ["./h.ts:check, sometimes", null],
    ["./h.ts:check,true,extra", null],
    ["./h.ts:not-an-export", null],
    ["mymodule.hooks.check", "python"],
    ["mymodule.hooks.check, true", "python"],
    ["cmd:", null],
    ["cmd:notify.sh a,b", { target: "cmd:notify.sh a,b", ignoreErrors: false }],
    ["cmd:./notify.sh, true", { target: "cmd:./notify.sh", ignoreErrors: true }],
    ["cmd:./notify.sh --tag a,b,yes", { target: "cmd:./notify.sh --tag a,b", ignoreErrors: true }],
    ["cmd:echo 'a,1'", { target: "cmd:echo 'a,1'", ignoreErrors: false }],
    ['cmd:echo "x, true"', { target: 'cmd:echo "x, true"', ignoreErrors: false }],
    ["cmd:echo a\\,1", { target: "cmd:echo a\\,1", ignoreErrors: false }],
  ];

  for (const [text, meaning] of CASES) {
    const verdict =
      meaning === "python" ? "kept unavailable from a file and refused" : meaning ? "accepted alike" : "refused";
    test(`${JSON.stringify(text)} is ${verdict} by a config file and by set`, async () => {
      const dir = "/etc/circus";
      // The config file.
      let fromFile: HookConfig | null = null;
      let fileProblem = "";
      try {
        const c = await loadText(`[watcher:w]\ncmd = run\nhooks.before_start = ${text}\n`);
        fromFile = c.watchers[0]!.hooks.before_start ?? null;
      } catch (err) {
        fileProblem = (err as Error).message;
      }
      // `set hooks.before_start` (wire check, then apply) and `circus ctl set` feeding it.
      let fromSet: HookConfig | null = null;
      let setProblem = "";
      try {
        const word = ctlSetValue("hooks.before_start", text);
        const checked = checkWatcherOption("hooks.before_start", word, "set");
        const cfg = newWatcherConfig({ name: "w", cmd: "run" });
        applyWatcherOption(cfg, "hooks.before_start", checked, "set", dir);
        fromSet = cfg.hooks.before_start ?? null;
      } catch (err) {
        setProblem = (err as Error).message;
      }
      // `add` with the hooks object.
      let addProblem = "";
      try {
        checkWatcherOptions({ hooks: { before_start: text } }, "add");
      } catch (err) {
        addProblem = (err as Error).message;
      }
      if (meaning === "python") {
        expect(fileProblem).toBe("");
        expect(fromFile?.target).toMatchObject({ kind: "python", raw: "mymodule.hooks.check" });
        expect(setProblem).toContain("Python import path");
        expect(addProblem).toContain("Python import path");
        return;
      }
      if (meaning === null) {
        expect(fromFile).toBeNull();
        expect(fromSet).toBeNull();
        expect(fileProblem).toContain("watcher:w.hooks.before_start:");
        expect(setProblem).not.toBe("");
        expect(addProblem).not.toBe("");
        return;
      }
      expect(fileProblem).toBe("");
      expect(setProblem).toBe("");
      expect(addProblem).toBe("");
      expect(fromFile?.target.raw).toBe(meaning.target);
      expect(fromSet?.target.raw).toBe(meaning.target);
      expect(fromFile?.ignoreErrors).toBe(meaning.ignoreErrors);
      expect(fromSet?.ignoreErrors).toBe(meaning.ignoreErrors);
    });
  }

  test("a TOML pair and an add pair take the target as it is, commas included", async () => {
    const c = await loadText('[watcher.w]\ncmd = "run"\nhooks.after_stop = ["cmd:echo a,true", false]\n', {
      name: "circus.toml",
    });
    expect(c.watchers[0]!.hooks.after_stop).toMatchObject({
      target: { kind: "command", command: "echo a,true" },
      ignoreErrors: false,
    });
    expect(parseHook(["cmd:echo a,true", true], "/")).toMatchObject({
      target: { command: "echo a,true" },
      ignoreErrors: true,
    });
    expect(() => parseHook(["./h.ts:f", "perhaps"], "/")).toThrow("ignore-errors flag");
  });

  test("circus ctl set hooks reads hook:spec items; a spec keeps its own colons and commas", () => {
    expect(ctlSetValue("hooks", "before_start:./h.ts:check,true,after_stop:cmd:./notify.sh a,b")).toEqual({
      before_start: "./h.ts:check,true",
      after_stop: "cmd:./notify.sh a,b",
    });
    expect(ctlSetValue("hooks", "")).toEqual({});
    expect(() => ctlSetValue("hooks", "before_start")).toThrow("is not hook:target");
    expect(() => ctlSetValue("hooks", "before_launch:./h.ts:f")).toThrow('unknown hook "before_launch"');
  });

  test("the hook names and the default ignore set are Circus's", () => {
    expect(HOOK_NAMES).toEqual([
      "before_start",
      "after_start",
      "before_stop",
      "after_stop",
      "before_spawn",
      "after_spawn",
      "before_signal",
      "after_signal",
      "before_reap",
      "after_reap",
      "extended_stats",
    ]);
    expect([...DEFAULT_IGNORED_HOOKS].sort()).toEqual([
      "after_signal",
      "after_stop",
      "before_signal",
      "before_stop",
      "extended_stats",
    ]);
    expect(isHookName("constructor")).toBe(false);
  });
});
