// `globaloptions`: the arbiter's endpoints and check delay, or one of them.

import { formatOptionValue } from "../options.ts";
import type { Command, Json, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { optString } from "../props.ts";

const GLOBAL_KEYS = ["endpoint", "stats_endpoint", "pubsub_endpoint", "check_delay", "multicast_endpoint"] as const;

export const globaloptions: Command<{ option?: string }> = {
  name: "globaloptions",
  summary: "Get the arbiter options",
  help: `The arbiter's options (${GLOBAL_KEYS.join(", ")}), or just one.\n\n  circus ctl globaloptions [<option>]`,
  cli: [{ property: "option", kind: "positional", optional: true, description: "option name" }],
  async: false,
  validate(p) {
    const option = optString(p, "option");
    if (option !== undefined && !(GLOBAL_KEYS as readonly string[]).includes(option)) {
      throw messageError(`'${option}' not an existing option`);
    }
    return { option };
  },
  execute(ctx, { option }) {
    const all = ctx.arbiter.globalOptions() as Record<string, unknown>;
    const options: JsonObject = {};
    for (const key of option ? [option] : GLOBAL_KEYS) options[key] = (all[key] ?? null) as Json;
    return { options };
  },
  format(reply) {
    const opts = (reply.options ?? {}) as JsonObject;
    return Object.keys(opts)
      .map((k) => `${k}: ${formatOptionValue(k, opts[k])}`)
      .join("\n");
  },
};
