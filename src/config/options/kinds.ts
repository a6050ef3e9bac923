// The value kinds options are made of: each reads ini text, TOML values, JSON from the wire and ctl
// words by one rule, and prints values the way circusctl does. Scalar rules are Python's (scalars.ts).
// The section tables and every plugin's options (built-in or the user's) are made of these.

import type { RawValue } from "../raw.ts";
import {
  human2bytes,
  parseBool,
  parseFloatOption,
  parseIntOption,
  parseOctal,
  parseSignal,
  ScalarError,
} from "../scalars.ts";
import { MAX_ID } from "../../util/ids.ts";
import { pythonFloat, pythonStr } from "./render.ts";
import { type KindContext, OptionError, plainContext, type ValueKind, type WireValue } from "./spec.ts";

const quote = (value: unknown) => JSON.stringify(value);

/** A kind from its parts; text kinds read TOML numbers and booleans as their text, and refuse arrays. */
function kind<T>(
  parts: Pick<ValueKind<T>, "name" | "fromText" | "fromWire"> &
    Partial<Omit<ValueKind<T>, "name" | "fromText" | "fromWire">>,
): ValueKind<T> {
  const textual = parts.textual ?? true;
  const tomlExpected = parts.tomlExpected ?? "a string";
  const fromText = parts.fromText;
  return {
    textual,
    tomlExpected,
    fromToml: (value: RawValue, ctx: KindContext) => {
      if (Array.isArray(value)) throw new ScalarError(`${quote(value)} is a list, expected ${tomlExpected}`);
      return fromText(String(value), ctx);
    },
    fromCtl: (text: string) => fromText(text, plainContext()) as WireValue,
    render: pythonStr,
    ...parts,
  };
}

/** A string (TOML numbers and booleans are taken as their text). */
export const text: ValueKind<string> = kind({
  name: "text",
  tomlExpected: "a single string",
  fromText: (t) => t,
  fromWire: (v, key) => {
    if (typeof v !== "string") throw new OptionError(`'${key}' isn't a string`);
    return v;
  },
});

/**
 * `inner`, or nothing: an option without a value unless one is given (default null). Text is read by
 * `inner` alone; null is accepted on the wire.
 */
export function optional<T>(inner: ValueKind<T>): ValueKind<T | null> {
  const toText = inner.toText;
  return {
    ...inner,
    fromWire: (v, key) => (v === null ? null : inner.fromWire(v, key)),
    ...(toText && { toText: (v: T | null) => (v === null ? "" : toText(v)) }),
  };
}

/** `host:port` (IPv6 hosts in brackets) → its parts; null when it is not that shape. */
export function splitHostPort(text: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text.trim()) ?? /^([^:\s]+):(\d+)$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host: m[1]!, port };
}

/** `host:port` for a listener (health): the address a daemon binds, checked when the file is read. */
export const hostPort: ValueKind<string> = kind({
  name: "host:port",
  tomlExpected: "a single string",
  fromText: (t) => {
    if (splitHostPort(t) === null)
      throw new ScalarError(`${quote(t)} is not host:port, expected one like 127.0.0.1:9090`);
    return t.trim();
  },
  fromWire: (v, key) => {
    if (typeof v !== "string" || splitHostPort(v) === null) throw new OptionError(`'${key}' isn't host:port`);
    return v.trim();
  },
});

/** A string that may be absent (null). */
export const optionalText: ValueKind<string | null> = optional(text);

/** A command line: any text in a file (the reader asks for it), a non-empty string on the wire. */
export const commandLine: ValueKind<string> = kind({
  name: "command line",
  tomlExpected: "a single string",
  fromText: (t) => t,
  fromWire: (v, key) => {
    if (typeof v !== "string" || v.trim() === "") throw new OptionError(`'${key}' isn't a non-empty string`);
    return v;
  },
});

export const bool: ValueKind<boolean> = kind({
  name: "bool",
  textual: false,
  tomlExpected: "true or false (no quotes)",
  fromText: parseBool,
  fromToml: (v) => {
    if (typeof v === "boolean") return v;
    const what = Array.isArray(v) ? "is a list" : "is not a boolean";
    throw new ScalarError(`${quote(v)} ${what}, expected true or false (no quotes)`);
  },
  fromWire: (v, key) => {
    if (typeof v !== "boolean") throw new OptionError(`'${key}' isn't a valid boolean`);
    return v;
  },
  render: pythonStr,
});

