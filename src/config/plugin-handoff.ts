// How a plugin process receives its options, as strings that readPluginOptions then parses by the
// plugin's table (options/plugin.ts): from the daemon, a JSON object in an environment variable, so
// values with spaces or colons arrive whole (Circus's unquoted `--config` broke them) and secrets (a
// redis_url password) stay out of the world-readable command line; by hand, Circus's `--config` text.

import { putOwn, type WireValue, wireText } from "./options/spec.ts";

/** The environment variable holding the options. */
export const PLUGIN_OPTIONS_ENV = "CIRCUS_PLUGIN_OPTIONS";

/** Options as the daemon passes them. */
export function encodeOptions(options: Readonly<Record<string, string>>): string {
  return JSON.stringify(options);
}

/** Options from the variable's text (none when unset); throws when it is not a JSON object. */
export function decodeOptions(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${PLUGIN_OPTIONS_ENV} is not a JSON object`);
  // A value written by hand as a JSON number or list is read as its text, as `set` reads free options.
  for (const [k, v] of Object.entries(parsed as Record<string, WireValue>)) putOwn(out, k, wireText(v));
  return out;
}

/** Circus's `--config` text: `key:value:::key2:value2`, split on `:::` then on the first `:`, trimmed. */
export function parseConfigText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(":::")) {
    const colon = item.indexOf(":");
    if (colon < 0) continue; // Circus skips items without a colon
    putOwn(out, item.slice(0, colon).trim(), item.slice(colon + 1).trim());
  }
  return out;
}

/** Circus's serialisation of a config map for `--config` (sorted keys). Values must not contain `:::`. */
export function formatConfigText(options: Readonly<Record<string, string>>): string {
  return Object.keys(options)
    .sort()
    .map((k) => `${k}:${options[k]}`)
    .join(":::");
}
