// `circus __exec`: a tiny trampoline that applies what Bun.spawn cannot (rlimits, uid/gid with
// supplementary groups, umask, setsid) to itself and then execve()s the worker, keeping its pid.
//
// The daemon runs its own binary with the launch spec in CIRCUS_EXEC_SPEC (base64url JSON, split over
// CIRCUS_EXEC_SPEC_1, _2 … when long) and nothing else in the environment. The worker's environment
// travels inside the spec, not as the launcher's own environment, because the Bun runtime would
// otherwise mix a `.env` file from the working directory into it. The env channel (not argv) keeps
// secrets in the spec out of world-readable /proc/PID/cmdline.

import { exists } from "./fs.ts";
import { resolve } from "../util/path.ts";
import { OsError, Errno } from "./errors.ts";
import { prepareExec, resetSignalsForExec, switchCredentials } from "./exec.ts";
import { applyRlimit, rlimitNumber } from "./rlimit.ts";
import { libc, errno } from "./libc.ts";

/** Everything the launcher does between its start and execve. Only `file`, `argv`, `env` are required. */
export interface LaunchSpec {
  /** Program to run; searched in `env.PATH` (default /bin:/usr/bin) when it contains no "/". */
  file: string;
  /** Full argv, including argv[0] (which may differ from `file`, as with Circus's `executable`). */
  argv: string[];
  /** The worker's complete environment. */
  env: Record<string, string>;
  /** Limits by Circus name (`nofile`, `core`…), applied as soft = hard; null = unlimited. */
  rlimits?: Record<string, number | null>;
  umask?: number | null;
  /** Numeric ids; resolve names with users.ts in the daemon so a bad name fails the spawn there. */
  uid?: number | null;
  gid?: number | null;
  /** Supplementary groups (see users.supplementaryGroups); set before gid/uid. */
  groups?: number[] | null;
  /** Start a new session, as Circus does for every worker (skip if Bun.spawn `detached` already did). */
  setsid?: boolean;
  /**
   * The launcher's fd of a status pipe (see openLaunchStatus): a setup failure is written there before
   * the launcher exits; a successful exec closes it with nothing written (it is made close-on-exec).
   */
  statusFd?: number | null;
  /**
   * Signal the worker gets when the daemon dies (PR_SET_PDEATHSIG, kept across exec), with the daemon's
   * pid: a daemon already gone before the signal was armed is caught by comparing getppid().
   */
  parentDeath?: { signal: number; parentPid: number } | null;
}

export const SPEC_ENV = "CIRCUS_EXEC_SPEC";
/** Exit status when the launcher fails before or at exec, like a shell's "command not found". */
export const LAUNCH_FAILURE_EXIT = 127;
// Stay well below the kernel's 128 KiB limit on a single environment string.
const CHUNK = 100_000;

/**
 * The path of the running binary. The kernel reports a binary replaced on disk since it started (a
 * package update renames a new file over it) as `PATH (deleted)`; the file now at PATH is the one to
 * run — the new version, for a launcher or an upgrade.
 */
export function ownBinary(): string {
  return process.execPath.replace(/ \(deleted\)$/, "");
}

/** argv prefix that re-runs this program: the compiled binary itself, or bun + src/main.ts in dev. */
export function selfCommand(): string[] {
  // Compiled executables serve their modules from Bun's virtual /$bunfs filesystem.
  if (import.meta.path.startsWith("/$bunfs/")) return [ownBinary()];
  // From source (`bun src/main.ts`, `bun test`) Bun.main may be a test file, so locate main.ts
  // next to this module; a non-compiled bundle has no such file and falls back to its entry.
  const main = resolve(import.meta.dir, "../main.ts");
  return [process.execPath, exists(main) ? main : Bun.main];
}

/** Command and environment for Bun.spawn that start `spec` through the launcher. */
export function buildLauncherCommand(
  spec: LaunchSpec,
  selfArgv: string[] = selfCommand(),
): { cmd: string[]; env: Record<string, string> } {
  const encoded = Buffer.from(JSON.stringify(spec), "utf8").toString("base64url");
  const env: Record<string, string> = {};
  for (let i = 0; i * CHUNK < encoded.length || i === 0; i++) {
    env[i === 0 ? SPEC_ENV : `${SPEC_ENV}_${i}`] = encoded.slice(i * CHUNK, (i + 1) * CHUNK);
  }
  // The file name after __exec only makes `ps` readable during the launcher's few milliseconds.
  return { cmd: [...selfArgv, "__exec", spec.file], env };
}

/** Read the spec the daemon left in the environment (exported for tests). */
export function readSpec(env: Record<string, string | undefined>): LaunchSpec {
  let encoded = env[SPEC_ENV];
  if (encoded === undefined) throw new LaunchError(`${SPEC_ENV} is not set — \`circus __exec\` is internal to circusd`);
  for (let i = 1; env[`${SPEC_ENV}_${i}`] !== undefined; i++) encoded += env[`${SPEC_ENV}_${i}`];
  let spec: unknown;
  try {
    spec = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    throw new LaunchError(`${SPEC_ENV} is not valid base64url JSON`);
  }
  return validate(spec);
}

