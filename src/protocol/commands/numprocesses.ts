// `numprocesses`: processes a watcher currently tracks (actual, not the target), or the sum over all.

import type { Command } from "../command.ts";
import { lookupWatcher } from "../execution.ts";
import { optString } from "../props.ts";

export const numprocesses = {
  name: "numprocesses",
  summary: "Get the number of processes",
  help: "The number of running processes of a watcher, or of all watchers.\n\n  circus ctl numprocesses [<name>]",
  cli: [{ property: "name", kind: "positional", optional: true, description: "watcher name" }] as const,
  async: false,
  validate: (p) => ({ name: optString(p, "name") }),
  execute(ctx, { name }) {
    if (name !== undefined) return { numprocesses: lookupWatcher(ctx, name).processes().length, watcher_name: name };
    let n = 0;
    for (const w of ctx.arbiter.watchers()) n += w.processes().length;
    return { numprocesses: n };
  },
  format: (reply) => String(reply.numprocesses),
} satisfies Command<{ name?: string }>;