export const int: ValueKind<number> = kind({
  name: "int",
  textual: false,
  tomlExpected: "an integer (no quotes), like 3",
  fromText: parseIntOption,
  fromToml: (v) => {
    if (typeof v === "number" && Number.isInteger(v)) return v;
    if (Array.isArray(v)) throw new ScalarError(`${quote(v)} is a list, expected an integer (no quotes), like 3`);
    throw new ScalarError(`${quote(v)} is not an integer, expected a whole number like 3`);
  },
  fromWire: (v, key) => {
    if (typeof v !== "number" || !Number.isInteger(v)) throw new OptionError(`'${key}' isn't an integer`);
    return v;
  },
});

function readNumber(v: RawValue): number {
  if (typeof v === "number") return v;
  if (Array.isArray(v)) throw new ScalarError(`${quote(v)} is a list, expected a number (no quotes), like 2.5`);
  throw new ScalarError(`${quote(v)} is not a number, expected a number (no quotes), like 2.5`);
}

function wireNumber(v: WireValue, key: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new OptionError(`'${key}' isn't a number`);
  return v;
}

/** A number Python holds as a float: circusctl prints `30.0`. */
export const float: ValueKind<number> = kind({
  name: "float",
  textual: false,
  tomlExpected: "a number (no quotes), like 2.5",
  fromText: parseFloatOption,
  fromToml: readNumber,
  fromWire: wireNumber,
  render: pythonFloat,
});

/** A number printed as it is (Circus keeps an int from the file, a float from `set`). */
export const number: ValueKind<number> = kind({
  name: "number",
  textual: false,
  tomlExpected: "a number (no quotes), like 2.5",
  fromText: parseFloatOption,
  fromToml: readNumber,
  fromWire: wireNumber,
});

/** A signal: a number or a name (`TERM`, `sigterm`, `RTMIN+2`), held as its Linux number. */
export const signal: ValueKind<number> = kind({
  name: "signal",
  tomlExpected: 'a name like "TERM" or a number like 15',
  fromText: (t) => parseSignal(t),
  fromToml: (v) => {
    if (typeof v === "number") return parseSignal(v);
    throw new ScalarError(`${quote(v)} is not a signal, expected a name like TERM or a number like 15`);
  },
  fromWire: (v, key) => {
    if (typeof v !== "string" && !(typeof v === "number" && Number.isInteger(v)))
      throw new OptionError(`'${key}' isn't an integer`);
    try {
      const n = parseSignal(v);
      if (n === 0) throw new ScalarError("0 is not a signal");
      return n;
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      throw new OptionError(`'${key}' isn't a valid signal, got ${quote(v)}`, 3, { cause: err });
    }
  },
});

/** Base-8 text (`022`); a TOML integer is the number itself (write `0o022`). Not on the wire. */
export const octal: ValueKind<number | null> = kind({
  name: "octal",
  tomlExpected: 'a umask like "022" or 0o022',
  fromText: parseOctal,
  fromToml: (v) => {
    if (typeof v === "number" && Number.isInteger(v)) return v;
    return parseOctal(String(v));
  },
  fromWire: (v, key) => {
    if (v !== null && !(typeof v === "number" && Number.isInteger(v)))
      throw new OptionError(`'${key}' isn't an integer`);
    return v;
  },
});

/** A user or group: digits become a number, a name stays text (resolved at spawn), empty is none. */
/** Refuse an id outside 0…MAX_ID, in the words of each source's error. */
function checkId<E extends Error>(id: number, make: (message: string) => E): number {
  if (id > MAX_ID) throw make(`${id} is out of range: user and group ids go from 0 to ${MAX_ID}`);
  return id;
}

export const userOrGroup: ValueKind<string | number | null> = kind({
  name: "name or id",
  tomlExpected: 'a name like "www-data" or a number like 1000',
  fromText: (t) => {
    const trimmed = t.trim();
    if (trimmed === "") return null;
    return /^\d+$/.test(trimmed) ? checkId(Number(trimmed), (m) => new ScalarError(m)) : trimmed;
  },
  fromToml: (v) => {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return checkId(v, (m) => new ScalarError(m));
    throw new ScalarError(`${quote(v)} is not a user or group, expected a name like "www-data" or a number like 1000`);
  },
  fromWire: (v, key) => {
    const refuse = (m: string) => new OptionError(`'${key}': ${m}`);
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return checkId(v, refuse);
    // A string of digits is an id too once no user has that name: the same range applies.
    if (typeof v === "string") {
      if (/^\d+$/.test(v.trim())) checkId(Number(v.trim()), refuse);
      return v;
    }
    throw new OptionError(`'${key}' isn't an integer or string`);
  },
  // circusctl sends the word as it is; the daemon resolves names and digits alike.
  fromCtl: (t) => t,
});

