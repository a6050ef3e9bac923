// Typed reading of one raw section by option kind: each value gets `$(circus.env.X)` substituted, is
// parsed by its kind from ini text or checked as a native TOML value, and a bad one is recorded as a
// problem instead of thrown, so that every mistake in the file is reported at once.

import { dirname, resolve } from "../util/path.ts";
import { type KindContext, type OptionSpec, rangeProblem, type ValueKind, type ValuesOf } from "./options/spec.ts";
import type { Diagnostics, RawEntry, RawSection } from "./raw.ts";
import { ScalarError } from "./scalars.ts";
import { substitute } from "./substitute.ts";

const HAS_VARIABLE = /\$\(circus\.|\(\(circus\./i;

export class SectionReader {
  constructor(
    readonly section: RawSection,
    readonly diag: Diagnostics,
    /** Load-stage substitution variables (`env.*`); null = no substitution (env sections). */
    readonly vars: Map<string, string> | null,
  ) {}

  where(key: string): string {
    return `${this.section.label}.${key}`;
  }

  entry(key: string): RawEntry | undefined {
    return this.section.entries.get(key);
  }

  problem(key: string, message: string): void {
    this.diag.problem(this.entry(key)?.location ?? this.section.location, this.where(key), message);
  }

  warn(key: string, message: string): void {
    this.diag.warn(this.entry(key)?.location ?? this.section.location, this.where(key), message);
  }

  sub(text: string): string {
    return this.vars ? substitute(text, this.vars) : text;
  }

  /** What kinds need for `key`: substitution, and the directory of the file the key was written in. */
  context(key: string): KindContext {
    const file = this.entry(key)?.location.file ?? this.section.location.file;
    return { sub: (text) => this.sub(text), baseDir: dirname(resolve(file)) };
  }

  /** A value as text (TOML numbers/bools stringified, arrays space-joined), after substitution. */
  text(key: string): string | undefined {
    const e = this.entry(key);
    if (!e) return undefined;
    if (Array.isArray(e.value)) return e.value.map((v) => this.sub(String(v))).join(" ");
    return this.sub(String(e.value));
  }

  /**
   * `key` read by `kind`; undefined when absent or bad (then a problem is recorded). An ini value is
   * text; a TOML string is text for textual kinds, or when it holds a variable that may stand for a number.
   */
  read<T>(key: string, kind: ValueKind<T>): T | undefined {
    const e = this.entry(key);
    if (!e) return undefined;
    const v = e.value;
    const ctx = this.context(key);
    try {
      if (typeof v === "string") {
        if (e.format === "ini" || kind.textual || HAS_VARIABLE.test(v)) return kind.fromText(this.sub(v), ctx);
        throw new ScalarError(`${JSON.stringify(v)} is a string, expected ${kind.tomlExpected}`);
      }
      return kind.fromToml(v, ctx);
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      this.problem(key, err.message);
      return undefined;
    }
  }

  /** `key` read by its spec: the default when absent or bad; a value out of the spec's range is a problem. */
  option<T>(key: string, spec: OptionSpec<T>, kind: ValueKind<T> = spec.kind): T {
    const value = this.read(key, kind);
    if (value === undefined) return spec.default;
    const range = rangeProblem(spec.range, value);
    if (range) this.problem(key, range);
    return value;
  }

  /** Every option of `table`, defaults for the absent ones. */
  options<T extends Record<string, OptionSpec<unknown>>>(table: T): ValuesOf<T> {
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(table)) out[key] = this.option(key, spec);
    return out as ValuesOf<T>;
  }
}
