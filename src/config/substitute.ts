// `$(circus.KEY)` / `((circus.KEY))` variable substitution, used at load time (env.*) and again by the
// arbiter at spawn time (wid, sockets.*, env.*, …). Keys are case-insensitive; unknown ones stay as written.

const PATTERN = /\$\(([\w.-]+)\)|\(\(([\w.-]+)\)\)/g;
const PREFIX = "circus.";

/** Lower-case the keys of a variable map once, so repeated substitutions can share it. */
export function substitutionVars(vars: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(vars)) out.set(k.toLowerCase(), v);
  return out;
}

/**
 * Replace `$(circus.KEY)` and `((circus.KEY))` by `vars[KEY]` (matched case-insensitively, keys given
 * without the `circus.` prefix, e.g. `wid`, `env.PATH`, `sockets.web`). Single pass; unknown keys untouched.
 */
export function substitute(text: string, vars: Record<string, string> | Map<string, string>): string {
  if (!text.includes("$(") && !text.includes("((")) return text;
  const table = vars instanceof Map ? vars : substitutionVars(vars);
  return text.replace(PATTERN, (whole: string, dollar: string | undefined, paren: string | undefined) => {
    const option = (dollar ?? paren ?? "").toLowerCase();
    if (!option.startsWith(PREFIX)) return whole;
    const value = table.get(option.slice(PREFIX.length));
    return value === undefined ? whole : value;
  });
}

/** The load-stage variables `env.<NAME>` for an environment (later maps win). */
export function envVars(...layers: Record<string, string>[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) out.set(`env.${k.toLowerCase()}`, v);
  return out;
}
