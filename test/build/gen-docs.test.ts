// README's option tables are generated from the option tables; this fails when they drift apart.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { optionDocs, README, withOptionDocs } from "../../scripts/gen-docs.ts";
import { WATCHER_OPTIONS } from "../../src/config/options/watcher.ts";

test("README's option tables match the option tables (run `bun scripts/gen-docs.ts` to update them)", () => {
  const readme = readFileSync(README, "utf8");
  expect(withOptionDocs(readme)).toBe(readme);
});

test("every watcher key has a row, and a block without markers is an error", () => {
  const watcher = optionDocs().watcher!;
  for (const key of Object.keys(WATCHER_OPTIONS)) expect(watcher).toContain(`\`${key}\``);
  expect(() => withOptionDocs("no markers here")).toThrow("<!-- options:circus:start -->");
});

test("regenerating replaces what is between the markers and nothing else", () => {
  const text = "before\n<!-- options:hook:start -->\nstale\n<!-- options:hook:end -->\nafter\n";
  const out = withOptionDocs(text, { hook: "| fresh |" });
  expect(out).toBe("before\n<!-- options:hook:start -->\n| fresh |\n<!-- options:hook:end -->\nafter\n");
});
