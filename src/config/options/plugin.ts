// The [plugin:NAME] table (the keys every plugin section has) and how a plugin reads its own options.
// Every plugin, built-in or the user's, declares its options as a table of `option(kind, {...})`
// entries (the spec the sections use) and gets them through readPluginOptions, whether they come from
// the config file, Circus's `--config key:value:::…` text or the daemon's JSON handoff: the same
// parsing, defaults, range checks, did-you-mean and README rows as everything else.

import { ScalarError } from "../scalars.ts";
import { suggest } from "../suggest.ts";
import { bool, int, text } from "./kinds.ts";
import { type OptionSpec, option, plainContext, putOwn, rangeProblem, specOf, type ValuesOf } from "./spec.ts";
import { FILE_KEYS } from "./watcher.ts";
import { watcherGroup } from "./watcher-groups.ts";

/**
 * Keys common to every plugin section, besides the plugin's own options. `active` is also an option
 * of every plugin; `priority`, `singleton` and `copy_env` are Circus's settings of a plugin's watcher,
 * under what the section says.
 */
export const PLUGIN_OPTIONS = {
  use: option(text, {
    default: "",
    required: true,
    doc: "the plugin: a built-in (`circus.plugins.flapping.Flapping` or `flapping`) or your module `./plugins/mine.ts:MyPlugin`, relative to the config file",
  }),
  active: option(bool, {
    default: true,
    doc: "false: the plugin does not run (its watcher is not started; run by hand it exits at once)",
  }),
  priority: option(int, {
    default: 1,
    doc: "priority of the plugin's watcher: higher starts earlier (before your watchers)",
  }),
  singleton: option(bool, { default: true, doc: "the plugin's watcher runs one process" }),
  copy_env: option(bool, { default: true, doc: "the plugin's process starts from the daemon's environment" }),
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
  /** Keys neither in the plugin's table nor common to plugins nor watcher keys, each with a near known key or null. */
  unknown: { key: string; near: string | null }[];
}

/**
 * True when `key` of a plugin section configures the plugin's watcher (as in Circus: `priority`,
 * `stop_signal`, `stdout_stream.*`, `rlimit_*` …). `flapping.*` keys are free options, not the watcher's.
 */
export function isWatcherKey(key: string): boolean {
  if (FILE_KEYS.includes(key)) return true;
  const group = watcherGroup(key);
  return group !== undefined && group.prefix !== "flapping.";
}

/** The option of `table` that `key` names: itself, or the option it is an alias of. */
export function pluginOptionName(table: PluginOptionTable, key: string): string | undefined {
  if (specOf(table, key) !== undefined) return key;
  for (const [name, spec] of Object.entries(table)) if (spec.aliases?.includes(key)) return name;
  return undefined;
}

/** One option's text read by its kind and range-checked; throws ScalarError saying what is expected. */
export function readPluginOption<T>(spec: OptionSpec<T>, value: string): T {
  const parsed = spec.kind.fromText(value, plainContext());
  const range = rangeProblem(spec.range, parsed);
  if (range) throw new ScalarError(range);
  return parsed;
}

/**
 * Read a plugin's string options (a section's PluginConfig.options, `--config` text, or the JSON the
 * daemon hands the plugin process) by the plugin's table: each value parsed by its kind, range-checked,
 * absent ones defaulted, missing required ones reported. An alias fills its option unless the option's
 * own name is given too. Keys common to plugin sections and watcher keys (they configure the plugin's
 * watcher) are not unknown.
 */
export function readPluginOptions<T extends PluginOptionTable>(
  table: T,
  options: Readonly<Record<string, string>>,
): PluginOptionsResult<T> {
  const given = new Map<string, string>();
  const unknown: PluginOptionsResult<T>["unknown"] = [];
  const known = [...Object.keys(table), ...Object.keys(PLUGIN_OPTIONS), ...FILE_KEYS];
  for (const [key, value] of Object.entries(options)) {
    const name = pluginOptionName(table, key);
    if (name === undefined) {
      if (key !== "__name__" && !Object.hasOwn(PLUGIN_OPTIONS, key) && !isWatcherKey(key))
        unknown.push({ key, near: suggest(key, known) });
      continue;
    }
    if (!given.has(name) || key === name) given.set(name, value);
  }
  const values: Record<string, unknown> = {};
  const problems: PluginOptionProblem[] = [];
  for (const [name, spec] of Object.entries(table)) {
    putOwn(values, name, spec.default);
    const value = given.get(name);
    if (value === undefined) {
      if (spec.required) problems.push({ key: name, message: `${name} is required: ${spec.doc}` });
      continue;
    }
    try {
      putOwn(values, name, readPluginOption(spec, value));
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      problems.push({ key: name, message: err.message });
    }
  }
  return { values: values as ValuesOf<T>, problems, unknown };
}
