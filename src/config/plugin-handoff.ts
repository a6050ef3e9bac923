// How the daemon hands a plugin process its options: a JSON object of strings in an environment
// variable, so values with spaces or colons arrive whole (Circus's unquoted `--config` broke them)
// and secrets (a redis_url password) stay out of the world-readable command line.

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
  for (const [k, v] of Object.entries(parsed)) out[k] = String(v);
  return out;
}
