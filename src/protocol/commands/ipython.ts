// `ipython`: Circus opens an IPython kernel inside circusd; there is no Python here, so say so.

import type { Command } from "../command.ts";
import { CommandError, Errno } from "../errors.ts";

export const ipython = {
  name: "ipython",
  summary: "Create shell into circusd process",
  help: "Circus attaches an IPython shell to the daemon; this implementation has no Python, so it answers an error.",
  cli: [] as const,
  async: false,
  validate: () => ({}),
  execute() {
    throw new CommandError(Errno.UNKNOWN_COMMAND, "ipython is not available in this implementation");
  },
  format: () => "error: Could not start ipython kernel",
} satisfies Command<Record<string, never>>;
