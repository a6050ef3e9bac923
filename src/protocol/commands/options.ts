// `options`: every option of a watcher (the §2.3 list plus its free options).

import type { Command, JsonObject } from "../command.ts";
import { lookupWatcher } from "../execution.ts";
import { renderWatcherOption } from "../../config/options/watcher.ts";
import { requireString } from "../props.ts";

export const options = {
  name: "options",
  summary: "Get the value of all options for a watcher",
  help: "All options of a watcher, as `key: value` lines.\n\n  circus ctl options <name>",
  cli: [{ property: "name", kind: "positional", description: "watcher name" }] as const,
  async: false,
  validate: (p) => ({ name: requireString(p, "name") }),
  execute: (ctx, { name }) => ({ options: lookupWatcher(ctx, name).options() as JsonObject }),
  format: (reply) => formatOptionLines((reply.options ?? {}) as JsonObject),
} satisfies Command<{ name: string }>;

/** `key: value` lines, sorted by key as circusctl prints them. */
export function formatOptionLines(options: JsonObject): string {
  return Object.keys(options)
    .sort()
    .map((k) => `${k}: ${renderWatcherOption(k, options[k])}`)
    .join("\n");
}
