// `reload`: graceful reload of one watcher or of all (does not re-read the config file).

import type { Command } from "../command.ts";
import { lookupWatcher, settle } from "../execution.ts";
import { optBool, optString } from "../props.ts";

export interface ReloadProps {
  name?: string;
  graceful: boolean;
  sequential: boolean;
}

export const reload = {
  name: "reload",
  summary: "Reload the arbiter or a watcher",
  help:
    "Replace the processes of a watcher (or of all watchers, by priority) with fresh ones: new processes first,\n" +
    "then the old ones stopped; --sequential replaces them one at a time; --terminate stops then starts.\n" +
    "The config file is not re-read (see reloadconfig).\n\n" +
    "  circus ctl reload [<name>] [--terminate] [--waiting] [--sequential]",
  cli: [
    { property: "name", kind: "positional", optional: true, description: "watcher name" },
    { property: "graceful", kind: "flag", description: "(--terminate sends graceful: false)" },
    { property: "sequential", kind: "flag", description: "one process at a time" },
    { property: "waiting", kind: "flag", description: "reply when done" },
  ] as const,
  async: true,
  validate: (p) => ({
    name: optString(p, "name"),
    graceful: optBool(p, "graceful", true),
    sequential: optBool(p, "sequential", false),
  }),
  async execute(ctx, { name, graceful, sequential }, waiting) {
    if (name === undefined) {
      await settle(ctx.arbiter.reload({ graceful, sequential }), waiting, "reload");
      return;
    }
    const w = lookupWatcher(ctx, name);
    const info = await settle(w.reload({ graceful, sequential }), waiting, `reload ${w.name}`);
    return info === undefined ? undefined : { info: { stopped: info.stopped, started: info.started, kept: info.kept } };
  },
  format: () => "ok",
} satisfies Command<ReloadProps>;
