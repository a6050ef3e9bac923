// Every control command by wire name; the daemon dispatches through it and clients read CLI metadata from it.

import type { Command } from "./command.ts";
import { add } from "./commands/add.ts";
import { decr } from "./commands/decr.ts";
import { dstats } from "./commands/dstats.ts";
import { get } from "./commands/get.ts";
import { globaloptions } from "./commands/globaloptions.ts";
import { incr } from "./commands/incr.ts";
import { ipython } from "./commands/ipython.ts";
import { kill } from "./commands/kill.ts";
import { list } from "./commands/list.ts";
import { listen } from "./commands/listen.ts";
import { listsockets } from "./commands/listsockets.ts";
import { logs } from "./commands/logs.ts";
import { numprocesses } from "./commands/numprocesses.ts";
import { numwatchers } from "./commands/numwatchers.ts";
import { options } from "./commands/options.ts";
import { ps } from "./commands/ps.ts";
import { quit } from "./commands/quit.ts";
import { reload } from "./commands/reload.ts";
import { reloadconfig } from "./commands/reloadconfig.ts";
import { reopen } from "./commands/reopen.ts";
import { restart } from "./commands/restart.ts";
import { rm } from "./commands/rm.ts";
import { set } from "./commands/set.ts";
import { signal } from "./commands/signal.ts";
import { start } from "./commands/start.ts";
import { stats } from "./commands/stats.ts";
import { status } from "./commands/status.ts";
import { stop } from "./commands/stop.ts";
import { upgrade } from "./commands/upgrade.ts";
import { version } from "./commands/version.ts";

/**
 * Every command by wire name: the one list. The daemon dispatches through COMMANDS, circusctl reads its
 * CLI words from it, and the typed client derives its methods (and their types) from this object.
 */
export const REGISTRY = {
  add,
  decr,
  dstats,
  get,
  globaloptions,
  incr,
  ipython,
  kill,
  list,
  listen,
  listsockets,
  logs,
  numprocesses,
  numwatchers,
  options,
  ps,
  quit,
  reload,
  reloadconfig,
  reopen,
  restart,
  rm,
  set,
  signal,
  start,
  stats,
  status,
  stop,
  upgrade,
  version,
} as const;

export type Registry = typeof REGISTRY;

// Each command narrows its own property type; the registry only needs the common shape. Command's
// members are methods, so their parameters are bivariant and every Command<P> fits Command<unknown>.
type AnyCommand = Command<unknown>;

const ALL: AnyCommand[] = Object.values(REGISTRY);

/** Commands keyed by wire name (lower-case). */
export const COMMANDS: ReadonlyMap<string, AnyCommand> = new Map(ALL.map((c) => [c.name, c]));

/** Look a command up by wire name (case-insensitive); undefined when unknown. */
export function getCommand(name: string): AnyCommand | undefined {
  return COMMANDS.get(name.toLowerCase());
}

/** Command names, sorted (for help listings and completion). */
export function commandNames(): string[] {
  return [...COMMANDS.keys()].sort();
}
