// `globaloptions`: the arbiter's endpoints and check delay, or one of them.

import { GLOBAL_OPTION_KEYS, renderCircusOption } from "../../config/options/circus.ts";
import { VERSION } from "../../version.ts";
import type { Command, Json, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { optString } from "../props.ts";

export const globaloptions = {
  name: "globaloptions",
  summary: "Get the arbiter options",
  help: `The arbiter's options (${GLOBAL_OPTION_KEYS.join(", ")}) and the daemon's version, or just one.\n\n  circus ctl globaloptions [<option>]`,
  cli: [{ property: "option", kind: "positional", optional: true, description: "option name" }] as const,
  async: false,
  validate(p) {
    const option = optString(p, "option");
    if (option !== undefined && option !== "version" && !(GLOBAL_OPTION_KEYS as readonly string[]).includes(option)) {
      throw messageError(`'${option}' not an existing option`);
    }
    return { option };
  },
  execute(ctx, { option }) {
    const all = ctx.arbiter.globalOptions() as Record<string, unknown>;
    const options: JsonObject = {};
    for (const key of option ? [option] : GLOBAL_OPTION_KEYS) {
      // `version` (beyond Circus): which circus answers, for clients and bug reports.
      options[key] = key === "version" ? VERSION : ((all[key] ?? null) as Json);
    }
    if (!option) options.version = VERSION;
    return { options };
  },
  format(reply) {
    const opts = (reply.options ?? {}) as JsonObject;
    return Object.keys(opts)
      .map((k) => `${k}: ${renderCircusOption(k, opts[k])}`)
      .join("\n");
  },
} satisfies Command<{ option?: string }>;
