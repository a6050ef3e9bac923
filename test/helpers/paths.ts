// Where things are for tests: the repository, the interpreters the peers run under, and how to run circus.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(import.meta.dir, "../..");
/** The compiled binary (`bun scripts/build.ts`). */
export const BINARY = join(ROOT, "dist/circus");
/** The Bun running the tests (for fixtures run from the sources). */
export const BUN = process.execPath;
/** Debian's python3, which has pyzmq, tornado and psutil; the python3 on PATH may not. */
export const PYTHON = "/usr/bin/python3";

/** argv prefix that runs circus: the compiled binary when built, else the sources under bun. */
export function circusCommand(): string[] {
  return existsSync(BINARY) ? [BINARY] : [BUN, join(ROOT, "src/main.ts")];
}