/** The launcher's setup failed; the message goes to the worker's stderr. */
export class LaunchError extends Error {
  override name = "LaunchError";
}

/** Entry point of `circus __exec`: apply the spec and become the worker. Never returns. */
export function runLauncher(_argv: string[]): never {
  let spec: LaunchSpec | null = null;
  try {
    spec = readSpec(process.env);
    if (typeof spec.statusFd === "number") libc().fcntl(spec.statusFd, F_SETFD, FD_CLOEXEC);
    const exec: () => never = prepare(spec);
    exec();
  } catch (err) {
    const what = spec ? `cannot start "${spec.file}"` : "launcher";
    const why = err instanceof Error ? err.message : String(err);
    process.stderr.write(`circus: ${what}: ${why}\n`);
    if (typeof spec?.statusFd === "number") {
      const text = Buffer.from(`${what}: ${why}`, "utf8");
      libc().write(spec.statusFd, text, text.length);
    }
    process.exit(LAUNCH_FAILURE_EXIT);
  }
}

const F_SETFD = 2;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const EAGAIN = 11;

/** Both ends of a launcher's status pipe, close-on-exec and non-blocking in the daemon. */
export interface LaunchStatusPipe {
  read: number;
  write: number;
}

/** A pipe for one launch: the launcher gets `write` (mapped into the child), the daemon keeps `read`. */
export function openLaunchStatus(): LaunchStatusPipe {
  const fds = new Int32Array(2);
  if (libc().pipe2(fds, O_CLOEXEC | O_NONBLOCK) !== 0) throw new OsError("pipe2", errno(), "launcher status");
  return { read: fds[0]!, write: fds[1]! };
}

/**
 * What a launch came to, read without blocking from the daemon's end (once the daemon closed its copy
 * of the write end): "exec" when the pipe closed empty, the failure text, or "pending" while the
 * launcher still runs.
 */
export function readLaunchStatus(fd: number): { state: "exec" | "pending" } | { state: "failed"; message: string } {
  const buffer = new Uint8Array(4096);
  const n = Number(libc().read(fd, buffer, buffer.length));
  if (n > 0) return { state: "failed", message: Buffer.from(buffer.subarray(0, n)).toString("utf8") };
  if (n === 0) return { state: "exec" };
  const code = errno();
  if (code === EAGAIN) return { state: "pending" };
  throw new OsError("read", code, "launcher status");
}

/** Close a status pipe end (errors ignored: the fd is ours and closed once). */
export function closeLaunchStatus(fd: number): void {
  libc().close(fd);
}

const PR_SET_PDEATHSIG = 1;

/**
 * Everything between fork and exec, in Circus's order (session, rlimits, umask, credentials), then the
 * death signal, except that the exec is prepared first and the limits are applied last before the
 * credentials switch: after setrlimit nothing may need a new mapping (see prepareExec). Returns the
 * execve call.
 */
function prepare(spec: LaunchSpec): () => never {
  if (spec.setsid && libc().setsid() < 0) {
    const code = errno();
    // EPERM means we already lead a group/session (Bun.spawn `detached`): the goal is met.
    if (code !== Errno.EPERM) throw new OsError("setsid", code);
  }
  const limits = Object.entries(spec.rlimits ?? {});
  for (const [name] of limits) rlimitNumber(name); // unknown names fail with the list of valid ones
  const exec = prepareExec(spec.file, spec.argv, spec.env);
  if (spec.umask !== undefined && spec.umask !== null) libc().umask(spec.umask);
  resetSignalsForExec();
  // Raising a hard limit needs the privilege the credentials switch gives up: limits go first.
  for (const [name, value] of limits) applyRlimit(name, value);
  switchCredentials(spec);
  // After the credential switch, which would clear it.
  if (spec.parentDeath) {
    if (libc().prctl(PR_SET_PDEATHSIG, spec.parentDeath.signal, 0, 0, 0) !== 0)
      throw new OsError("prctl", errno(), "PR_SET_PDEATHSIG");
    if (libc().getppid() !== spec.parentDeath.parentPid)
      throw new LaunchError("the daemon exited before the worker started");
  }
  return exec;
}

function validate(value: unknown): LaunchSpec {
  const spec = value as Partial<LaunchSpec> | null;
  const ok =
    spec !== null &&
    typeof spec === "object" &&
    typeof spec.file === "string" &&
    Array.isArray(spec.argv) &&
    spec.argv.every((a) => typeof a === "string") &&
    typeof spec.env === "object" &&
    spec.env !== null;
  if (!ok) throw new LaunchError(`${SPEC_ENV} lacks file/argv/env`);
  return spec as LaunchSpec;
}
