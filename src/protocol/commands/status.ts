// `status`: one watcher's state (Circus puts it in the envelope's own `status` field), or all states.

import type { Command, JsonObject } from "../command.ts";
import { lookupWatcher } from "../execution.ts";
import { watcherExitKeys } from "../exit-state.ts";
import { optString } from "../props.ts";

export const status = {
  name: "status",
  summary: "Get the status of a watcher or all watchers",
  help:
    "The state of a watcher (active, stopped, starting, stopping), or of every watcher.\n" +
    "Note: with a name the reply's `status` field holds the state itself, as in Circus.\n" +
    "Beyond Circus the reply says why spawning gave up (`spawn_error`), how often processes were\n" +
    "respawned after dying on their own (`restarts`), the last exit (`last_exit`) and `exits` by reason;\n" +
    "without a name, per watcher in `details`.\n\n  circus ctl status [<name>]",
  cli: [{ property: "name", kind: "positional", optional: true, description: "watcher name" }] as const,
  async: false,
  validate: (p) => ({ name: optString(p, "name") }),
  execute(ctx, { name }) {
    if (name !== undefined) {
      const w = lookupWatcher(ctx, name);
      return { status: w.status(), ...watcherExitKeys(w.exitState()) };
    }
    const statuses: Record<string, string> = {};
    const details: JsonObject = {};
    for (const w of ctx.arbiter.watchers()) {
      statuses[w.name] = w.status();
      details[w.name] = watcherExitKeys(w.exitState());
    }
    return { statuses, details };
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
