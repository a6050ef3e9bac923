// The daemon's pidfile: refuse to start when a live daemon holds it, remove it only if it is still ours.

import { OsError } from "../os/errors.ts";
import { exists, makeDir, readLink, readText, replaceText, unlink } from "../os/fs.ts";
import { nodeOs } from "../util/node.ts";
import { dirname, join } from "../util/path.ts";

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

/**
 * What can be known of `path` as a pidfile without writing it (`--check`): its directory exists and it
 * is not a directory or unreadable. Returns its text ("" when absent); throws PidfileError otherwise.
 */
export function checkPidfile(path: string): string {
  if (!exists(dirname(path))) {
    throw new PidfileError(
      `pidfile ${path}: directory ${dirname(path)} does not exist; create it or pick another --pidfile`,
    );
  }
  if (!exists(path)) return "";
  try {
    return readText(path);
  } catch (error) {
    if (!(error instanceof OsError)) throw error;
    const why = error.code === "EISDIR" ? "is a directory" : `cannot be read (${error.message})`;
    throw new PidfileError(`pidfile ${path} ${why}; pick another --pidfile`, { cause: error });
  }
}

/** Write our pid, or throw when another live process already holds the file. */
export function claimPidfile(path: string): void {
  const text = checkPidfile(path);
  if (text !== "") {
    const held = Number.parseInt(text.trim(), 10);
    if (Number.isInteger(held) && held > 0 && held !== process.pid && isAlive(held)) {
      throw new PidfileError(
        `pidfile ${path} is held by running process ${held}; stop that daemon first or pick another --pidfile`,
      );
    }
  }
  try {
    // Replaced, not written through: in a directory others may write, a link planted at `path` would
    // have root truncate whatever it points to.
    replaceText(path, `${process.pid}\n`, 0o644);
  } catch (error) {
    throw new PidfileError(`pidfile ${path}: cannot write it (${(error as Error).message}); pick another --pidfile`, {
      cause: error,
    });
  }
}

/** Remove the pidfile if it still names this process. */
export function releasePidfile(path: string): void {
  try {
    if (readText(path).trim() === String(process.pid)) unlink(path);
  } catch {
    // Already gone: nothing to release.
  }
}

/**
 * Where the daemon keeps its worker journal (arbiter/worker-journal.ts): beside the pidfile when there
 * is one, else in a runtime folder ($XDG_RUNTIME_DIR/circus, /run/circus for root, or a private folder
 * in /tmp), named after the control endpoint — the one thing two daemons on a host never share (with
 * the network namespace, for an endpoint that lives in one).
 */
export function workerJournalPath(pidfile: string | null, endpoint: string): string {
  if (pidfile) return `${pidfile}.workers`;
  const uid = process.getuid?.() ?? 0;
  const xdg = process.env.XDG_RUNTIME_DIR;
  const dir = xdg ? join(xdg, "circus") : uid === 0 ? "/run/circus" : join(nodeOs().tmpdir(), `circus-${uid}`);
  makeDir(dir, 0o700);
  // A tcp endpoint (or an abstract ipc name) is one daemon's per network namespace: daemons in two
  // namespaces sharing /run (`ip netns exec`) may both use tcp://127.0.0.1:5555 without being the same.
  const netns = /^(tcp:\/\/|ipc:\/\/@)/.test(endpoint) ? readLink("/proc/self/ns/net") : null;
  return join(dir, `workers-${Bun.hash(netns ? `${netns} ${endpoint}` : endpoint).toString(16)}.jsonl`);
}
