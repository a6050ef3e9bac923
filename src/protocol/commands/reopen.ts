// `reopen` (beyond Circus): what SIGUSR1 does — reopen the daemon's log file and every output stream's
// file, so logrotate can move them away (`postrotate circus ctl reopen`).

import type { Command } from "../command.ts";
import { CommandError, Errno } from "../errors.ts";

export const reopen = {
  name: "reopen",
  summary: "Reopen log files and output stream files",
  help:
    "Reopen the daemon's log file and every stdout/stderr stream file (as SIGUSR1 to the daemon), e.g. from\n" +
    "logrotate's postrotate after moving them away. Prints the files reopened.\n\n" +
    "  circus ctl reopen",
  cli: [] as const,
  async: false,
  validate: () => ({}),
  async execute(ctx) {
    if (!ctx.reopen) throw new CommandError(Errno.COMMAND_ERROR, "reopen is not available in this daemon");
    return { files: await ctx.reopen() };
  },
  format: (reply) => ((reply.files ?? []) as string[]).join("\n") || "ok",
} satisfies Command<Record<string, never>>;
