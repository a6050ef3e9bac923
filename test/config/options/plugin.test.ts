// How a plugin reads its own options with a table of the same spec the sections use.

import { expect, test } from "bun:test";
import { float, int, optionalText } from "../../../src/config/options/kinds.ts";
import { readPluginOptions } from "../../../src/config/options/plugin.ts";
import { option } from "../../../src/config/options/spec.ts";

const FLAPPING_LIKE = {
  attempts: option(int, { default: 2, range: { min: 1, text: "1 or more" }, doc: "restarts in the window" }),
  window: option(float, { default: 1, doc: "seconds" }),
  label: option(optionalText, { default: null, doc: "a name" }),
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
