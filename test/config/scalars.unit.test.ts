import { describe, expect, test } from "bun:test";
import {
  human2bytes,
  parseBool,
  parseFloatOption,
  parseIntOption,
  parseOctal,
  parseSignal,
  ScalarError,
} from "../../src/config/scalars.ts";

describe("parseBool", () => {
  test("true yes on 1 and false no off 0 are accepted in any case with blanks", () => {
    for (const t of ["true", "YES", " On ", "1"]) expect(parseBool(t)).toBe(true);
    for (const f of ["False", "no", "OFF", "0 "]) expect(parseBool(f)).toBe(false);
  });

  test("anything else is refused with the accepted words in the message", () => {
    expect(() => parseBool("maybe")).toThrow('"maybe" is not a boolean, expected true/false, yes/no, on/off or 1/0');
    expect(() => parseBool("")).toThrow(ScalarError);
  });
});

describe("parseIntOption", () => {
  test("reads signs, surrounding blanks and underscore separators like Python int()", () => {
    expect(parseIntOption("3")).toBe(3);
    expect(parseIntOption(" -2 ")).toBe(-2);
    expect(parseIntOption("+7")).toBe(7);
    expect(parseIntOption("1_000")).toBe(1000);
    expect(parseIntOption("007")).toBe(7);
  });

  test("refuses fractions, words and misplaced underscores", () => {
    expect(() => parseIntOption("1.5")).toThrow('"1.5" is not an integer, expected a whole number like 3');
    expect(() => parseIntOption("three")).toThrow(ScalarError);
    expect(() => parseIntOption("_1")).toThrow(ScalarError);
    expect(() => parseIntOption("1__0")).toThrow(ScalarError);
    expect(() => parseIntOption("")).toThrow(ScalarError);
  });
});

describe("parseFloatOption", () => {
  test("reads integers, fractions, exponents and infinity like Python float()", () => {
    expect(parseFloatOption("2")).toBe(2);
    expect(parseFloatOption(" 2.5 ")).toBe(2.5);
    expect(parseFloatOption(".5")).toBe(0.5);
    expect(parseFloatOption("5.")).toBe(5);
    expect(parseFloatOption("1e3")).toBe(1000);
    expect(parseFloatOption("1_0.5")).toBe(10.5);
    expect(parseFloatOption("inf")).toBe(Infinity);
  });

  test("refuses words and NaN", () => {
    expect(() => parseFloatOption("fast")).toThrow('"fast" is not a number, expected a number like 2.5');
    expect(() => parseFloatOption("nan")).toThrow(ScalarError);
    expect(() => parseFloatOption("1.2.3")).toThrow(ScalarError);
  });
});

describe("parseSignal", () => {
  test("accepts numbers and names and turns unknown ones into a ScalarError", () => {
    expect(parseSignal("15")).toBe(15);
    expect(parseSignal("hup")).toBe(1);
    expect(() => parseSignal("SIGBOGUS")).toThrow(ScalarError);
  });
});

describe("parseOctal", () => {
  test("reads base 8 with or without a 0o prefix", () => {
    expect(parseOctal("022")).toBe(0o22);
    expect(parseOctal("0o077")).toBe(0o77);
    expect(parseOctal("0")).toBe(0);
  });

  test("refuses digits 8 and 9", () => {
    expect(() => parseOctal("089")).toThrow('"089" is not an octal number, expected a umask like 022');
  });
});

describe("human2bytes", () => {
  test("reads Circus's units, k and KiB spellings; rejects others", () => {
    expect(human2bytes("512B")).toBe(512);
    expect(human2bytes("3.45M")).toBe(Math.trunc(3.45 * 1024 ** 2));
    expect(human2bytes("10k")).toBe(10240);
    expect(human2bytes("2KiB")).toBe(2048);
    expect(human2bytes("1 mebi")).toBe(1024 ** 2);
    expect(() => human2bytes("12 parsecs")).toThrow('"12 parsecs" has an unknown unit "parsecs"');
    expect(() => human2bytes("M")).toThrow("is not a size");
  });
});
