import { describe, expect, test } from "bun:test";
import { parseIni } from "../../src/config/ini.ts";
import { applyDefaults, Diagnostics, type RawDocument } from "../../src/config/raw.ts";
import { formatProblem } from "../../src/config/types.ts";

function read(text: string): { doc: RawDocument; problems: string[] } {
  const diag = new Diagnostics();
  const doc = parseIni(text, "c.ini", diag);
  applyDefaults(doc);
  return { doc, problems: diag.problems.map(formatProblem) };
}

function values(text: string, section: string): Record<string, string> {
  const { doc, problems } = read(text);
  expect(problems).toEqual([]);
  const out: Record<string, string> = {};
  for (const [k, e] of doc.sections.get(section)?.entries ?? []) out[k] = String(e.value);
  return out;
}

describe("ini dialect", () => {
  test("keys take = or : and values are trimmed", () => {
    expect(values("[a]\nx = 1\ny: 2\nz=  three  \n", "a")).toEqual({ x: "1", y: "2", z: "three" });
  });

  test("section names and keys are case-sensitive", () => {
    const { doc } = read("[Watcher:Web]\nNumProcesses = 3\n[watcher:web]\nnumprocesses = 1\n");
    expect([...doc.sections.keys()]).toEqual(["Watcher:Web", "watcher:web"]);
    expect([...doc.sections.get("Watcher:Web")!.entries.keys()]).toEqual(["NumProcesses"]);
  });

  test("a section name runs to the last ] on its line, as Python's SECTCRE reads it", () => {
    const { doc } = read("[env:w[]]]\nA = 1\n[env:[^a]pp] trailing\nB = 2\n");
    expect([...doc.sections.keys()]).toEqual(["env:w[]]", "env:[^a]pp"]);
  });

  test("lines starting with # or ; and lines whose first word is rem are comments", () => {
    expect(values("# c\n; c\nrem a comment\nREM = not a key\n[a]\nx = 1\nRem also\n", "a")).toEqual({ x: "1" });
  });

  test("rem only counts as a comment at column 0 and as a whole word", () => {
    expect(values("[a]\nremote = yes\n", "a")).toEqual({ remote: "yes" });
  });

  test("a ; after whitespace ends the value but # and glued ; stay literal", () => {
    expect(values("[a]\nx = 1 ; comment\ny = a;b\nz = color #red\n", "a")).toEqual({
      x: "1",
      y: "a;b",
      z: "color #red",
    });
  });

  test('a value written "" is the empty string', () => {
    expect(values('[a]\nx = ""\ny =\n', "a")).toEqual({ x: "", y: "" });
  });

  test("indented lines continue the previous value, joined by newlines, blank ones dropped", () => {
    expect(values("[a]\nx = one\n  two\n\n    three\ny = 1\n", "a")).toEqual({ x: "one\ntwo\nthree", y: "1" });
  });

  test("the first occurrence of a key wins, also across a repeated section", () => {
    expect(values("[a]\nx = first\nx = second\n[b]\n[a]\nx = third\ny = 2\n", "a")).toEqual({ x: "first", y: "2" });
  });

  test("% is literal: there is no interpolation", () => {
    expect(values("[a]\nx = 100%(y)s\n", "a")).toEqual({ x: "100%(y)s" });
  });

  test("[DEFAULT] keys appear in every section, the section's own keys win", () => {
    const { doc } = read("[DEFAULT]\nx = d\ny = d\n[a]\nx = own\n[b]\nz = 1\n");
    expect(doc.sections.has("DEFAULT")).toBe(false);
    expect(String(doc.sections.get("a")!.entries.get("x")!.value)).toBe("own");
    expect(String(doc.sections.get("b")!.entries.get("y")!.value)).toBe("d");
  });

  test("every key records the line it was written on", () => {
    const { doc } = read("[a]\n\nx = 1\n  more\ny = 2\n");
    const a = doc.sections.get("a")!;
    expect(a.location.line).toBe(1);
    expect(a.entries.get("x")!.location).toEqual({ file: "c.ini", line: 3 });
    expect(a.entries.get("y")!.location.line).toBe(5);
  });

  test("a line that is neither header nor key = value is a problem with its line number, and parsing goes on", () => {
    const { doc, problems } = read("[a]\nx = 1\nthis is not valid\ny = 2\n");
    expect(problems).toEqual([
      'c.ini:3: a: cannot read line "this is not valid", expected "key = value", "key: value", a [section] header or a comment',
    ]);
    expect(doc.sections.get("a")!.entries.has("y")).toBe(true);
  });

  test("a key before any section header is a problem", () => {
    expect(read("x = 1\n[a]\ny = 2\n").problems).toEqual([
      'c.ini:1: (no section): "x = 1" comes before any [section] header, expected a header like [circus] first',
    ]);
  });

  test("an indented line right after a header is a problem", () => {
    expect(read("[a]\n  x = 1\n").problems.length).toBe(1);
  });

  test("keys may contain dots and the first : or = separates the value", () => {
    expect(values("[a]\nhooks.before_start = ./h.ts:check\nurl: http://x:80\n", "a")).toEqual({
      "hooks.before_start": "./h.ts:check",
      url: "http://x:80",
    });
  });
});
