import { describe, expect, test } from "bun:test";
import { join, quote, split, ShlexError } from "../../src/arbiter/shlex.ts";

describe("shlex.split", () => {
  test("splits on runs of whitespace", () => {
    expect(split("  sleep   10\t20 ")).toEqual(["sleep", "10", "20"]);
  });
  test("single quotes keep everything literal", () => {
    expect(split(`echo 'a b' '\\n$X'`)).toEqual(["echo", "a b", "\\n$X"]);
  });
  test("double quotes group words and honour only POSIX escapes", () => {
    expect(split(`echo "a \\"b\\" \\x"`)).toEqual(["echo", 'a "b" \\x']);
  });
  test("a backslash outside quotes escapes the next character", () => {
    expect(split("a\\ b c")).toEqual(["a b", "c"]);
  });
  test("adjacent quoted parts join into one word", () => {
    expect(split(`--opt="x y"'z'`)).toEqual(["--opt=x yz"]);
  });
  test("empty quotes make an empty word", () => {
    expect(split(`a "" b`)).toEqual(["a", "", "b"]);
  });
  test("a # at a word start begins a comment", () => {
    expect(split("run a#b # comment")).toEqual(["run", "a#b"]);
  });
  test("an unterminated quote is an error", () => {
    expect(() => split(`echo "oops`)).toThrow(ShlexError);
  });
});

describe("shlex.quote", () => {
  test("safe words stay bare, others are single-quoted", () => {
    expect(quote("abc-1.2/x")).toBe("abc-1.2/x");
    expect(quote("a b")).toBe("'a b'");
    expect(quote("")).toBe("''");
  });
  test("quote round-trips through split", () => {
    const words = ["it's", "a $b", "|", "&&", ""];
    expect(split(join(words))).toEqual(words);
  });
});
