// The [plugin:NAME] table: the keys every plugin section has, and how a plugin reads its own options.
// A plugin declares its options as an option table (the same spec the sections use) and reads the
// section's strings with readPluginOptions, so its settings get the same parsing, defaults, range
// checks, did-you-mean and README rows as everything else.

import { ScalarError } from "../scalars.ts";
import { suggest } from "../suggest.ts";
import { bool, int, text } from "./kinds.ts";
import { FILE_KEYS } from "./watcher.ts";
import { type OptionSpec, option, plainContext, putOwn, rangeProblem, type ValuesOf } from "./spec.ts";

/** Keys common to every plugin section, besides the plugin's own options. */
export const PLUGIN_OPTIONS = {
  use: option(text, {
    default: "",
    doc: "the plugin to run, e.g. `circus.plugins.flapping.Flapping` (required)",
  }),
  priority: option(int, { default: 1, doc: "priority of the plugin's watcher (higher starts earlier)" }),
  active: option(bool, { default: true, doc: "false: the plugin runs but does nothing (Circus's `active`)" }),
} as const satisfies Record<string, OptionSpec<unknown>>;

/** A plugin's own options: any table of option specs. */
export type PluginOptionTable = Readonly<Record<string, OptionSpec<unknown>>>;

/** One problem with a plugin option: the key and what is wrong. */
export interface PluginOptionProblem {
  key: string;
  message: string;
}

/** What readPluginOptions found: typed values (defaults filled in), problems, and keys it did not know. */
export interface PluginOptionsResult<T extends PluginOptionTable> {
  values: ValuesOf<T>;
  problems: PluginOptionProblem[];
  /** Keys neither in the plugin's table nor common to plugins, each with a near known key or null. */
  unknown: { key: string; near: string | null }[];
}

/**
 * Read a plugin section's string options (PluginConfig.options, or the `--config` a plugin process
 * gets) by the plugin's table: each value parsed by its kind, range-checked, absent ones defaulted.
 * Keys of the common table and watcher options (they configure the plugin's watcher) are not unknown.
 */
export function readPluginOptions<T extends PluginOptionTable>(
  table: T,
  options: Readonly<Record<string, string>>,
): PluginOptionsResult<T> {
  const values: Record<string, unknown> = {};
  const problems: PluginOptionProblem[] = [];
  for (const [key, spec] of Object.entries(table)) {
    values[key] = spec.default;
    if (!Object.hasOwn(options, key)) continue;
    try {
      const value = spec.kind.fromText(options[key]!, plainContext());
      const range = rangeProblem(spec.range, value);
      if (range) problems.push({ key, message: range });
      else putOwn(values, key, value);
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      problems.push({ key, message: err.message });
    }
  }
  // Watcher options in a plugin section configure the plugin's own watcher (as in Circus).
  const known = [...Object.keys(table), ...Object.keys(PLUGIN_OPTIONS), ...FILE_KEYS];
  const unknown = Object.keys(options)
    .filter((key) => !known.includes(key) && key !== "__name__")
    .map((key) => ({ key, near: suggest(key, known) }));
  return { values: values as ValuesOf<T>, problems, unknown };
}
