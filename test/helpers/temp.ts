// Temporary directories for tests, removed after the test (or after the file when made outside a test).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defer } from "./cleanup.ts";

const made = new Set<string>();

/** A fresh directory under the system temp dir. Names stay short: ipc paths are limited to 107 bytes. */
export function tempDir(prefix = "circus-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  defer(() => removeDir(dir));
  return dir;
}

/** Remove `dir` now (it would be removed after the test anyway). */
export function removeDir(dir: string): void {
  made.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Remove every directory `tempDir` made so far (they are also removed on their own after the test). */
export function removeTempDirs(): void {
  for (const dir of [...made]) removeDir(dir);
}
