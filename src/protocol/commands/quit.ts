// `quit`: stop every watcher and make the daemon exit.

import type { Command } from "../command.ts";
import { settle } from "../execution.ts";

export const quit = {
  name: "quit",
  summary: "Quit the arbiter immediately",
  help: "Stop all watchers and exit the daemon. With --waiting the reply comes once the watchers are stopped.\n\n  circus ctl quit [--waiting]",
  cli: [{ property: "waiting", kind: "flag", description: "reply once every watcher is stopped" }] as const,
  async: true,
  validate: () => ({}),
  async execute(ctx, _props, waiting) {
    if (waiting) await settle(ctx.arbiter.stop(), true, "quit");
    // After this turn of the event loop, so the reply is queued before the daemon closes the control
    // socket (which lingers until queued replies are written).
    setImmediate(() => void ctx.quit());
  },
  format: () => "ok",
} satisfies Command<Record<string, never>>;
