// `rm`: remove a watcher (and stop its processes unless `nostop`).

import type { Command } from "../command.ts";
import { lookupWatcher, settle } from "../execution.ts";
import { optBool, requireString } from "../props.ts";

export const rm = {
  name: "rm",
  summary: "Remove a watcher",
  help:
    "Remove a watcher; its processes are stopped unless --nostop (they then keep running unmanaged).\n\n" +
    "  circus ctl rm <name> [--nostop] [--waiting]",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    { property: "nostop", kind: "flag", description: "leave its processes running" },
    { property: "waiting", kind: "flag", description: "wait until its processes are stopped" },
  ] as const,
  async: true,
  validate: (p) => ({ name: requireString(p, "name"), nostop: optBool(p, "nostop", false) }),
  async execute(ctx, { name, nostop }, waiting) {
    const w = lookupWatcher(ctx, name);
    await settle(ctx.arbiter.removeWatcher(w.name, { nostop }), waiting, `rm ${w.name}`);
  },
  format: () => "ok",
} satisfies Command<{ name: string; nostop: boolean }>;
