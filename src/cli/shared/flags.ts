// Command lines of the tools that declare their options with cac: parsed here by the declared spec, so
// an unknown option or an option missing its value is a usage error (exit 2) naming the fix, and a flag
// never swallows the word after it (`--daemon circus.ini`). cac still writes `--help`.

import type { CAC } from "cac";
import { didYouMean } from "../../config/suggest.ts";

interface FlagSpec {
  /** Every spelling without dashes: `log-level`, `h`. */
  names: string[];
  /** The key in the parsed options: the long name in camelCase (`logLevel`). */
  key: string;
  /** Written `--name <value>`: a value must follow. */
  takesValue: boolean;
  defaultValue: unknown;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function flagSpecs(cli: CAC): FlagSpec[] {
  return cli.globalCommand.options.map((o) => {
    const bare = o.rawName.replace(/[<[].*$/, "");
    const names = bare
      .split(",")
      .map((n) => n.trim().replace(/^-{1,2}/, ""))
      .filter(Boolean);
    const long = [...names].sort((a, b) => b.length - a.length)[0]!;
    return { names, key: camelCase(long), takesValue: o.rawName.includes("<"), defaultValue: o.config.default };
  });
}

export type ParsedFlags =
  | { problem: string }
  | { options: Record<string, string | boolean | undefined>; args: string[] };

/**
 * Parse `argv` (the words after the tool's name) by `cli`'s declared options: `--name value`,
 * `--name=value`, flags; words after `--` are arguments. Declared defaults fill options not given.
 * A problem: an unknown option (with a did-you-mean), or an option that needs a value and has none.
 */
export function parseFlags(cli: CAC, argv: readonly string[]): ParsedFlags {
  const specs = flagSpecs(cli);
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const options: Record<string, string | boolean | undefined> = {};
  for (const s of specs) if (s.defaultValue !== undefined) options[s.key] = String(s.defaultValue);
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-" || /^-\d/.test(token)) {
      args.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = (eq < 0 ? token : token.slice(0, eq)).replace(/^-{1,2}/, "");
    const spec = byName.get(name);
    if (spec === undefined) {
      const hint = didYouMean(name, byName.keys(), { show: (n) => (n.length === 1 ? `-${n}` : `--${n}`) });
      return { problem: `unknown option ${eq < 0 ? token : token.slice(0, eq)}${hint ? `; ${hint}` : ""}` };
    }
    if (!spec.takesValue) {
      if (eq >= 0) return { problem: `option --${name} takes no value` };
      options[spec.key] = true;
      continue;
    }
    if (eq >= 0) {
      const value = token.slice(eq + 1);
      if (value === "") return { problem: `option --${name} needs a value` };
      options[spec.key] = value;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith("-") && value !== "-"))
      return { problem: `option --${name} needs a value${value === undefined ? "" : ` (got the option ${value})`}` };
    options[spec.key] = value;
    i += 1;
  }
  return { options, args };
}
