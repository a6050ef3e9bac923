import { describe, expect, test } from "bun:test";
import { Glob, globMatch } from "../../src/util/glob.ts";
import { pythonEach, randomStrings } from "../helpers/python-reference.ts";

// [name, pattern] pairs where glob dialects disagree; Python's fnmatchcase decides every one.
const CASES: [string, string][] = [
  ["web", "web"],
  ["web", "WEB"],
  ["web1", "web*"],
  ["web", "w?b"],
  ["a/b", "a*b"],
  ["a\nb", "a?b"],
  ["app", "[^a]pp"],
  ["^pp", "[^a]pp"],
  ["bpp", "[^a]pp"],
  ["w]", "w[]]"],
  ["w]", "w[!]]"],
  ["wx", "w[!]]"],
  ["w[", "w["],
  ["w[x", "w[x"],
  ["w[]", "w[]"],
  ["wa", "w[!0-9]"],
  ["w1", "w[!0-9]"],
  ["a", "[z-a]"],
  ["z", "[z-a]"],
  ["x", "[!z-a]"],
  ["x", "[z-a!]"],
  ["b", "[z-a!b]"],
  ["!", "[z-a!b]"],
  ["-", "[a-]"],
  ["-", "[-a]"],
  ["-", "[!-]"],
  ["b", "[a-b-c]"],
  ["-", "[a-b-c]"],
  ["b", "[a--b]"],
  ["a", "[a--b]"],
  ["-", "[--a]"],
  ["\\", "[\\]"],
  ["\\", "\\"],
  ["x", "\\x"],
  ["a.b", "a.b"],
  ["axb", "a.b"],
  ["a+b", "a+b"],
  ["(x)", "(x)"],
  ["&", "[&&]"],
  ["~", "[a~~b]"],
  ["|", "[||]"],
  ["[", "[[]"],
  [":", "[[:alpha:]]"],
  ["a]", "[[:alpha:]]"],
  ["", "*"],
  ["", "?"],
  ["abc", "a**c"],
  ["ab", "*b*"],
  ["𝄞", "?"],
  ["𝄞", "[𝄀-𝄟]"],
  ["é", "[a-z]"],
  ["é", "[à-ÿ]"],
  ["\uffff", "[\ue000-𐀀]"],
];

const python = (cases: [string, string][]) =>
  pythonEach("import fnmatch", "fnmatch.fnmatchcase(*args)", cases).map((o) => {
    if (!("ok" in o)) throw new Error(`fnmatchcase raised ${o.error}: ${o.message}`);
    return o.ok as boolean;
  });

describe("Glob matches Python's fnmatch.fnmatchcase", () => {
  test("on sets, negation, ranges, escapes and unclosed brackets", () => {
    const expected = python(CASES);
    CASES.forEach(([name, pattern], i) => {
      expect({ name, pattern, matches: globMatch(name, pattern) }).toEqual({ name, pattern, matches: expected[i]! });
    });
  });

  test("on 1000 random patterns, each against 8 random names", () => {
    // Brackets and hyphens weigh more, so sets with ranges (in and out of order) are common.
    const alphabet = ["a", "b", "z", "-", "-", "!", "^", "[", "[", "]", "]", "*", "?", "\\"];
    const patterns = randomStrings(alphabet, 1000, 7, 21);
    const names = randomStrings(["a", "b", "-", "!", "^", "[", "]", "z"], 8, 3, 77);
    const cases = patterns.flatMap((p) => names.map((n): [string, string] => [n, p]));
    const expected = python(cases);
    // Enough of them match for the comparison to mean something.
    expect(expected.filter(Boolean).length).toBeGreaterThan(300);
    cases.forEach(([name, pattern], i) => {
      expect({ name, pattern, matches: globMatch(name, pattern) }).toEqual({ name, pattern, matches: expected[i]! });
    });
  });

  test("a compiled pattern can be reused and says what it was made from", () => {
    const glob = new Glob("web-*");
    expect(glob.pattern).toBe("web-*");
    expect(["web-1", "web", "api-1", "web-"].filter((n) => glob.test(n))).toEqual(["web-1", "web-"]);
  });

  test("many stars against a long non-matching name finish at once (no exponential backtracking)", () => {
    const name = "a".repeat(5000);
    const started = performance.now();
    expect(globMatch(name, `${"*a".repeat(50)}b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
