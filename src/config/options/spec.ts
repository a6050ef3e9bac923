// The option spec: what one option of a section is (its value kind, default, doc line and range) and
// what a table of them yields: the typed values a section reads, its defaults, its known keys. Every
// section table ([circus], watcher, socket, stream, hook, plugin) and every plugin's own options are
// written with these types; config readers, the daemon's `set`/`add`, `circus ctl set` and the README
// tables all derive from the tables, so adding an option is adding one entry.

import type { RawValue } from "../raw.ts";

/** A JSON value as it travels on the control channel (the protocol's `Json`, declared here for the data layer). */
export type WireValue = null | boolean | number | string | WireValue[] | { [key: string]: WireValue };

/** What a kind needs besides the text: `$(circus.env.X)` substitution and the directory paths resolve against. */
export interface KindContext {
  /** Substitute load-time variables in text read from a file (identity elsewhere). */
  sub(text: string): string;
  /** Directory relative paths (hook modules) resolve against: the config file's, or the daemon's cwd. */
  baseDir: string;
}

/** No substitution, paths relative to the daemon's cwd: text from `set` or a ctl word. */
export function plainContext(baseDir: string = process.cwd()): KindContext {
  return { sub: (text) => text, baseDir };
}

/**
 * A bad option value or key. `errno` is Circus's error number when the mistake arrives over the wire:
 * 3 for a malformed value or unknown key, 5 for a well-formed change the watcher refuses (singleton).
 */
export class OptionError extends Error {
  override readonly name = "OptionError";
  constructor(
    message: string,
    readonly errno: 3 | 5 = 3,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * How values of one type are read from each source and printed. `fromText` and `fromToml` throw
 * ScalarError (the config reader turns it into a `file:line: section.key:` problem); `fromWire`
 * throws OptionError in Circus's words (`'numprocesses' isn't an integer`).
 */
export interface ValueKind<T> {
  /** Short name for the docs' value column: `int`, `bool`, `signal`, … */
  readonly name: string;
  /**
   * Whether a TOML string is read as text. Kinds of numbers and booleans refuse `"3"` in TOML
   * (write `3`), except a quoted value holding a `$(circus.env.X)` variable.
   */
  readonly textual: boolean;
  /** What a TOML value should look like, for "is a string, expected …" messages. */
  readonly tomlExpected: string;
  /** Text of an ini value (after substitution), a TOML string, or a ctl word. */
  fromText(text: string, ctx: KindContext): T;
  /** A TOML value that is not a string (number, boolean, array). */
  fromToml(value: RawValue, ctx: KindContext): T;
  /** A JSON value from `set`/`add`: checked and normalized (signal names become numbers). */
  fromWire(value: WireValue, key: string): T;
  /** What `circus ctl set` sends for a word (circusctl's conversion). */
  fromCtl(text: string): WireValue;
  /** circusctl's rendering of a value it received (any JSON: it may come from another daemon). */
  render(value: unknown): string;
  /** A value written as config text, for kinds whose values are objects (a regex, an amount): the docs' defaults. */
  toText?(value: T): string;
}

/** A numeric range: `min`/`max` inclusive, `above` exclusive; `text` says it in words for messages. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  /** "0 or more processes", "0 to 65535". */
  readonly text: string;
}

/** One option of a section. */
export interface OptionSpec<T> {
  readonly kind: ValueKind<T>;
  readonly default: T;
  /** One line for the README table and help. */
  readonly doc: string;
  readonly range?: Range;
  /** The default as the docs show it when the value alone says little (`TERM`, `the daemon's cwd`). */
  readonly docDefault?: string;
  /**
   * Plugin options (readPluginOptions): other names accepted for this option, Circus's deprecated
   * spellings (ResourceWatcher's `service`); the value lands under the option's own name, which wins.
   */
  readonly aliases?: readonly string[];
  /** Plugin options (readPluginOptions): the option must be given; `default` is then only a placeholder. */
  readonly required?: boolean;
}

/** The value type an option spec holds. */
export type ValueOf<S> = S extends { readonly kind: ValueKind<infer T> } ? T : never;

/** The typed values of a table: `{ numprocesses: number; shell: boolean; … }`. */
export type ValuesOf<T> = { -readonly [K in keyof T]: ValueOf<T[K]> };

/** A spec whose value type is fixed by its kind (`default` must be one of the kind's values). */
export function option<T>(kind: ValueKind<T>, spec: Omit<OptionSpec<NoInfer<T>>, "kind">): OptionSpec<T> {
  return { ...spec, kind };
}

/** The entry of `table` for a user-given `key`, own keys only (`toString` and `constructor` are no options). */
export function specOf<T extends object>(table: T, key: string): T[keyof T] | undefined {
  return Object.hasOwn(table, key) ? (table as Record<string, T[keyof T]>)[key] : undefined;
}

/** Names of Object.prototype members (`toString`, `constructor`, `__proto__`, …): never an option of any table. */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Whether a user-given key is the name of an Object.prototype member, to warn rather than let it pass unnoticed. */
export function isPrototypeName(key: string): boolean {
  return PROTOTYPE_NAMES.has(key);
}

/** Every option's default. */
export function defaultsOf<T extends Record<string, OptionSpec<unknown>>>(table: T): ValuesOf<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = spec.default;
  return out as ValuesOf<T>;
}

/** Set an own property, also for names like `__proto__` that plain assignment would not store. */
export function putOwn<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A wire value kept as text (stream sub-options, free options): `100` → "100", objects as JSON. */
export function wireText(value: WireValue): string {
  return value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Whether `value` lies outside the range; the message is for a config file (`-1 is negative, expected …`). */
export function rangeProblem(range: Range | undefined, value: unknown): string | null {
  if (!range || typeof value !== "number") return null;
  if (range.min !== undefined && value < range.min)
    return `${value} is ${range.min === 0 ? "negative" : "out of range"}, expected ${range.text}`;
  if (range.max !== undefined && value > range.max) return `${value} is out of range, expected ${range.text}`;
  if (range.above !== undefined && value <= range.above) return `${value} is too small, expected ${range.text}`;
  return null;
}

/** The same check in the wire's words: `'numprocesses' must be >= 0, got -1`. */
export function wireRangeProblem(range: Range | undefined, key: string, value: unknown): string | null {
  if (!range || typeof value !== "number") return null;
  if (range.min !== undefined && value < range.min) return `'${key}' must be >= ${range.min}, got ${value}`;
  if (range.max !== undefined && value > range.max) return `'${key}' must be <= ${range.max}, got ${value}`;
  if (range.above !== undefined && value <= range.above) return `'${key}' must be > ${range.above}, got ${value}`;
  return null;
}
