// The docs' option tables (docs/config.md's sections, README's built-in plugins) are generated from the
// option tables; this fails when they drift apart.

import { expect, test } from "bun:test";
import { generatedDocs, optionDocs, withOptionDocs } from "../../scripts/gen-docs.ts";
import { WATCHER_OPTIONS } from "../../src/config/options/watcher.ts";
import { BUILTINS } from "../../src/plugins/registry.ts";

test("docs/config.md and README's option tables match the option tables (run `bun scripts/gen-docs.ts`)", async () => {
  for (const { file, current, next } of await generatedDocs())
    expect({ file, text: next }).toEqual({ file, text: current });
});

test("every watcher key and every built-in plugin's option has a row; a block without markers is an error", async () => {
  const docs = await optionDocs();
  for (const key of Object.keys(WATCHER_OPTIONS)) expect(docs.watcher).toContain(`\`${key}\``);
  for (const b of BUILTINS) {
    const cls = await b.load();
    for (const [key, spec] of Object.entries(cls.options))
      expect(docs.plugins).toContain(`| ${[key, ...(spec.aliases ?? [])].map((k) => `\`${k}\``).join(" / ")} |`);
  }
  // Kinds whose values are objects show their defaults as config text; a required option says so.
  expect(docs.plugins).toContain("| `msg_regex` | regex | `^(?P<pid>.*);(?P<timestamp>.*)$` |");
  expect(docs.plugins).toContain("| `max_mem` | % or size | `90` |");
  expect(docs.plugins).toContain("| `watcher` / `service` | text | required |");
  expect(() => withOptionDocs("no markers here", docs)).toThrow("<!-- options:circus:start -->");
});

test("regenerating replaces what is between the markers and nothing else", () => {
  const text = "before\n<!-- options:hook:start -->\nstale\n<!-- options:hook:end -->\nafter\n";
  const out = withOptionDocs(text, { hook: "| fresh |" });
  expect(out).toBe("before\n<!-- options:hook:start -->\n| fresh |\n<!-- options:hook:end -->\nafter\n");
});