/** Extra arguments: text split into words at spawn, or (TOML, wire) a list kept word for word. */
export const argumentList: ValueKind<string | string[] | null> = kind({
  name: "arguments",
  tomlExpected: "a string or a list of strings",
  fromText: (t) => t,
  fromToml: (v, ctx) => (Array.isArray(v) ? v.map((x) => ctx.sub(String(x))) : String(v)),
  fromWire: (v, key) => {
    if (v === null || typeof v === "string") return v;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    throw new OptionError(`'${key}' isn't a string or a list of strings`);
  },
});

/** Whitespace-separated words (ini) or a TOML array of strings. */
export const wordList: ValueKind<string[]> = kind({
  name: "words",
  tomlExpected: "a list of strings",
  fromText: (t) => t.split(/\s+/).filter(Boolean),
  fromToml: (v, ctx) => (Array.isArray(v) ? v.map((x) => ctx.sub(String(x))) : String(v).split(/\s+/).filter(Boolean)),
  fromWire: (v, key) => {
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    throw new OptionError(`'${key}' isn't a list of strings`);
  },
});

/** Names separated by commas and/or spaces (`db, cache`); a TOML or JSON list of strings. */
export const nameList: ValueKind<string[]> = kind({
  name: "names",
  tomlExpected: "a list of strings",
  fromText: (t) => t.split(/[\s,]+/).filter(Boolean),
  fromToml: (v, ctx) =>
    Array.isArray(v)
      ? v.map((x) => ctx.sub(String(x)).trim()).filter(Boolean)
      : String(v)
          .split(/[\s,]+/)
          .filter(Boolean),
  fromWire: (v, key) => {
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    if (typeof v === "string") return v.split(/[\s,]+/).filter(Boolean);
    throw new OptionError(`'${key}' isn't a list of names`);
  },
  fromCtl: (t) => t.split(/[\s,]+/).filter(Boolean),
  render: (v) => (Array.isArray(v) ? v.join(", ") : pythonStr(v)),
});

/** One of fixed words, any case in the file, spelled as in `words` (`af_inet6` → `AF_INET6`). */
export function oneOf<const W extends string>(words: readonly W[], what: string): ValueKind<W> {
  const read = (t: string): W => {
    const upper = t.trim().toUpperCase();
    const hit = words.find((w) => w.toUpperCase() === upper);
    if (hit !== undefined) return hit;
    throw new ScalarError(`${quote(t)} is not a ${what}, expected one of ${words.join(", ")}`);
  };
  return kind({
    name: words.join(" | "),
    tomlExpected: `one of ${words.join(", ")}`,
    fromText: read,
    fromWire: (v, key) => {
      if (typeof v !== "string") throw new OptionError(`'${key}' isn't a string`);
      try {
        return read(v);
      } catch (err) {
        throw new OptionError(`'${key}' isn't one of ${words.join(", ")}`, 3, { cause: err });
      }
    },
  });
}

/** A resource limit: a number ≥ 0, or unlimited (empty, `unlimited`, -1; null on the wire). */
export const resourceLimit: ValueKind<number | null> = kind({
  name: "limit",
  tomlExpected: 'a number like 1024, or "" for unlimited',
  fromText: (t) => {
    const trimmed = t.trim();
    if (trimmed === "" || trimmed.toLowerCase() === "unlimited") return null;
    let n: number;
    try {
      n = parseIntOption(trimmed);
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      throw new ScalarError(`${err.message.replace("like 3", "like 1024")}, or empty for unlimited`, { cause: err });
    }
    if (n === -1) return null;
    if (n < 0) throw new ScalarError(`${n} is negative, expected a limit of 0 or more, or empty for unlimited`);
    return n;
  },
  fromToml: (v) => {
    if (typeof v === "number" && Number.isInteger(v)) {
      if (v === -1) return null;
      if (v >= 0) return v;
    }
    throw new ScalarError(`${quote(v)} is not a limit, expected a number like 1024, or "" for unlimited`);
  },
  fromWire: (v, key) => {
    if (v === null || v === -1) return null;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    throw new OptionError(`'${key}' isn't an integer`);
  },
});

/** A map of strings (a watcher's environment); only on the wire. */
export const stringMap: ValueKind<Record<string, string>> = kind({
  name: "map",
  tomlExpected: "a table of strings",
  fromText: () => {
    throw new ScalarError(
      "environments cannot be set from the command line (circusctl cannot either); set env in the config file and run `circusctl reloadconfig`",
    );
  },
  fromWire: (v, key) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new OptionError(`'${key}' isn't a valid object`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== "string") throw new OptionError(`'${k}' isn't a string`);
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    }
    return out;
  },
  // circusctl prints an environment as sorted K=V pairs.
  render: (value) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return pythonStr(value);
    const map = value as Record<string, unknown>;
    return Object.keys(map)
      .sort()
      .map((k) => `${k}=${map[k]}`)
      .join(",");
  },
});

