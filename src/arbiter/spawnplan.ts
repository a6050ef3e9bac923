// Turns a watcher's configuration into the exact exec of one process: argv (shlex-split, spawn-time
// substituted), the file to exec, env, cwd, stdin and the extra fds (sockets) the child inherits.

import type { WatcherConfig } from "../config/types.ts";
import { SpawnError } from "./errors.ts";
import type { SpawnSocket } from "./sockets.ts";
import type { LaunchStatusPipe } from "../os/launcher.ts";
import { join, split } from "../util/shlex.ts";
import { spawnVars, substitute } from "./spawnvars.ts";

export interface SpawnPlan {
  /** argv as the child sees it (argv[0] included). */
  argv: string[];
  /** The worker's own argv, for display (differs from `argv` when a launcher runs first). */
  shownArgv: string[];
  /** Absolute path (or path with a slash) of the file to exec. */
  file: string;
  env: Record<string, string>;
  cwd: string | null;
  stdin: "ignore" | "inherit" | number;
  /** close_child_stdout/stderr: that stream goes to /dev/null whatever output sink is configured. */
  closeStdout: boolean;
  closeStderr: boolean;
  /** Child fd number → the daemon fd it receives (sockets, at the numbers `listsockets` reports). */
  fds: Map<number, number>;
  uid: number | null;
  gid: number | null;
  /** Through the launcher: the status pipe it reports a setup failure on (the write end is in `fds`). */
  launchStatus?: LaunchStatusPipe | null;
  /** The `$(circus.…)` variables of this spawn, which its readiness probe is substituted with too. */
  vars?: Map<string, string>;
}

/** Sockets offered to one spawn by name: the daemon's fd and the child fd number it gets. */
export type SpawnSockets = Map<string, SpawnSocket>;

/** Circus falls back to this search path when the child env has no PATH (exec*p semantics). */
const DEFAULT_PATH = "/bin:/usr/bin";

/** Build the plan for the process in slot `wid`; throws SpawnError for an unrunnable command. */
export function buildSpawnPlan(
  cfg: WatcherConfig,
  wid: number,
  sockets: SpawnSockets,
  extraEnv: Record<string, string> = {},
): SpawnPlan {
  const env = { ...cfg.env, ...extraEnv };

  // As in Circus, children hold each socket under the daemon's (listed) fd number, which is also what
  // `$(circus.sockets.NAME)` expands to (to the number even without use_sockets, as Circus does).
  const fds = new Map<number, number>();
  for (const sock of sockets.values()) if (cfg.use_sockets) fds.set(sock.childFd, sock.fd);

  let stdin: SpawnPlan["stdin"] = cfg.close_child_stdin ? "ignore" : "inherit";
  if (cfg.stdin_socket !== null) {
    const sock = sockets.get(cfg.stdin_socket.toLowerCase());
    if (sock === undefined) throw new SpawnError(`stdin_socket '${cfg.stdin_socket}' is not a known socket`);
    stdin = sock.fd;
  }

  const vars = spawnVars(attributesOf(cfg), wid, env, sockets);
  const cmdText = substitute(cfg.cmd, vars);
  let argsWords: string[] = [];
  let argsText = "";
  if (typeof cfg.args === "string") {
    argsText = substitute(cfg.args, vars);
    argsWords = safeSplit(argsText, "args");
  } else if (Array.isArray(cfg.args)) {
    argsWords = cfg.args.map((a) => substitute(a, vars));
    argsText = join(argsWords);
  }

  let argv: string[];
  if (cfg.shell) {
    // Fix of a Circus quirk: the command line goes to sh -c as written, so pipes, && and $VAR work.
    const line = [cmdText, argsText].filter((s) => s !== "").join(" ");
    const shellArgs = cfg.shell_args === null ? [] : safeSplit(substitute(cfg.shell_args, vars), "shell_args");
    argv = ["/bin/sh", "-c", line, ...shellArgs];
  } else {
    argv = [...safeSplit(cmdText, "cmd"), ...argsWords];
  }
  if (argv.length === 0) throw new SpawnError("empty command");

  const program = cfg.executable ?? argv[0]!;
  const file = resolveProgram(program, env.PATH ?? DEFAULT_PATH, cfg.working_dir);

  return {
    argv,
    shownArgv: argv,
    file,
    env,
    cwd: cfg.working_dir,
    stdin,
    closeStdout: cfg.close_child_stdout,
    closeStderr: cfg.close_child_stderr,
    fds,
    uid: null,
    gid: null,
    vars,
  };
}

function safeSplit(text: string, what: string): string[] {
  try {
    return split(text);
  } catch (err) {
    throw new SpawnError(`cannot split ${what} ${JSON.stringify(text)}: ${(err as Error).message}`, { cause: err });
  }
}

/** execvp-style lookup: a name with a slash is used as is, else searched in PATH. */
function resolveProgram(program: string, path: string, cwd: string | null): string {
  if (program.includes("/")) return program;
  const found = Bun.which(program, { PATH: path, cwd: cwd ?? undefined });
  if (found === null) throw new SpawnError(`${program}: command not found in PATH ${path}`);
  return found;
}

/** The watcher attributes exposed as `$(circus.<attr>)` at spawn time. */
function attributesOf(cfg: WatcherConfig): Record<string, unknown> {
  const {
    hooks: _hooks,
    free: _free,
    source: _source,
    env: _env,
    rlimits,
    stdout_stream,
    stderr_stream,
    ...rest
  } = cfg;
  return {
    ...rest,
    rlimits,
    stdout_stream_conf: stdout_stream ?? {},
    stderr_stream_conf: stderr_stream ?? {},
  };
}
