// Plugin options as one declarative spec per plugin (name → type, default, doc): parsing of config
// values and `--config` text, defaults, error messages and the README tables all derive from it.

import { human2bytes, SizeError } from "../stats/format.ts";
import * as scalars from "../config/scalars.ts";
import { ScalarError } from "../config/scalars.ts";
import { suggest } from "../config/suggest.ts";

interface OptionBase {
  /** One line for README and `--help`. */
  doc: string;
  /** Other names accepted for this option (Circus's deprecated spellings); the value lands here. */
  aliases?: readonly string[];
  /** The option must be given (its `default` is then only the type's placeholder, null). */
  required?: boolean;
}

export interface StringOption extends OptionBase {
  type: "string";
  default: string | null;
  /** Accepted values, compared case-insensitively; the value keeps the spelling of this list. */
  choices?: readonly string[];
}
export interface IntOption extends OptionBase {
  type: "int";
  default: number | null;
  min?: number;
}
export interface FloatOption extends OptionBase {
  type: "float";
  default: number | null;
  min?: number;
}
export interface BoolOption extends OptionBase {
  type: "bool";
  default: boolean;
}
/** A signal name or number (`TERM`, `15`), as a number. */
export interface SignalOption extends OptionBase {
  type: "signal";
  default: number | null;
}
/** A Python-style regular expression (`(?P<name>…)` allowed), matched at the start as Python's re.match. */
export interface RegexOption extends OptionBase {
  type: "regex";
  default: string;
}
/** A percentage (`90`) or an absolute size with a unit (`200M`, `1.5G`, `512Ki`), as ResourceWatcher reads memory. */
export interface AmountOption extends OptionBase {
  type: "amount";
  default: string | null;
}

/** A URL whose scheme is one of `schemes` (`http`, `redis`, …), kept as text. */
export interface UrlOption extends OptionBase {
  type: "url";
  default: string | null;
  schemes: readonly string[];
}

export type OptionSpec =
  | StringOption
  | IntOption
  | FloatOption
  | BoolOption
  | SignalOption
  | RegexOption
  | AmountOption
  | UrlOption;
export type OptionsSpec = Readonly<Record<string, OptionSpec>>;

/** A parsed `amount`: either a percentage or a number of bytes. */
export type Amount = { kind: "percent"; value: number } | { kind: "bytes"; value: number };

type Base<O extends OptionSpec> = O extends StringOption | UrlOption
  ? string
  : O extends IntOption | FloatOption | SignalOption
    ? number
    : O extends BoolOption
      ? boolean
      : O extends RegexOption
        ? RegExp
        : Amount;

/** The parsed value of one option: null only when its default is null and it is not required. */
export type OptionValue<O extends OptionSpec> = O extends { required: true }
  ? Base<O>
  : null extends O["default"]
    ? Base<O> | null
    : Base<O>;

/** The parsed values of a whole spec. */
export type OptionValues<S extends OptionsSpec> = { -readonly [K in keyof S]: OptionValue<S[K]> };

/** Declare a plugin's options; `const` keeps the literal types so the values are typed exactly. */
export function defineOptions<const S extends OptionsSpec>(spec: S): S {
  return spec;
}

/** One bad option: which key and what is wrong, with what is expected. */
export interface OptionProblem {
  key: string;
  message: string;
}

export interface ParsedOptions<S extends OptionsSpec> {
  values: OptionValues<S>;
  problems: OptionProblem[];
  /** Keys the spec does not know, each with a near known name when there is one. */
  unknown: { key: string; suggestion: string | null }[];
}

