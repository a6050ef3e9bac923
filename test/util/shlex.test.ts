import { describe, expect, test } from "bun:test";
import { join, quote, ShlexError, split } from "../../src/util/shlex.ts";
import { outcomeOf, type PythonOutcome, pythonEach, randomStrings } from "../helpers/python-reference.ts";

// Inputs where shell-like splitters commonly disagree; Python decides every one of them.
const CASES = [
  "",
  "   ",
  "  sleep   10\t20 ",
  "prog --color #fff --name x",
  "run a#b # comment",
  "#",
  "echo 'a b' '\\n$X'",
  'echo "a \\"b\\" \\x"',
  'echo "\\$HOME \\` \\\\ \\n"',
  "a\\ b c",
  "--opt=\"x y\"'z'",
  'a "" b',
  "''",
  "a''b",
  'echo "oops',
  "echo 'oops",
  "trailing\\",
  '"trailing\\',
  '"escaped quote at end\\"',
  "a\\\nb",
  '"a\\\nb"',
  "a\fb\vc",
  "line1\nline2\r\nline3",
  "'it'\"'\"'s'",
  "ünïcødé 'ëñ' \"✓ 𝄞\"",
  "\\'\\\"",
  "a\\#b",
  "x=1;y=2|z&&w",
];

const pythonSplit = (inputs: string[]) =>
  pythonEach(
    "import shlex",
    "shlex.split(*args)",
    inputs.map((s) => [s]),
  );
const ourSplit = (s: string) => outcomeOf(() => split(s), ShlexError, "ValueError");

describe("split matches Python's shlex.split", () => {
  test("on quoting, escapes, '#', whitespace and errors", () => {
    const expected = pythonSplit(CASES);
    CASES.forEach((input, i) => {
      expect({ input, outcome: ourSplit(input) }).toEqual({ input, outcome: expected[i]! });
    });
  });

  test("on 2000 random strings of quotes, backslashes and whitespace", () => {
    const inputs = randomStrings(["a", "b", " ", "\t", "\n", "'", '"', "\\", "#", "$", "\f"], 2000, 12);
    const expected = pythonSplit(inputs);
    inputs.forEach((input, i) => {
      expect({ input, outcome: ourSplit(input) }).toEqual({ input, outcome: expected[i]! });
    });
  });

  test("a '#' is part of the word, as Circus passes it to the program", () => {
    expect(split("prog --color #fff --name x")).toEqual(["prog", "--color", "#fff", "--name", "x"]);
  });

  test("errors say which problem they are", () => {
    expect(() => split(`echo "oops`)).toThrow(new ShlexError("unclosed-quote"));
    expect(() => split("echo \\")).toThrow(new ShlexError("trailing-escape"));
  });
});

describe("quote matches Python's shlex.quote", () => {
  const WORDS = ["abc-1.2/x", "a b", "", "it's", "a $b", "|", "&&", "ünï", "@%+=:,./-_", "x\ny", "'"];

  test("on safe and unsafe words", () => {
    const expected = pythonEach(
      "import shlex",
      "shlex.quote(*args)",
      WORDS.map((w) => [w]),
    );
    expect(WORDS.map((w): PythonOutcome => ({ ok: quote(w) }))).toEqual(expected);
  });

  test("join then split gives the words back", () => {
    expect(split(join(WORDS))).toEqual(WORDS);
  });
});
