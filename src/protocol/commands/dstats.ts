// `dstats`: the daemon's own process information.

import { daemonSampler, NO_SUCH_PROCESS } from "../../stats/index.ts";
import { VERSION } from "../../version.ts";
import type { Command, JsonObject } from "../command.ts";
import { formatInfoLine } from "../procinfo.ts";

export const dstats = {
  name: "dstats",
  summary: "Get circusd stats",
  help: "Process information about the daemon itself.\n\n  circus ctl dstats",
  cli: [] as const,
  async: false,
  validate: () => ({}),
  execute() {
    // Circus's get_info() without children: `children` is always [].
    const info = daemonSampler.info(process.pid, { children: false });
    // `version` (beyond Circus): the running daemon's, which may differ from the client's after an upgrade.
    return { info: info === null ? NO_SUCH_PROCESS : ({ ...info, version: VERSION } as unknown as JsonObject) };
  },
  // circusctl indents the line by four spaces.
  format: (reply) => `Main Process:\n    ${formatInfoLine(reply.info as JsonObject)}`,
} satisfies Command<Record<string, never>>;
