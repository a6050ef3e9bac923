// Replacing the current process image: PATH lookup, credential switching and execve(2).
// Used by the `circus __exec` launcher, which exists because Bun.spawn offers no pre-exec hook.

// node:fs only in the exec launcher (its own short-lived process), not at the top of the daemon.
import { nodeFs } from "../util/node.ts";
import { libc, errno, cstr, addressOf } from "./libc.ts";
import { OsError, Errno } from "./errors.ts";

/** Python's os.defpath: where programs are looked up when the child env has no PATH (as in Circus). */
export const DEFAULT_PATH = "/bin:/usr/bin";

const X_OK = 1;
const SIG_IGN = 1n;
const SIG_SETMASK = 2;
const NSIG = 64;

/** The search path a child with environment `env` would use. */
export function searchPath(env: Record<string, string | undefined>): string {
  return env.PATH ?? DEFAULT_PATH;
}

/**
 * Absolute or relative path of the program execve would run for `file`, or null if there is none.
 * Names containing "/" are not searched. Lets the daemon report a missing program as a spawn failure.
 */
export function resolveExecutable(file: string, env: Record<string, string | undefined>): string | null {
  for (const candidate of candidates(file, env)) {
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** Install supplementary groups, then gid, then uid — groups and gid need root, which setuid drops. */
export function switchCredentials(ids: { uid?: number | null; gid?: number | null; groups?: number[] | null }): void {
  const c = libc();
  if (ids.groups) {
    const list = new Uint32Array(ids.groups);
    if (c.setgroups(list.length, list) !== 0) throw new OsError("setgroups", errno(), `[${ids.groups.join(",")}]`);
  }
  if (ids.gid !== undefined && ids.gid !== null && c.setgid(ids.gid) !== 0) {
    throw new OsError("setgid", errno(), String(ids.gid));
  }
  if (ids.uid !== undefined && ids.uid !== null && c.setuid(ids.uid) !== 0) {
    throw new OsError("setuid", errno(), String(ids.uid));
  }
}

/**
 * Undo what the Bun runtime did to signal state that would survive exec: ignored signals (Bun
 * ignores SIGPIPE and SIGXFSZ) stay ignored across execve, and so does the blocked mask. Caught
 * signals reset themselves on exec, so only SIG_IGN needs resetting — the same state Bun.spawn gives.
 */
export function resetSignalsForExec(): void {
  const c = libc();
  const current = new BigUint64Array(32); // larger than any libc's struct sigaction
  const defaults = new BigUint64Array(32); // zeroed: SIG_DFL, empty mask, no flags
  for (let sig = 1; sig <= NSIG; sig++) {
    if (c.sigaction(sig, null, current) !== 0) continue; // SIGKILL/SIGSTOP or libc-reserved
    if (current[0] === SIG_IGN) c.sigaction(sig, defaults, null);
  }
  c.sigprocmask(SIG_SETMASK, new Uint8Array(128), null);
}

/**
 * execve `file` (searched like execvpe in env.PATH) with exactly `argv` and `env`. Returns only by
 * throwing: the OsError of the most telling failure (EACCES beats ENOENT, as execvp reports).
 */
export function execFile(file: string, argv: string[], env: Record<string, string>): never {
  return prepareExec(file, argv, env)();
}

/**
 * Everything execve needs (C strings, pointer arrays, PATH candidates), built now; the returned
 * function only calls execve. The launcher prepares first and applies rlimits after: a low
 * RLIMIT_DATA or RLIMIT_AS can leave the runtime unable to map one more page, so nothing may be
 * allocated between setrlimit and execve.
 */
export function prepareExec(file: string, argv: string[], env: Record<string, string>): () => never {
  const c = libc();
  const keep: Buffer[] = []; // buffers the pointer arrays point into must outlive the call
  const argvPtrs = pointerArray(argv, keep);
  const envPtrs = pointerArray(
    Object.entries(env)
      .filter(([k]) => k !== "" && !k.includes("="))
      .map(([k, v]) => `${k}=${v}`),
    keep,
  );
  const paths = candidates(file, env).map(cstr);
  return () => {
    let failure: number = Errno.ENOENT;
    for (const path of paths) {
      c.execve(path, argvPtrs, envPtrs);
      const code = errno();
      if (code === Errno.EACCES) failure = code;
      else if (code !== Errno.ENOENT && code !== ENOTDIR) throw execError(file, code);
    }
    keep.length = 0;
    throw execError(file, failure);
  };
}

const ENOTDIR = 20;

function execError(file: string, code: number): OsError {
  const hint =
    code === Errno.ENOENT && !file.includes("/")
      ? "not found in the worker's PATH; give a full path or fix PATH"
      : undefined;
  return new OsError("execve", code, `"${file}"`, hint);
}

function candidates(file: string, env: Record<string, string | undefined>): string[] {
  if (file.includes("/")) return [file];
  if (file === "") return [];
  // An empty PATH entry means the current directory, as in execvp.
  return searchPath(env)
    .split(":")
    .map((dir) => (dir === "" ? file : `${dir.replace(/\/+$/, "")}/${file}`));
}

function isExecutableFile(path: string): boolean {
  try {
    if (!nodeFs().statSync(path).isFile()) return false;
  } catch {
    return false; // not there (or not reachable): not a candidate, the PATH search goes on
  }
  return libc().access(cstr(path), X_OK) === 0;
}

/** A NULL-terminated `char *[]` for execve; the strings are pushed onto `keep` to stay alive. */
function pointerArray(strings: string[], keep: Buffer[]): BigUint64Array {
  const pointers = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => {
    const buf = cstr(s);
    keep.push(buf);
    pointers[i] = addressOf(buf);
  });
  return pointers;
}
