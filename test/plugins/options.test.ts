// Plugin option specs: parsing config text and Circus's --config format, defaults, problems, the
// README table, and the value types (sizes, Python regexes, URLs, signals).

import { describe, expect, test } from "bun:test";
import {
  defineOptions,
  formatConfigText,
  optionsTable,
  parseConfigText,
  parseOptions,
  pythonRegex,
} from "../../src/plugins/options.ts";
import { human2bytes } from "../../src/stats/format.ts";

const SPEC = defineOptions({
  port: { type: "int", default: 8125, min: 1, doc: "UDP port" },
  rate: { type: "float", default: 1.0, doc: "rate | fraction" },
  on: { type: "bool", default: true, doc: "switch" },
  who: { type: "string", default: null, required: true, aliases: ["service"], doc: "the watcher" },
  sig: { type: "signal", default: null, doc: "signal" },
  mem: { type: "amount", default: "90", doc: "memory" },
  re: { type: "regex", default: "^(?P<pid>\\d+);", doc: "message" },
  url: { type: "url", default: "redis://localhost:6379/0", schemes: ["redis", "unix"], doc: "where" },
  level: { type: "string", default: "info", choices: ["info", "debug"], doc: "level" },
});

describe("parseOptions", () => {
  test("absent options take their defaults; given ones are parsed to their types", () => {
    const { values, problems, unknown } = parseOptions(SPEC, {
      who: "web",
      port: "9000",
      on: "no",
      sig: "HUP",
      mem: "1.5G",
      level: "DEBUG",
      extra: "1",
    });
    expect(problems).toEqual([]);
    expect(unknown).toEqual([{ key: "extra", suggestion: null }]);
    expect(values.port).toBe(9000);
    expect(values.rate).toBe(1);
    expect(values.on).toBe(false);
    expect(values.who).toBe("web");
    expect(values.sig).toBe(1);
    expect(values.mem).toEqual({ kind: "bytes", value: 1.5 * 1024 ** 3 });
    expect(values.level).toBe("debug");
    expect(values.url).toBe("redis://localhost:6379/0");
    expect(values.re.exec("123;x")?.groups?.pid).toBe("123");
  });

  test("a missing required option, bad values and near-miss keys are reported", () => {
    const { problems, unknown } = parseOptions(SPEC, { port: "0", rate: "fast", level: "loud", portt: "1" });
    expect(problems).toEqual([
      { key: "port", message: "0 is too small, expected a whole number of at least 1" },
      { key: "rate", message: '"fast" is not a number, expected a number like 2.5' },
      { key: "who", message: "who is required: the watcher" },
      { key: "level", message: '"loud" is not allowed, expected one of info, debug' },
    ]);
    expect(unknown).toEqual([{ key: "portt", suggestion: "port" }]);
  });

  test("an alias fills its option; the option's own name wins over it", () => {
    expect(parseOptions(SPEC, { service: "a" }).values.who).toBe("a");
    expect(parseOptions(SPEC, { service: "a", who: "b" }).values.who).toBe("b");
  });

  test("keys to ignore (watcher options) are neither parsed nor unknown", () => {
    expect(parseOptions(SPEC, { who: "a", priority: "x" }, new Set(["priority"])).unknown).toEqual([]);
  });

  test("a percentage or a size; URLs by scheme", () => {
    expect(parseOptions(SPEC, { who: "a", mem: "75.5" }).values.mem).toEqual({ kind: "percent", value: 75.5 });
    expect(parseOptions(SPEC, { who: "a", mem: "200Mi" }).values.mem).toEqual({
      kind: "bytes",
      value: 200 * 1024 ** 2,
    });
    expect(parseOptions(SPEC, { who: "a", url: "http://x/" }).problems[0]!.message).toBe(
      '"http://x/": the scheme must be redis or unix, expected a URL like redis://host:port/',
    );
  });
});

describe("Circus's --config text", () => {
  test("split on ::: then on the first colon, trimmed; items without a colon skipped", () => {
    expect(parseConfigText("host:127.0.0.1:::url:redis://h:1/0::: name : my app :::junk")).toEqual({
      host: "127.0.0.1",
      url: "redis://h:1/0",
      name: "my app",
    });
  });

  test("formatConfigText sorts keys as Circus serialises them", () => {
    expect(formatConfigText({ b: "2", a: "1" })).toBe("a:1:::b:2");
  });
});

describe("value types", () => {
  test("Python named groups and backreferences become JS ones, matched at the start like re.match", () => {
    const re = pythonRegex("(?P<pid>\\d+)-(?P=pid)");
    expect(re.exec("12-12x")?.groups?.pid).toBe("12");
    expect(re.test("x12-12")).toBe(false);
  });

  test("human2bytes reads Circus's units, k and KiB spellings; rejects others", () => {
    expect(human2bytes("512B")).toBe(512);
    expect(human2bytes("3.45M")).toBe(Math.trunc(3.45 * 1024 ** 2));
    expect(human2bytes("10k")).toBe(10240);
    expect(human2bytes("2KiB")).toBe(2048);
    expect(human2bytes("1 mebi")).toBe(1024 ** 2);
    expect(() => human2bytes("12 parsecs")).toThrow('"12 parsecs" has an unknown unit "parsecs"');
    expect(() => human2bytes("M")).toThrow("is not a size");
  });

  test("the README table shows every option with its type, default and doc", () => {
    const table = optionsTable(SPEC);
    expect(table.split("\n")[0]).toBe("| option | type | default | meaning |");
    expect(table).toContain("| `port` | integer | `8125` | UDP port |");
    expect(table).toContain("| `rate` | number | `1` | rate \\| fraction |");
    expect(table).toContain("| `who` / `service` | text | required | the watcher |");
    expect(table).toContain("| `sig` | signal | none | signal |");
  });
});
