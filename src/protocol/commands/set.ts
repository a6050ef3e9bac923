// `set`: change watcher options; every key is checked by the watcher table before any is applied.

import { checkWatcherOptions } from "../../config/options/watcher-wire.ts";
import type { Command, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { checkOwnerChange, withOptionsApplied } from "../boundary.ts";
import { configDirOf, lookupWatcher, settle } from "../execution.ts";
import { requireString, requireValue } from "../props.ts";

export const set = {
  name: "set",
  summary: "Set a watcher option",
  help:
    "Change options of a watcher; changes to cmd, args, env, uid, gid, working_dir, shell, max_age(_variance)\n" +
    "reload it gracefully, numprocesses resizes it.\n\n" +
    "  circus ctl set <name> <key> <value> [<key> <value>...] [--waiting]",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    {
      property: "options",
      kind: "positional",
      variadic: true,
      convert: "set-options",
      description: "key value pairs",
    },
    { property: "waiting", kind: "flag", description: "reply once the change is applied" },
  ] as const,
  async: true,
  validate(p) {
    const name = requireString(p, "name");
    const options = requireValue(p, "options");
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw messageError(`message invalid 'options' must be an object, got ${JSON.stringify(options)}`);
    }
    return { name, options };
  },
  async execute(ctx, { name, options }, waiting) {
    const w = lookupWatcher(ctx, name);
    // Every key is checked before any is applied; an OptionError is the reply (errno 3, or 5 for a singleton).
    const checked = checkWatcherOptions(options, "set", { free: w.config.free, singleton: w.config.singleton });
    const owner = ctx.requester?.owner;
    if (owner) {
      const configDir = configDirOf(ctx);
      checkOwnerChange(owner, w.config, withOptionsApplied(w.config, checked, configDir), configDir);
    }
    // The arbiter is called synchronously, so this change is queued in arrival order.
    await settle(w.setOptions(checked), waiting, `set ${w.name}`);
  },
  format: () => "ok",
} satisfies Command<{ name: string; options: JsonObject }>;
