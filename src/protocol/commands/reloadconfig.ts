// `reloadconfig`: re-read the config file and apply the differences; a broken file changes nothing.

import type { Command } from "../command.ts";
import { CommandError, Errno } from "../errors.ts";
import { rereadConfig, settle } from "../execution.ts";

export const reloadconfig = {
  name: "reloadconfig",
  summary: "Reload the configuration file",
  help:
    "Re-read the configuration file: new watchers and sockets are created, removed ones stopped, changed ones\n" +
    "replaced; unchanged watchers keep running. A file that does not load leaves everything as it is.\n\n" +
    "  circus ctl reloadconfig [--waiting]",
  cli: [{ property: "waiting", kind: "flag", description: "reply when done" }] as const,
  async: true,
  validate: () => ({}),
  async execute(ctx, _props, waiting) {
    const config = await rereadConfig(ctx, "reloadconfig");
    if (config === null)
      throw new CommandError(Errno.COMMAND_ERROR, "reloadconfig: the daemon runs without a config file");
    await settle(ctx.arbiter.reloadConfig(config), waiting, "reloadconfig");
  },
  format: () => "ok",
} satisfies Command<Record<string, never>>;