/** Convert a Python `re` pattern to a JS RegExp anchored at the start, as `re.match` applies it. */
export function pythonRegex(pattern: string): RegExp {
  const js = pattern.replace(/\(\?P<(\w+)>/g, "(?<$1>").replace(/\(\?P=(\w+)\)/g, "\\k<$1>");
  return new RegExp(`^(?:${js})`);
}

function parseAmount(text: string): Amount {
  const t = text.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return { kind: "percent", value: Number(t) };
  try {
    return { kind: "bytes", value: human2bytes(t) };
  } catch (err) {
    if (err instanceof SizeError)
      throw new ScalarError(
        `${JSON.stringify(text)} is neither a percentage nor a size, expected a number like 90 (percent) or a size like 200M or 1.5G`,
      );
    throw err;
  }
}

/** Parse one value of `spec` from its text (a config value or a `--config` item); throws ScalarError. */
export function parseOptionValue(spec: OptionSpec, text: string): Base<OptionSpec> {
  switch (spec.type) {
    case "string": {
      if (!spec.choices) return text;
      const hit = spec.choices.find((c) => c.toLowerCase() === text.trim().toLowerCase());
      if (hit === undefined)
        throw new ScalarError(`${JSON.stringify(text)} is not allowed, expected one of ${spec.choices.join(", ")}`);
      return hit;
    }
    case "int": {
      const n = scalars.parseIntOption(text);
      if (spec.min !== undefined && n < spec.min)
        throw new ScalarError(`${n} is too small, expected a whole number of at least ${spec.min}`);
      return n;
    }
    case "float": {
      const n = scalars.parseFloatOption(text);
      if (spec.min !== undefined && n < spec.min)
        throw new ScalarError(`${n} is too small, expected a number of at least ${spec.min}`);
      return n;
    }
    case "bool":
      return scalars.parseBool(text);
    case "signal":
      return scalars.parseSignal(text.trim());
    case "regex":
      try {
        return pythonRegex(text);
      } catch (err) {
        throw new ScalarError(
          `${JSON.stringify(text)} is not a valid regular expression (${(err as Error).message}), expected a pattern like ^(?P<pid>\\d+);`,
        );
      }
    case "amount":
      return parseAmount(text);
    case "url": {
      const expected = `expected a URL like ${spec.schemes[0]}://host:port/`;
      let url: URL;
      try {
        url = new URL(text.trim());
      } catch {
        throw new ScalarError(`${JSON.stringify(text)} is not a URL, ${expected}`);
      }
      const scheme = url.protocol.slice(0, -1);
      if (!spec.schemes.includes(scheme))
        throw new ScalarError(`${JSON.stringify(text)}: the scheme must be ${spec.schemes.join(" or ")}, ${expected}`);
      return text.trim();
    }
  }
}

/** The value an absent option takes (regex and amount defaults are parsed from their text). */
function defaultValue(spec: OptionSpec): unknown {
  if (spec.default === null) return null;
  if (spec.type === "regex" || spec.type === "amount") return parseOptionValue(spec, spec.default);
  return spec.default;
}

/** The canonical key for `key` (itself, or the option it is an alias of), or undefined. */
function canonicalKey(spec: OptionsSpec, key: string): string | undefined {
  if (Object.hasOwn(spec, key)) return key;
  for (const [name, o] of Object.entries(spec)) if (o.aliases?.includes(key)) return name;
  return undefined;
}

/**
 * Parse string options (config file values or `--config key:value` items) against `spec`. Every key the
 * spec knows is validated; absent ones take their default. `ignore` lists keys that belong elsewhere
 * (watcher options in a `[plugin:NAME]` section) and are neither parsed nor reported as unknown.
 */
export function parseOptions<S extends OptionsSpec>(
  spec: S,
  raw: Readonly<Record<string, string>>,
  ignore: ReadonlySet<string> = new Set(),
): ParsedOptions<S> {
  const values: Record<string, unknown> = {};
  const problems: OptionProblem[] = [];
  const unknown: ParsedOptions<S>["unknown"] = [];
  const given = new Map<string, string>();
  for (const [key, text] of Object.entries(raw)) {
    const name = canonicalKey(spec, key);
    if (name === undefined) {
      if (!ignore.has(key)) unknown.push({ key, suggestion: suggest(key, Object.keys(spec)) });
      continue;
    }
    // The option's own name wins over an alias (Circus: `watcher` over the deprecated `service`).
    if (!given.has(name) || key === name) given.set(name, text);
  }
  for (const [name, o] of Object.entries(spec)) {
    const text = given.get(name);
    if (text === undefined) {
      if (o.required) problems.push({ key: name, message: `${name} is required: ${o.doc}` });
      values[name] = defaultValue(o);
      continue;
    }
    try {
      values[name] = parseOptionValue(o, text);
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      problems.push({ key: name, message: err.message });
      values[name] = defaultValue(o);
    }
  }
  return { values: values as OptionValues<S>, problems, unknown };
}

/** Circus's `--config` text: `key:value:::key2:value2`, split on `:::` then on the first `:`, trimmed. */
export function parseConfigText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(":::")) {
    const colon = item.indexOf(":");
    if (colon < 0) continue; // Circus skips items without a colon
    out[item.slice(0, colon).trim()] = item.slice(colon + 1).trim();
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

function showDefault(o: OptionSpec): string {
  if (o.required) return "required";
  if (o.default === null) return "none";
  return `\`${String(o.default)}\``;
}

const TYPE_WORDS: Record<OptionSpec["type"], string> = {
  string: "text",
  int: "integer",
  float: "number",
  bool: "boolean",
  signal: "signal",
  regex: "regex",
  amount: "% or size",
  url: "URL",
};

/** The spec as a Markdown table (README's Plugins section is generated from these). */
export function optionsTable(spec: OptionsSpec): string {
  const rows = Object.entries(spec).map(([name, o]) => {
    const names = [name, ...(o.aliases ?? [])].map((n) => `\`${n}\``).join(" / ");
    const doc = o.doc.replaceAll("|", "\\|");
    return `| ${names} | ${TYPE_WORDS[o.type]} | ${showDefault(o)} | ${doc} |`;
  });
  return ["| option | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
