// `version` (beyond Circus): which circus the daemon runs, and how many upgrades it went through — what
// `upgrade --waiting` and a fleet rollout check.

import type { Command } from "../command.ts";
import { VERSION } from "../../version.ts";

export const version = {
  name: "version",
  summary: "Show the daemon's circus version",
  help:
    "Print the version of circus the daemon runs (after an upgrade: the new one), its pid, how many\n" +
    "upgrades it went through and, when the last one failed after its checks had passed, why.\n\n  circus ctl version",
  cli: [] as const,
  async: false,
  validate: () => ({}),
  execute(ctx) {
    return (
      ctx.daemonVersion?.() ?? {
        version: VERSION,
        pid: process.pid,
        upgrades: 0,
        upgrade_error: null,
        started: Math.round(performance.timeOrigin) / 1000,
      }
    );
  },
  format: (reply) => String(reply.version),
} satisfies Command<Record<string, never>>;
