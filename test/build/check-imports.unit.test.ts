// scripts/check-imports.ts on a small src/ tree written for the purpose: every rule kind fires, type-only
// and dynamic imports are told apart, and KNOWN_LEAKS entries warn while present and fail once gone.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkImports, RULES, staticImports } from "../../scripts/check-imports.ts";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "check-imports-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("staticImports", () => {
  test("reads imports and re-exports, marks type-only ones, skips dynamic imports", () => {
    const text = [
      'import type { A } from "./types.ts";',
      'import { type B } from "./only-types.ts";',
      'import { type C, d } from "./mixed.ts";',
      'import "./side-effect.ts";',
      'import * as ns from "./ns.ts";',
      'export type { E } from "./re-types.ts";',
      'export * from "./re-all.ts";',
      'const lazy = await import("node:fs");',
    ].join("\n");
    expect(staticImports(text)).toEqual([
      { specifier: "./types.ts", runtime: false },
      { specifier: "./only-types.ts", runtime: false },
      { specifier: "./mixed.ts", runtime: true },
      { specifier: "./side-effect.ts", runtime: true },
      { specifier: "./ns.ts", runtime: true },
      { specifier: "./re-types.ts", runtime: false },
      { specifier: "./re-all.ts", runtime: true },
    ]);
  });
});

describe("checkImports", () => {
  const root = tree({
    "src/main.ts":
      'import { a } from "./util/a.ts";\nexport const run = async () => (await import("./cli/stats.ts")).s + a;\n',
    "src/cli/daemon.ts": 'import { c } from "../config/c.ts";\nexport const d = c;\n',
    "src/cli/stats.ts": 'import { join } from "node:path";\nexport const s = join("a", "b");\n',
    "src/config/c.ts":
      'import type { Stats } from "node:fs";\nimport { x } from "../os/x.ts";\nexport const c: Stats | number = x;\n',
    "src/os/x.ts":
      'import { readFileSync } from "fs";\nimport { dlopen } from "bun:ffi";\nexport const x = [readFileSync, dlopen].length;\n',
    "src/util/a.ts": 'export * from "../log.ts";\n',
    "src/log.ts": "export const a = 1;\n",
    "src/arbiter/w.ts": 'import { type Foo } from "../protocol/p.ts";\nexport const w: Foo = 1;\n',
    "src/protocol/p.ts":
      'import { dlopen } from "bun:ffi";\nimport "../cli/daemon.ts";\nexport type Foo = number;\nexport const p = dlopen;\n',
    "src/zmtp/z.ts": 'import { q } from "./missing.ts";\nexport const z = q;\n',
    "src/web/v.ts":
      'import { w } from "../arbiter/w.ts";\nimport type { Foo } from "../protocol/p.ts";\nexport const v: Foo = w;\n',
  });
  const known = {
    file: "src/util/a.ts",
    imports: "src/log.ts",
    rule: "util-layer",
    reason: "logging sits outside util",
  };
  const gone = { file: "src/os/x.ts", imports: "src/log.ts", rule: "os-layer", reason: "fixed since" };
  const result = checkImports(root, undefined, [known, gone]);

  test("each rule reports the importing file, what it imports and the rule", () => {
    expect(result.failures.sort()).toEqual(
      [
        "src/zmtp/z.ts: imports ./missing.ts — which does not resolve to a file",
        "src/os/x.ts: imports node:fs — no static node:* import reachable from the daemon's entry (use src/util/path.ts, src/os or a lazy await import()) (reached by src/cli/daemon.ts → src/config/c.ts → src/os/x.ts)",
        "src/protocol/p.ts: imports bun:ffi — bun:ffi is imported only under src/os",
        "src/arbiter/w.ts: imports src/protocol/p.ts — src/arbiter knows no wire and no CLI: it imports no protocol, zmtp, cli, web or plugins",
        "src/protocol/p.ts: imports src/cli/daemon.ts — only src/main.ts and src/cli itself import src/cli",
        "src/protocol/p.ts: imports src/cli/daemon.ts — src/protocol imports no cli, web or plugins",
        "src/os/x.ts: no longer imports src/log.ts against rule os-layer — remove it from KNOWN_LEAKS",
        "src/web/v.ts: imports src/arbiter/w.ts — src/web reaches a daemon through the control client only: it imports no arbiter, plugins or cli",
      ].sort(),
    );
  });

  test("a known leak is a warning with its reason, not a failure", () => {
    expect(result.warnings).toEqual([
      "src/util/a.ts: imports src/log.ts — src/util imports nothing else of src [known leak: logging sits outside util]",
    ]);
  });

  test("type-only and dynamic node:* imports are not reported; bun:ffi under src/os is allowed", () => {
    const all = [...result.failures, ...result.warnings].join("\n");
    expect(all).not.toContain("src/config/c.ts: imports node:fs");
    expect(all).not.toContain("node:path");
    expect(all).not.toContain("src/os/x.ts: imports bun:ffi");
  });
});

describe("docs/architecture.md", () => {
  test("names every rule, so a violation's id leads to the page that explains the layers", () => {
    const page = readFileSync(join(import.meta.dir, "../../docs/architecture.md"), "utf8");
    for (const rule of RULES)
      expect({ rule: rule.id, named: page.includes(`\`${rule.id}\``) }).toEqual({ rule: rule.id, named: true });
  });
});
