// `dstats`: the daemon's own process information.

import { daemonSampler, NO_SUCH_PROCESS } from "../../stats/index.ts";
import type { Command, JsonObject } from "../command.ts";
import { formatInfoLine } from "../procinfo.ts";

export const dstats: Command<Record<string, never>> = {
  name: "dstats",
  summary: "Get circusd stats",
  help: "Process information about the daemon itself.\n\n  circus ctl dstats",
  cli: [],
  async: false,
  validate: () => ({}),
  execute() {
    // Circus's get_info() without children: `children` is always [].
    const info = daemonSampler.info(process.pid, { children: false });
    return { info: info === null ? NO_SUCH_PROCESS : (info as unknown as JsonObject) };
  },
  // circusctl indents the line by four spaces.
  format: (reply) => `Main Process:\n    ${formatInfoLine(reply.info as JsonObject)}`,
};
