// `listen` is a client-side command (a SUB on the pub/sub endpoint); sent to the control socket it is refused.

import type { Command } from "../command.ts";
import { messageError } from "../errors.ts";
import { DEFAULT_PUBSUB_ENDPOINT } from "../../config/options/circus.ts";

export const listen = {
  name: "listen",
  summary: "Subscribe to a watcher event",
  help:
    "Print events from the pub/sub endpoint as `<topic>: <payload>`, filtered by topic prefixes (none = all).\n\n" +
    `  circus ctl listen [<topic>...]   (--endpoint is the pub/sub endpoint, default ${DEFAULT_PUBSUB_ENDPOINT})`,
  cli: [
    { property: "topics", kind: "positional", optional: true, variadic: true, description: "topic prefixes" },
  ] as const,
  async: false,
  validate: () => ({ topics: [] }),
  execute() {
    throw messageError("invalid message. use a pub/sub socket");
  },
  format: () => "",
} satisfies Command<{ topics: string[] }>;
