// `get`: selected options of a watcher; only option names (§2.3) and the watcher's free options.

import type { Command, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { lookupWatcher } from "../execution.ts";
import { isListedOption, renderWatcherOption } from "../../config/options/watcher.ts";
import { watcherGroup } from "../../config/options/watcher-groups.ts";
import { requireString, requireValue } from "../props.ts";

export const get = {
  name: "get",
  summary: "Get the value of specific watcher options",
  help: "The values of the given options of a watcher, as `key: value` lines.\n\n  circus ctl get <name> <key> [<key>...]",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    { property: "keys", kind: "positional", variadic: true, description: "option names" },
  ] as const,
  async: false,
  validate(p) {
    const name = requireString(p, "name");
    const keys = requireValue(p, "keys");
    if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== "string")) {
      throw messageError(`message invalid 'keys' must be a non-empty list of strings, got ${JSON.stringify(keys)}`);
    }
    return { name, keys: keys as string[] };
  },
  execute(ctx, { name, keys }) {
    const watcher = lookupWatcher(ctx, name);
    const all = watcher.options();
    const options: JsonObject = {};
    for (const key of keys) {
      if (Object.hasOwn(all, key) || isListedOption(key)) {
        options[key] = (Object.hasOwn(all, key) ? all[key] : null) as JsonObject[string];
        continue;
      }
      // A prefixed key `set` accepts (ready.timeout) reads back too, though `options` lists it not (as Circus).
      const group = watcherGroup(key);
      const value = group?.get?.(watcher.config, key.slice(group.prefix.length));
      if (value === undefined) throw messageError(`'${key}' option not found`);
      options[key] = value as JsonObject[string];
    }
    return { options };
  },
  format(reply, request) {
    const opts = (reply.options ?? {}) as JsonObject;
    const order = ((request.properties as JsonObject | undefined)?.keys as string[] | undefined) ?? Object.keys(opts);
    return order
      .filter((k) => Object.hasOwn(opts, k))
      .map((k) => `${k}: ${renderWatcherOption(k, opts[k])}`)
      .join("\n");
  },
} satisfies Command<{ name: string; keys: string[] }>;
