// Runs a snippet in a fresh bun process, for behaviour that would disturb the test runner itself
// (limits, sessions, subreaping, process names).

import { join } from "node:path";

const SRC_OS = join(import.meta.dir, "../../src/os");

/** Run `body` with `import * as <alias> from src/os/<module>.ts` per entry; returns trimmed stdout. */
export function inChild(modules: Record<string, string>, body: string): string {
  const imports = Object.entries(modules)
    .map(([alias, m]) => `import * as ${alias} from ${JSON.stringify(join(SRC_OS, `${m}.ts`))};`)
    .join("\n");
  const result = Bun.spawnSync([process.execPath, "-e", `${imports}\n${body}`], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`child failed (${result.exitCode}): ${result.stderr.toString()}`);
  return result.stdout.toString().trim();
}
