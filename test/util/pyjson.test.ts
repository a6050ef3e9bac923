// pyJsonDumps against the real json.dumps of /usr/bin/python3: separators, escapes and float reprs.

import { describe, expect, test } from "bun:test";
import { pyFloatRepr, pyJsonDumps } from "../../src/util/pyjson.ts";
import { pythonEach } from "../helpers/python-reference.ts";

const FLOATS = [
  0,
  30,
  5,
  -1,
  0.5,
  1.5,
  0.1,
  0.0001,
  0.00001,
  1e-7,
  123.456,
  1796417455.6603825,
  1e15,
  1e16,
  1.5e16,
  123456789012345680,
  2 ** 53,
  -0.000123,
  1 / 3,
  1e100,
  1e-100,
  5e-324,
  Number.MAX_VALUE,
];

describe("pyJsonDumps", () => {
  test("floats are written as Python's repr, for every magnitude", () => {
    const python = pythonEach(
      "",
      "repr(float(args[0]))",
      FLOATS.map((x) => [x]),
    );
    expect(FLOATS.map((x) => ({ ok: pyFloatRepr(x) }))).toEqual(python as { ok: string }[]);
  });

  test("objects, lists and strings are written as json.dumps writes them (separators, ensure_ascii)", () => {
    const values: unknown[] = [
      { status: "ok", options: { b: [1, 2, { c: null }], a: true, e: false }, id: "x" },
      ["café", "日本", "😀", 'quote " backslash \\ slash /', "tab\tnew\nline\r\b\f\u0001\u007f"],
      {},
      [],
      "",
      -5,
    ];
    const python = pythonEach(
      "",
      "json.dumps(args[0])",
      values.map((v) => [v]),
    );
    expect(values.map((v) => ({ ok: pyJsonDumps(v) }))).toEqual(python as { ok: string }[]);
  });

  test("the caller says which numbers are floats: by path, with list elements marked []", () => {
    const reply = { time: 1700000000, info: { started: [101, 102], cpu: 0, mem: 1.5 }, numprocesses: 2 };
    const floats = (path: readonly string[]) => ["time", "cpu", "mem", "started"].includes(path.at(-1)!);
    expect(pyJsonDumps(reply, floats)).toBe(
      '{"time": 1700000000.0, "info": {"started": [101, 102], "cpu": 0.0, "mem": 1.5}, "numprocesses": 2}',
    );
  });

  test("undefined object values are left out, like JSON.stringify", () => {
    expect(pyJsonDumps({ a: 1, b: undefined })).toBe('{"a": 1}');
  });
});
