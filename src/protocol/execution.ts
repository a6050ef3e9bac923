// What every command needs to run: watcher lookup and matching, mapping arbiter failures to errnos,
// and the `waiting` rule (reply now and finish in the background, or reply when done).

import { displayPath } from "../config/includes.ts";
import { type CircusConfig, ConfigError, formatProblem } from "../config/types.ts";
import { getLogger } from "../util/log.ts";
import { Glob } from "../util/glob.ts";
import { dirname, resolve } from "../util/path.ts";
import type { ControlledWatcher } from "./arbiter-api.ts";
import type { CommandContext } from "./command.ts";
import { CommandError, Errno, messageError, toCommandError } from "./errors.ts";

const log = getLogger("circus.protocol");

/** The directory relative stream files and the config's paths are read against. */
export function configDirOf(ctx: CommandContext): string {
  const file = ctx.arbiter.config.file;
  return file ? dirname(resolve(file)) : process.cwd();
}

/** Case-insensitive lookup; errno 3 `program <name> not found`. */
export function lookupWatcher(ctx: CommandContext, name: string): ControlledWatcher {
  const w = ctx.arbiter.getWatcher(name);
  if (!w) throw messageError(`program ${name} not found`);
  return w;
}

export type MatchMethod = "simple" | "glob" | "regex";

/** Watchers matched by `start`/`stop`/`restart` (`name` lower-cased first, as Circus does). */
export function matchWatchers(ctx: CommandContext, name: string, method: string): ControlledWatcher[] {
  const pattern = name.toLowerCase();
  let test: (n: string) => boolean;
  if (method === "simple") test = (n) => n === pattern;
  else if (method === "glob") {
    const glob = new Glob(pattern);
    test = (n) => glob.test(n);
  } else if (method === "regex") {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${pattern})`);
    } catch (err) {
      throw messageError(`invalid regex ${JSON.stringify(name)}: ${(err as Error).message}`);
    }
    test = (n) => re.test(n);
  } else throw messageError(`unknown match method ${method}`);
  const found = ctx.arbiter.watchers().filter((w) => test(w.name.toLowerCase()));
  if (found.length === 0) throw messageError(`program ${name} not found`);
  return found;
}

/**
 * Apply `waiting`: with it, wait for `work` and give its result (a typed failure keeps its errno,
 * anything else becomes errno 6 "server error"); without it, reply at once and only log failures.
 */
export async function settle<T>(work: Promise<T>, waiting: boolean, what: string): Promise<T | undefined> {
  if (!waiting) {
    work.catch((err) => log.error(`${what} failed: ${(err as Error)?.message ?? String(err)}`));
    return undefined;
  }
  try {
    return await work;
  } catch (err) {
    const typed = toCommandError(err);
    if (typed) throw typed;
    const message = (err as Error)?.message ?? String(err);
    log.error(`${what} failed: ${message}`);
    throw new ServerError(message, { cause: err });
  }
}

/** errno 6: background work failed while the client waited; the detail travels in `tb`. */
export class ServerError extends CommandError {
  constructor(
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(Errno.BAD_MSG_DATA_ERROR, "server error", options);
  }
}

/**
 * The config file read again for `what` (null: the daemon runs without one); a broken file is errno 5
 * with the problems as a client may see them (clientMessage). The daemon's log gets them in full.
 */
export async function rereadConfig(ctx: CommandContext, what: string): Promise<CircusConfig | null> {
  try {
    return await ctx.loadConfig();
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    log.warning(`${what}: the config does not load:\n${capLines(message.split("\n"), MAX_LOG_LINES).join("\n")}`);
    const shown = clientMessage(err, ctx.arbiter.config.file);
    throw new CommandError(Errno.COMMAND_ERROR, `${what}: ${shown}`, { cause: err });
  }
}

/** Characters of one problem line a reply or log line carries; a 10 MB value is not echoed whole. */
const MAX_LINE = 240;
/** Problem lines in a reply; the rest are counted. */
const MAX_REPLY_LINES = 20;
const MAX_LOG_LINES = 200;

function capLines(lines: string[], max: number): string[] {
  const cut = lines
    .slice(0, max)
    .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}… (${l.length} chars)` : l));
  if (lines.length > max) cut.push(`… and ${lines.length - max} more`);
  return cut;
}

/**
 * What a client is told about a config that does not load: problems of the main config file as they
 * are, each cut to MAX_LINE characters; for an included file only its name and how many problems it
 * has, never its text (an include of /etc/shadow must not come back to whoever sent `reloadconfig`).
 */
export function clientMessage(err: unknown, mainFile: string): string {
  if (!(err instanceof ConfigError)) return capLines([(err as Error)?.message ?? String(err)], 1).join("\n");
  const main = mainFile ? displayPath(mainFile) : null;
  const lines: string[] = [];
  const included = new Map<string, number>();
  for (const p of err.problems) {
    if (!p.location || p.location.file === main) lines.push(formatProblem(p));
    else included.set(p.location.file, (included.get(p.location.file) ?? 0) + 1);
  }
  for (const [file, n] of included) {
    lines.push(
      `${file}: ${n} problem${n === 1 ? "" : "s"} in this included file (not shown here; see the daemon's log)`,
    );
  }
  return capLines(lines, MAX_REPLY_LINES).join("\n");
}

/** Pids of a watcher's live processes, in spawn order. */
export function pidsOf(w: ControlledWatcher): number[] {
  return w.pids?.() ?? w.processes().map((p) => p.pid);
}

/** Sort watchers by descending priority (ties keep their order), as Circus starts them. */
export function byPriority(ws: readonly ControlledWatcher[]): ControlledWatcher[] {
  return [...ws].sort((a, b) => b.config.priority - a.config.priority);
}
