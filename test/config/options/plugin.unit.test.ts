// How a plugin reads its own options with a table of the same spec the sections use: config values,
// Circus's --config text and the daemon's JSON handoff, and the kinds plugins need (Python regexes,
// URLs, percentages or sizes, optional values, fixed words).

import { describe, expect, test } from "bun:test";
import {
  amount,
  bool,
  float,
  int,
  oneOf,
  optional,
  optionalText,
  PythonRegExp,
  regex,
  signal,
  text,
  url,
} from "../../../src/config/options/kinds.ts";
import { readPluginOptions } from "../../../src/config/options/plugin.ts";
import { option, OptionError, plainContext } from "../../../src/config/options/spec.ts";
import { decodeOptions, formatConfigText, parseConfigText } from "../../../src/config/plugin-handoff.ts";
import { ScalarError } from "../../../src/config/scalars.ts";

const FLAPPING_LIKE = {
  attempts: option(int, { default: 2, range: { min: 1, text: "1 or more" }, doc: "restarts in the window" }),
  window: option(float, { default: 1, doc: "seconds" }),
  label: option(optionalText, { default: null, doc: "a name" }),
};

const SPEC = {
  port: option(int, { default: 8125, range: { min: 1, text: "a port from 1" }, doc: "UDP port" }),
  rate: option(float, { default: 1.0, doc: "rate | fraction" }),
  on: option(bool, { default: true, doc: "switch" }),
  who: option(text, { default: "", required: true, aliases: ["service"], doc: "the watcher" }),
  sig: option(optional(signal), { default: null, doc: "signal" }),
  mem: option(amount, { default: { kind: "percent", value: 90 }, doc: "memory" }),
  re: option(regex, { default: new PythonRegExp("^(?P<pid>\\d+);"), doc: "message" }),
  where: option(url(["redis", "unix"]), { default: "redis://localhost:6379/0", doc: "where" }),
  level: option(oneOf(["info", "debug"], "level"), { default: "info", doc: "level" }),
};

test("values are parsed by kind, absent ones defaulted, and the result is typed by the table", () => {
  const r = readPluginOptions(FLAPPING_LIKE, { attempts: "5", window: "2.5", use: "x.Y", priority: "3" });
  const attempts: number = r.values.attempts;
  expect(attempts).toBe(5);
  expect(r.values).toEqual({ attempts: 5, window: 2.5, label: null });
  expect(r.problems).toEqual([]);
  expect(r.unknown).toEqual([]);
});

test("bad values, out-of-range values and unknown keys are reported, with a near key", () => {
  const r = readPluginOptions(FLAPPING_LIKE, { attempts: "0", window: "soon", windw: "3", numprocesses: "1" });
  expect(r.problems).toEqual([
    { key: "attempts", message: "0 is out of range, expected 1 or more" },
    { key: "window", message: '"soon" is not a number, expected a number like 2.5' },
  ]);
  expect(r.values.attempts).toBe(2);
  // Watcher options configure the plugin's own watcher, so they are not unknown.
  expect(r.unknown).toEqual([{ key: "windw", near: "window" }]);
});

test("prototype names are neither options nor defaults", () => {
  const r = readPluginOptions(FLAPPING_LIKE, { constructor: "1", toString: "2" });
  expect(r.unknown.map((u) => u.key)).toEqual(["constructor", "toString"]);
  expect(r.values).toEqual({ attempts: 2, window: 1, label: null });
});

describe("readPluginOptions with every kind plugins use", () => {
  test("given options are parsed to their kinds' values; absent ones take their defaults", () => {
    const { values, problems, unknown } = readPluginOptions(SPEC, {
      who: "web",
      port: "9000",
      on: "no",
      sig: "HUP",
      mem: "1.5G",
      level: "DEBUG",
      extra: "1",
    });
    expect(problems).toEqual([]);
    expect(unknown).toEqual([{ key: "extra", near: null }]);
    expect(values.port).toBe(9000);
    expect(values.rate).toBe(1);
    expect(values.on).toBe(false);
    expect(values.who).toBe("web");
    expect(values.sig).toBe(1);
    expect(values.mem).toEqual({ kind: "bytes", value: 1.5 * 1024 ** 3 });
    expect(values.level).toBe("debug");
    expect(values.where).toBe("redis://localhost:6379/0");
    expect(values.re.exec("123;x")?.groups?.pid).toBe("123");
    expect(readPluginOptions(SPEC, { who: "a" }).values.sig).toBeNull();
  });

  test("a missing required option, bad values and near-miss keys are reported in table order", () => {
    const { problems, unknown } = readPluginOptions(SPEC, { port: "0", rate: "fast", level: "loud", portt: "1" });
    expect(problems).toEqual([
      { key: "port", message: "0 is out of range, expected a port from 1" },
      { key: "rate", message: '"fast" is not a number, expected a number like 2.5' },
      { key: "who", message: "who is required: the watcher" },
      { key: "level", message: '"loud" is not a level, expected one of info, debug' },
    ]);
    expect(unknown).toEqual([{ key: "portt", near: "port" }]);
  });

  test("an alias fills its option; the option's own name wins over it", () => {
    expect(readPluginOptions(SPEC, { service: "a" }).values.who).toBe("a");
    expect(readPluginOptions(SPEC, { service: "a", who: "b" }).values.who).toBe("b");
    expect(readPluginOptions(SPEC, { who: "b", service: "a" }).values.who).toBe("b");
  });

  test("watcher keys (they configure the plugin's watcher) and the section's common keys are not unknown", () => {
    const given = { who: "a", priority: "x", "stdout_stream.class": "StdoutStream", rlimit_nofile: "10", use: "u" };
    expect(readPluginOptions(SPEC, given).unknown).toEqual([]);
    expect(readPluginOptions(SPEC, { who: "a", "flapping.attempts": "2" }).unknown).toEqual([
      { key: "flapping.attempts", near: null },
    ]);
  });

  test("a percentage or a size; URLs by scheme", () => {
    expect(readPluginOptions(SPEC, { who: "a", mem: "75.5" }).values.mem).toEqual({ kind: "percent", value: 75.5 });
    expect(readPluginOptions(SPEC, { who: "a", mem: "200Mi" }).values.mem).toEqual({
      kind: "bytes",
      value: 200 * 1024 ** 2,
    });
    expect(readPluginOptions(SPEC, { who: "a", mem: "lots" }).problems[0]!.message).toBe(
      '"lots" is neither a percentage nor a size, expected a number like 90 (percent) or a size like 200M or 1.5G',
    );
    expect(readPluginOptions(SPEC, { who: "a", where: "http://x/" }).problems[0]!.message).toBe(
      '"http://x/": the scheme must be redis or unix, expected a URL like redis://host:port/',
    );
    expect(readPluginOptions(SPEC, { who: "a", where: "nowhere" }).problems[0]!.message).toBe(
      '"nowhere" is not a URL, expected a URL like redis://host:port/',
    );
  });
});

