import { describe, expect, test } from "bun:test";
import { HookError, parseHook, parseHookTarget } from "../../../src/config/options/hook.ts";

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
    expect((err as Error).message).toContain('"./hooks.ts:checkRedis"');
    expect((err as Error).message).toContain('"cmd:./notify.sh"');
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
