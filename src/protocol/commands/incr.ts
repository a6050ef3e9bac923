// `incr` / `decr`: change a watcher's target process count (singletons refuse, as in Circus).

import type { Command, CommandContext, Reply } from "../command.ts";
import { lookupWatcher, settle } from "../execution.ts";
import { optInt, requireString } from "../props.ts";

export interface ResizeProps {
  name: string;
  nb: number;
}

export const SINGLETON_SENTENCE = "This watcher is a Singleton - not changing the number of processes";

function resize<D extends "incr" | "decr">(direction: D) {
  const verb = direction === "incr" ? "Increment" : "Decrement";
  return {
    name: direction,
    summary: `${verb} the number of processes in a watcher`,
    help:
      `${verb} the target number of processes of a watcher by <nb> (default 1; never below 0).\n` +
      `With --waiting the reply carries the new target.\n\n  circus ctl ${direction} <name> [<nb>] [--waiting]`,
    cli: [
      { property: "name", kind: "positional", description: "watcher name" },
      { property: "nb", kind: "positional", optional: true, convert: "int", description: "how many processes (1)" },
      { property: "waiting", kind: "flag", description: "wait until the processes are spawned or stopped" },
    ] as const,
    async: true,
    validate: (p) => ({ name: requireString(p, "name"), nb: optInt(p, "nb", 0) ?? 1 }),
    async execute(ctx: CommandContext, { name, nb }, waiting) {
      const w = lookupWatcher(ctx, name);
      if (w.config.singleton) return { numprocesses: w.config.numprocesses, singleton: true };
      const target = await settle(direction === "incr" ? w.incr(nb) : w.decr(nb), waiting, `${direction} ${w.name}`);
      return target === undefined ? undefined : { numprocesses: target };
    },
    format(reply: Reply) {
      if (reply.singleton) return SINGLETON_SENTENCE;
      return reply.numprocesses === undefined ? "ok" : String(reply.numprocesses);
    },
  } satisfies Command<ResizeProps>;
}

export const incr = resize("incr");
export const decr = resize("decr");