describe("the kinds plugins need", () => {
  const ctx = plainContext();

  test("Python named groups and backreferences become JS ones, matched at the start like re.match", () => {
    const re = regex.fromText("(?P<pid>\\d+)-(?P=pid)", ctx);
    expect(re.exec("12-12x")?.groups?.pid).toBe("12");
    expect(re.test("x12-12")).toBe(false);
    // It prints, and shows in the docs, as written; derived regexes (split) are plain ones.
    expect(regex.render(re)).toBe("(?P<pid>\\d+)-(?P=pid)");
    expect(regex.toText?.(re)).toBe("(?P<pid>\\d+)-(?P=pid)");
    expect(",a,b".split(new PythonRegExp(","))).toEqual(["", "a,b"]);
    expect(() => regex.fromText("(", ctx)).toThrow(ScalarError);
    expect(() => regex.fromWire("(", "msg_regex")).toThrow(
      new OptionError("'msg_regex' isn't a valid regular expression"),
    );
  });

  test("amounts: TOML numbers are percentages, sizes print in their largest whole unit", () => {
    expect(amount.fromToml(90, ctx)).toEqual({ kind: "percent", value: 90 });
    expect(amount.fromWire("512K", "max_mem")).toEqual({ kind: "bytes", value: 512 * 1024 });
    expect(amount.toText?.({ kind: "bytes", value: 200 * 1024 ** 2 })).toBe("200M");
    expect(amount.toText?.({ kind: "bytes", value: 1000 })).toBe("1000B");
    expect(amount.toText?.({ kind: "percent", value: 75.5 })).toBe("75.5");
    expect(() => amount.fromWire(true, "max_mem")).toThrow(OptionError);
  });

  test("optional(kind) adds null on the wire and reads text by the kind", () => {
    const maybe = optional(float);
    expect(maybe.fromWire(null, "k")).toBeNull();
    expect(maybe.fromText("2.5", ctx)).toBe(2.5);
    expect(() => maybe.fromWire("x", "k")).toThrow("'k' isn't a number");
    expect(optional(amount).toText?.(null)).toBe("");
  });

  test("oneOf keeps the list's spelling whatever the case given", () => {
    expect(oneOf(["info", "debug"], "level").fromText(" DeBuG ", ctx)).toBe("debug");
    expect(oneOf(["AF_INET", "AF_INET6"], "family").fromText("af_inet6", ctx)).toBe("AF_INET6");
  });
});

describe("how a plugin process receives its options", () => {
  test("Circus's --config: split on ::: then on the first colon, trimmed; items without a colon skipped", () => {
    expect(parseConfigText("host:127.0.0.1:::url:redis://h:1/0::: name : my app :::junk")).toEqual({
      host: "127.0.0.1",
      url: "redis://h:1/0",
      name: "my app",
    });
  });

  test("formatConfigText sorts keys as Circus serialises them", () => {
    expect(formatConfigText({ b: "2", a: "1" })).toBe("a:1:::b:2");
  });

  test("the daemon's JSON: strings stay whole, other JSON values arrive as their text, anything else is refused", () => {
    expect(decodeOptions('{"path":"/m etrics","port":9180,"tags":["a"]}')).toEqual({
      path: "/m etrics",
      port: "9180",
      tags: '["a"]',
    });
    expect(decodeOptions(undefined)).toEqual({});
    expect(() => decodeOptions("[1]")).toThrow("CIRCUS_PLUGIN_OPTIONS is not a JSON object");
  });

  test("each arrives as strings that readPluginOptions parses by the table", () => {
    const r = readPluginOptions(SPEC, { ...decodeOptions('{"who":"w","port":9}'), ...parseConfigText("on:off") });
    expect([r.values.who, r.values.port, r.values.on]).toEqual(["w", 9, false]);
  });
});