/** Text that must be a URL with one of `schemes` (`http`, `redis`, …), kept as written (trimmed). */
export function url(schemes: readonly [string, ...string[]]): ValueKind<string> {
  const expected = `expected a URL like ${schemes[0]}://host:port/`;
  const read = (t: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(t.trim());
    } catch {
      throw new ScalarError(`${quote(t)} is not a URL, ${expected}`);
    }
    if (!schemes.includes(parsed.protocol.slice(0, -1)))
      throw new ScalarError(`${quote(t)}: the scheme must be ${schemes.join(" or ")}, ${expected}`);
    return t.trim();
  };
  return kind({
    name: "URL",
    tomlExpected: `a URL like "${schemes[0]}://host:port/"`,
    fromText: read,
    fromWire: (v, key) => {
      if (typeof v !== "string") throw new OptionError(`'${key}' isn't a string`);
      try {
        return read(v);
      } catch (err) {
        throw new OptionError(`'${key}' isn't a ${schemes.join(" or ")} URL`, 3, { cause: err });
      }
    },
  });
}

/**
 * A Python `re` pattern as a JS RegExp anchored at the start, as Python's re.match applies it
 * (`(?P<name>…)` and `(?P=name)` become JS named groups); `python` keeps the pattern as written.
 */
export class PythonRegExp extends RegExp {
  // Derived regexes (split, matchAll) are plain ones: this constructor only takes Python patterns.
  static override get [Symbol.species](): RegExpConstructor {
    return RegExp;
  }

  constructor(readonly python: string) {
    super(`^(?:${python.replace(/\(\?P<(\w+)>/g, "(?<$1>").replace(/\(\?P=(\w+)\)/g, "\\k<$1>")})`);
  }
}

function compileRegex(t: string): PythonRegExp {
  try {
    return new PythonRegExp(t);
  } catch (err) {
    throw new ScalarError(
      `${quote(t)} is not a valid regular expression (${(err as Error).message}), expected a pattern like ^(?P<pid>\\d+);`,
      { cause: err },
    );
  }
}

/** A regular expression in Python's syntax, matched at the start of the text (PythonRegExp). */
export const regex: ValueKind<PythonRegExp> = kind({
  name: "regex",
  tomlExpected: "a pattern string",
  fromText: compileRegex,
  fromWire: (v, key) => {
    if (typeof v !== "string") throw new OptionError(`'${key}' isn't a string`);
    try {
      return compileRegex(v);
    } catch (err) {
      throw new OptionError(`'${key}' isn't a valid regular expression`, 3, { cause: err });
    }
  },
  fromCtl: (t) => compileRegex(t).python,
  render: (v) => (v instanceof PythonRegExp ? v.python : pythonStr(v)),
  toText: (v) => v.python,
});

/** A memory amount: a percentage of RAM, or a number of bytes. */
export type Amount = { kind: "percent"; value: number } | { kind: "bytes"; value: number };

const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function readAmount(t: string): Amount {
  const trimmed = t.trim();
  if (PLAIN_NUMBER.test(trimmed)) return { kind: "percent", value: Number(trimmed) };
  try {
    return { kind: "bytes", value: human2bytes(trimmed) };
  } catch (err) {
    if (!(err instanceof ScalarError)) throw err;
    throw new ScalarError(
      `${quote(t)} is neither a percentage nor a size, expected a number like 90 (percent) or a size like 200M or 1.5G`,
      { cause: err },
    );
  }
}

/** An amount as config text: `90` (percent), or bytes in the largest unit that divides them (`200M`). */
function amountText(v: Amount): string {
  if (v.kind === "percent") return String(v.value);
  const units = ["B", "K", "M", "G", "T", "P"];
  let n = v.value;
  let unit = 0;
  while (n !== 0 && n % 1024 === 0 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n}${units[unit]}`;
}

/** A percentage (`90`) or a size with a unit (`200M`, `1.5G`, `512Ki`; powers of 1024), as ResourceWatcher reads memory. */
export const amount: ValueKind<Amount> = kind({
  name: "% or size",
  tomlExpected: 'a percentage like 90 or a size like "200M"',
  fromText: readAmount,
  fromWire: (v, key) => {
    if (typeof v === "number" && Number.isFinite(v)) return { kind: "percent", value: v };
    if (typeof v !== "string") throw new OptionError(`'${key}' isn't a percentage or a size`);
    try {
      return readAmount(v);
    } catch (err) {
      throw new OptionError(`'${key}' isn't a percentage or a size`, 3, { cause: err });
    }
  },
  fromCtl: (t) => {
    readAmount(t);
    return t.trim();
  },
  render: (v) =>
    v !== null && typeof v === "object" && "kind" in v && "value" in v ? amountText(v as Amount) : pythonStr(v),
  toText: amountText,
});
