// `numwatchers`: how many watchers the arbiter runs (internal ones included).

import type { Command } from "../command.ts";

export const numwatchers = {
  name: "numwatchers",
  summary: "Get the number of watchers",
  help: "The number of watchers.\n\n  circus ctl numwatchers",
  cli: [] as const,
  async: false,
  validate: () => ({}),
  execute: (ctx) => ({ numwatchers: ctx.arbiter.watchers().length }),
  format: (reply) => String(reply.numwatchers),
} satisfies Command<Record<string, never>>;
