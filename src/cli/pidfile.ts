// The daemon's pidfile: refuse to start when a live daemon holds it, remove it only if it is still ours.

import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export class PidfileError extends Error {
  override readonly name = "PidfileError";
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the pid exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Write our pid, or throw when another live process already holds the file. */
export function claimPidfile(path: string): void {
  if (!existsSync(dirname(path))) {
    throw new PidfileError(`pidfile ${path}: directory ${dirname(path)} does not exist; create it or pick another --pidfile`);
  }
  if (existsSync(path)) {
    const held = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    if (Number.isInteger(held) && held > 0 && held !== process.pid && isAlive(held)) {
      throw new PidfileError(
        `pidfile ${path} is held by running process ${held}; stop that daemon first or pick another --pidfile`,
      );
    }
  }
  writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
}

/** Remove the pidfile if it still names this process. */
export function releasePidfile(path: string): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}
