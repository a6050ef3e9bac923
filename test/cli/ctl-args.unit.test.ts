// Pure parsing: global options, the cli spec → properties mapping, `set` value conversion.

import { describe, expect, test } from "bun:test";
import { defaultGlobals, parseCommandArgs, parseGlobals, UsageError } from "../../src/cli/ctl/args.ts";
import { findCommand } from "../../src/cli/ctl/commands.ts";
import { convertSetValue, SetValueError } from "../../src/cli/ctl/set-values.ts";

const parse = (word: string, ...tokens: string[]) => parseCommandArgs(findCommand(word)!, tokens, defaultGlobals());

describe("global options", () => {
  test("are read before the command, in --opt value and --opt=value forms", () => {
    const p = parseGlobals(["--endpoint=ipc:///tmp/c.sock", "--timeout", "12", "--json", "LIST", "web"]);
    expect(p.globals).toMatchObject({ endpoint: "ipc:///tmp/c.sock", timeout: 12, json: true });
    expect(p.command).toBe("list");
    expect(p.rest).toEqual(["web"]);
  });
  test("are also accepted after the command", () => {
    const g = defaultGlobals();
    const line = parseCommandArgs(findCommand("list")!, ["web", "--json", "--timeout", "3"], g);
    expect(line.properties).toEqual({ name: "web" });
    expect(g).toMatchObject({ json: true, timeout: 3 });
  });
  test("a value-taking option at the end is a usage error", () => {
    expect(() => parseGlobals(["--endpoint"])).toThrow(UsageError);
  });
  test("names of Object.prototype members are not options", () => {
    for (const name of ["--constructor", "--toString", "--__proto__", "--hasOwnProperty=1"]) {
      expect(() => parseGlobals([name, "list"])).toThrow(UsageError);
    }
  });
});

describe("positionals and flags from the spec", () => {
  test("an optional positional in the middle is filled only when the words allow (signal [<pid>] <signum>)", () => {
    expect(parse("signal", "web", "TERM").properties).toEqual({ name: "web", signum: 15 });
    expect(parse("signal", "web", "42", "9").properties).toEqual({ name: "web", pid: 42, signum: 9 });
  });
  test("too many words is a usage error naming them", () => {
    expect(() => parse("list", "web", "extra")).toThrow("too many arguments (extra)");
  });
  test("-- ends the options, so a word may start with a dash", () => {
    expect(parse("add", "web", "--", "--weird").properties).toEqual({ name: "web", cmd: "--weird" });
  });
  test("negative numbers are words, not options", () => {
    expect(() => parse("incr", "web", "-1")).not.toThrow(UsageError);
  });
  test("--help is noticed without checking the other arguments", () => {
    expect(parse("incr", "--help").help).toBe(true);
  });
});

describe("set value conversion (circusctl's rules)", () => {
  test("numbers, booleans, signals and strings by key", () => {
    expect(convertSetValue("warmup_delay", "0.5")).toBe(0.5);
    expect(convertSetValue("rlimit_nofile", "1024")).toBe(1024);
    expect(convertSetValue("stdout_stream.max_bytes", "100")).toBe(100);
    expect(convertSetValue("stdout_stream.filename", "/tmp/x")).toBe("/tmp/x");
    expect(convertSetValue("copy_env", "off")).toBe(false);
    expect(convertSetValue("stop_signal", "SIGINT")).toBe(2);
    expect(convertSetValue("hooks.after_start", "m.f")).toBe("m.f");
    expect(convertSetValue("uid", "1000")).toBe("1000");
  });
  test("env, unknown keys, bad hooks and bad numbers are refused with a reason", () => {
    expect(() => convertSetValue("env", "A=1")).toThrow(SetValueError);
    expect(() => convertSetValue("hooks", "before_start")).toThrow("is not hook:target");
    expect(() => convertSetValue("hooks.nope", "m.f")).toThrow('unknown hook "nope"');
    expect(() => convertSetValue("numprocesses", "2.5")).toThrow("is not an integer");
  });
  test("an odd number of key/value words is a usage error", () => {
    expect(() => parse("set", "web", "numprocesses")).toThrow("List of key/values is invalid");
  });
});
