// What `npm pack` ships (package.json `files`): the user's documentation and examples, never the
// contributors' working notes under docs/dev.

import { expect, test } from "bun:test";
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/paths.ts";
import { run } from "../helpers/processes.ts";
import { tempDir } from "../helpers/temp.ts";

test("npm pack ships every page and image of docs/ but nothing of docs/dev", async () => {
  // Packed from a copy without dist/: compressing the 100 MB binary only to list names took 30 s on a
  // loaded machine, and the binary's entry is not what this test is about.
  const copy = tempDir("circus-pack-");
  for (const entry of ["package.json", "README.md", "BENCHMARKS.md", "docs", "examples"]) {
    cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  }
  const r = await run(["npm", "pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: copy });
  expect(r.code).toBe(0);
  const packed = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  expect(packed.filter((p) => p.startsWith("docs/dev/"))).toEqual([]);
  const userDocs = readdirSync(join(ROOT, "docs"), { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `docs/${e.name}`);
  expect(userDocs.length).toBeGreaterThan(0);
  expect(packed.filter((p) => p.startsWith("docs/")).sort()).toEqual(userDocs.sort());
  expect(packed).toContain("README.md");
  expect(packed).toContain("examples/circus.ini");
});
