// The watcher table over the wire: the check `set`/`add` run on every key (Circus's errno-3 words),
// rendering as circusctl prints, and circusctl's word conversion.

import { describe, expect, test } from "bun:test";
import { OptionError, type WireValue } from "../../../src/config/options/spec.ts";
import { renderWatcherOption } from "../../../src/config/options/watcher.ts";
import { checkWatcherOption, ctlSetValue, type WireMode } from "../../../src/config/options/watcher-wire.ts";
import { formatOptionLines } from "../../../src/protocol/commands/options.ts";

function validateOption(key: string, value: WireValue, mode: WireMode, free: ReadonlySet<string> = new Set()) {
  const freeOptions: Record<string, string> = {};
  for (const k of free) freeOptions[k] = "";
  return checkWatcherOption(key, value, mode, { free: freeOptions, singleton: false });
}
const formatOptionValue = renderWatcherOption;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    expect((err as OptionError).errno).toBe(3);
    return (err as OptionError).message;
  }
  throw new Error("did not throw");
}

describe("validateOption", () => {
  test("accepts each key of the §2.3 table with its JSON type", () => {
    const ok: [string, unknown][] = [
      ["numprocesses", 3],
      ["warmup_delay", 0.5],
      ["working_dir", "/tmp"],
      ["uid", "nobody"],
      ["gid", 0],
      ["send_hup", true],
      ["stop_signal", 15],
      ["stop_children", false],
      ["shell", true],
      ["env", { A: "1" }],
      ["cmd", "sleep 1"],
      ["args", ["1"]],
      ["graceful_timeout", 2],
      ["max_age", 10],
      ["max_age_variance", 0],
      ["copy_env", true],
      ["retry_in", 1],
      ["max_retry", -1],
      ["respawn", false],
      ["singleton", true],
      ["close_child_stdin", true],
      ["rlimit_nofile", 1024],
      ["rlimit_core", null],
      ["stdout_stream.filename", "x"],
      ["hooks.before_start", "cmd:true"],
    ];
    for (const [k, v] of ok) expect(() => validateOption(k, v as never, "set")).not.toThrow();
  });

  test("stop_signal names are turned into numbers", () => {
    expect(validateOption("stop_signal", "SIGINT", "set")).toBe(2);
    expect(validateOption("stop_signal", "hup", "set")).toBe(1);
  });

  test("type mismatches are errno 3 naming the key in Circus's words", () => {
    expect(reason(() => validateOption("numprocesses", "abc", "set"))).toBe("'numprocesses' isn't an integer");
    expect(reason(() => validateOption("numprocesses", 1.5, "set"))).toBe("'numprocesses' isn't an integer");
    expect(reason(() => validateOption("warmup_delay", "x", "set"))).toBe("'warmup_delay' isn't a number");
    expect(reason(() => validateOption("uid", [], "set"))).toBe("'uid' isn't an integer or string");
    expect(reason(() => validateOption("shell", "yes", "set"))).toBe("'shell' isn't a valid boolean");
    expect(reason(() => validateOption("env", "A=1", "set"))).toBe("'env' isn't a valid object");
    expect(reason(() => validateOption("env", { A: 1 }, "set"))).toBe("'A' isn't a string");
    expect(reason(() => validateOption("stop_signal", "NOPE", "set"))).toContain("'stop_signal'");
  });

  test("a uid or gid past 4294967294 is refused, as a number or as a string of digits", () => {
    for (const key of ["uid", "gid"]) {
      for (const mode of ["set", "add"] as const) {
        expect(reason(() => validateOption(key, 4294967296, mode))).toContain("out of range");
        expect(reason(() => validateOption(key, "4294967296", mode))).toContain("out of range");
      }
      expect(validateOption(key, 4294967294, "set")).toBe(4294967294);
      expect(validateOption(key, "nobody", "set")).toBe("nobody");
    }
  });

  test("negative counts and delays are refused", () => {
    expect(reason(() => validateOption("numprocesses", -1, "set"))).toContain("'numprocesses' must be >= 0");
    expect(reason(() => validateOption("graceful_timeout", -2, "set"))).toContain("'graceful_timeout'");
  });

  test("unknown keys are refused, free options of the watcher are stored as they are", () => {
    expect(reason(() => validateOption("priority", 3, "set"))).toBe("unknown key 'priority'");
    expect(reason(() => validateOption("autostart", true, "add"))).toBe("unknown key 'autostart'");
    expect(validateOption("flapping.attempts", "2", "set", new Set(["flapping.attempts"]))).toBe("2");
  });

  test("hooks must name known hooks", () => {
    expect(reason(() => validateOption("hooks", { nope: "x" }, "set"))).toBe("unknown hook 'nope'");
    expect(reason(() => validateOption("hooks.nope", "x", "set"))).toBe("unknown hook 'nope'");
    expect(() => validateOption("hooks", { before_start: ["./h.ts:f", false] }, "add")).not.toThrow();
  });
});

describe("option formatting", () => {
  test("env renders as sorted K=V pairs and null as empty", () => {
    expect(formatOptionValue("env", { B: "2", A: "1" })).toBe("A=1,B=2");
    expect(formatOptionValue("uid", null)).toBe("");
  });

  test("option lines are `key: value`, sorted by key", () => {
    expect(formatOptionLines({ numprocesses: 2, cmd: "sleep" })).toBe("cmd: sleep\nnumprocesses: 2");
  });
});

describe("console rendering of option values, as circusctl prints Python values", () => {
  test("float options keep a decimal point, dicts and lists print as Python reprs", async () => {
    expect(formatOptionValue("graceful_timeout", 30)).toBe("30.0");
    expect(formatOptionValue("graceful_timeout", 2.5)).toBe("2.5");
    expect(formatOptionValue("numprocesses", 3)).toBe("3");
    expect(formatOptionValue("stdout_stream_conf", { class: "FileStream", max_bytes: 10, x: null })).toBe(
      "{'class': 'FileStream', 'max_bytes': 10, 'x': None}",
    );
    expect(formatOptionValue("args", ["a", "it's"])).toBe(`['a', "it's"]`);
    expect(formatOptionValue("send_hup", false)).toBe("False");
  });
});

describe("circus ctl set words", () => {
  test("keys circusctl cannot send are unknown keys with a hint; the wire still takes them", () => {
    expect(() => ctlSetValue("stdout_stream", "FileStream")).toThrow("unknown key 'stdout_stream'");
    expect(() => ctlSetValue("numprocess", "2")).toThrow('did you mean "numprocesses"?');
    expect(checkWatcherOption("stdout_stream", { class: "QueueStream" }, "add")).toEqual({ class: "QueueStream" });
  });

  test("rlimits: empty or unlimited is no limit, as in a config file", () => {
    expect(ctlSetValue("rlimit_core", "")).toBeNull();
    expect(ctlSetValue("rlimit_core", "unlimited")).toBeNull();
    expect(() => ctlSetValue("rlimit_core", "lots")).toThrow("set rlimit_core:");
  });
});
