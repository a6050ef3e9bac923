// `list`: watcher names (sorted, lower-cased), or the pids of one watcher's live processes.

import type { Command } from "../command.ts";
import { lookupWatcher, pidsOf } from "../execution.ts";
import { optString } from "../props.ts";

export const list = {
  name: "list",
  summary: "Get list of watchers or processes in a watcher",
  help: "Without a name: the names of all watchers. With a name: the pids of that watcher's processes.\n\n  circus ctl list [<name>]",
  cli: [{ property: "name", kind: "positional", optional: true, description: "watcher name" }] as const,
  async: false,
  validate: (p) => ({ name: optString(p, "name") }),
  execute(ctx, { name }) {
    if (name !== undefined) return { pids: pidsOf(lookupWatcher(ctx, name)) };
    return {
      watchers: ctx.arbiter
        .watchers()
        .map((w) => w.name.toLowerCase())
        .sort(),
    };
  },
  format(reply) {
    const items = (reply.pids ?? reply.watchers ?? []) as unknown[];
    return items.join(",");
  },
} satisfies Command<{ name?: string }>;
