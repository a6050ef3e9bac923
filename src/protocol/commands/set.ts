// `set`: change watcher options; every key is checked before any is applied.

import type { Command, JsonObject } from "../command.ts";
import { CommandError, Errno, messageError } from "../errors.ts";
import { lookupWatcher, settle } from "../execution.ts";
import { isOptionName, validateOptions } from "../options.ts";
import { requireString, requireValue } from "../props.ts";

export const set: Command<{ name: string; options: JsonObject }> = {
  name: "set",
  summary: "Set a watcher option",
  help:
    "Change options of a watcher; changes to cmd, args, env, uid, gid, working_dir, shell, max_age(_variance)\n" +
    "reload it gracefully, numprocesses resizes it.\n\n" +
    "  circus ctl set <name> <key> <value> [<key> <value>...] [--waiting]",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    { property: "options", kind: "positional", variadic: true, description: "key value pairs" },
    { property: "waiting", kind: "flag", description: "reply once the change is applied" },
  ],
  async: true,
  validate(p) {
    const name = requireString(p, "name");
    const options = requireValue(p, "options");
    if (typeof options !== "object" || Array.isArray(options)) {
      throw messageError(`message invalid 'options' must be an object, got ${JSON.stringify(options)}`);
    }
    return { name, options: options as JsonObject };
  },
  async execute(ctx, { name, options }, waiting) {
    const w = lookupWatcher(ctx, name);
    const current = w.options();
    const free = new Set(Object.keys(current).filter((k) => !isOptionName(k)));
    const checked = validateOptions(options, "set", free);
    if (w.config.singleton && typeof checked.numprocesses === "number" && checked.numprocesses > 1) {
      throw new CommandError(Errno.COMMAND_ERROR, "Cannot set numprocesses > 1 on a singleton watcher");
    }
    // The arbiter is called synchronously, so this change is queued in arrival order.
    await settle(w.setOptions(checked), waiting, `set ${w.name}`);
  },
  format: () => "ok",
};
