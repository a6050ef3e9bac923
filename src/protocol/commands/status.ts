// `status`: one watcher's state (Circus puts it in the envelope's own `status` field), or all states.

import type { Command } from "../command.ts";
import { lookupWatcher } from "../execution.ts";
import { optString } from "../props.ts";

export const status = {
  name: "status",
  summary: "Get the status of a watcher or all watchers",
  help:
    "The state of a watcher (active, stopped, starting, stopping), or of every watcher.\n" +
    "Note: with a name the reply's `status` field holds the state itself, as in Circus.\n\n  circus ctl status [<name>]",
  cli: [{ property: "name", kind: "positional", optional: true, description: "watcher name" }] as const,
  async: false,
  validate: (p) => ({ name: optString(p, "name") }),
  execute(ctx, { name }) {
    if (name !== undefined) return { status: lookupWatcher(ctx, name).status() };
    const statuses: Record<string, string> = {};
    for (const w of ctx.arbiter.watchers()) statuses[w.name] = w.status();
    return { statuses };
  },
  format(reply) {
    const statuses = reply.statuses as Record<string, string> | undefined;
    if (!statuses) return String(reply.status);
    return Object.keys(statuses)
      .sort()
      .map((k) => `${k}: ${statuses[k]}`)
      .join("\n");
  },
} satisfies Command<{ name?: string }>;
