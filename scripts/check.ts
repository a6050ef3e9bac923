// The checks that gate CI, each run to the end even when an earlier one failed: types (tsc, also of the
// web console's browser scripts), format and lint (biome ci: no writes), and the import rules
// (scripts/check-imports.ts). Exit status 1 if any failed.
// Run with `bun scripts/check.ts` (or `npm run check`).

import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);

// Incremental: a second run re-checks only what changed since the last (the state is kept in dist/,
// which a clean checkout or CI does not have, so there every file is checked).
const tsc = (project: string, state: string) => [
  bin("tsc"),
  "--noEmit",
  "-p",
  project,
  "--incremental",
  "--tsBuildInfoFile",
  resolve(root, "dist", state),
];

const CHECKS: { name: string; cmd: string[] }[] = [
  { name: "tsc", cmd: tsc(".", "check.tsbuildinfo") },
  // The console's browser scripts (plain JS checked through JSDoc) have their own DOM tsconfig.
  { name: "tsc web assets", cmd: tsc("src/web/assets", "check-web.tsbuildinfo") },
  { name: "biome ci", cmd: [bin("biome"), "ci", "--colors=off", "."] },
  { name: "check-imports", cmd: [process.execPath, "scripts/check-imports.ts"] },
];

const failed: string[] = [];
for (const check of CHECKS) {
  const proc = Bun.spawn(check.cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  console.log(`check ${check.name}: ${code === 0 ? "ok" : `FAILED (exit ${code})`}`);
  if (code !== 0) failed.push(check.name);
}
console.log(failed.length === 0 ? "checks: all passed" : `checks: ${failed.join(", ")} failed`);
process.exit(failed.length === 0 ? 0 : 1);
