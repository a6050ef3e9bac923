// What every command needs to run: watcher lookup and matching, mapping arbiter failures to errnos,
// and the `waiting` rule (reply now and finish in the background, or reply when done).

import type { CircusConfig } from "../config/types.ts";
import { getLogger } from "../util/log.ts";
import { Glob } from "../util/glob.ts";
import type { ControlledWatcher } from "./arbiter-api.ts";
import type { CommandContext } from "./command.ts";
import { CommandError, Errno, messageError, toCommandError } from "./errors.ts";

const log = getLogger("circus.protocol");

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

/** The config file read again for `what` (null: the daemon runs without one); a broken file is errno 5. */
export async function rereadConfig(ctx: CommandContext, what: string): Promise<CircusConfig | null> {
  try {
    return await ctx.loadConfig();
  } catch (err) {
    throw new CommandError(Errno.COMMAND_ERROR, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** Pids of a watcher's live processes, in spawn order. */
export function pidsOf(w: ControlledWatcher): number[] {
  return w.processes().map((p) => p.pid);
}

/** Sort watchers by descending priority (ties keep their order), as Circus starts them. */
export function byPriority(ws: readonly ControlledWatcher[]): ControlledWatcher[] {
  return [...ws].sort((a, b) => b.config.priority - a.config.priority);
}
