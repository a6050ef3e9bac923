// `dstats`: the daemon's own process information.

import type { Command, JsonObject } from "../command.ts";
import { formatInfoLine, processInfo } from "../procinfo.ts";

export const dstats: Command<Record<string, never>> = {
  name: "dstats",
  summary: "Get circusd stats",
  help: "Process information about the daemon itself.\n\n  circus ctl dstats",
  cli: [],
  async: false,
  validate: () => ({}),
  execute() {
    const info = processInfo(process.pid, false);
    if (typeof info === "object") info.children = [];
    return { info };
  },
  format: (reply) => `Main Process:\n${formatInfoLine(reply.info as JsonObject)}`,
};
