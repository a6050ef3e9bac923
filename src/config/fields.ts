// Typed reading of one raw section: each getter substitutes `$(circus.env.X)`, parses the value with
// Circus's scalar rules (ini strings) or checks its native type (TOML), and records a problem instead
// of throwing so that every mistake in the file is reported at once.

import type { Diagnostics, RawEntry, RawSection, RawScalar } from "./raw.ts";
import { parseBool, parseFloatOption, parseIntOption, parseOctal, parseSignal, ScalarError } from "./scalars.ts";
import { substitute } from "./substitute.ts";

const HAS_VARIABLE = /\$\(circus\.|\(\(circus\./i;

const EXPECTED_TOML: Record<string, string> = {
  bool: "true or false (no quotes)",
  int: "an integer (no quotes), like 3",
  float: "a number (no quotes), like 2.5",
};

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

  private sub(text: string): string {
    return this.vars ? substitute(text, this.vars) : text;
  }

  /** A value as text (TOML numbers/bools stringified, arrays space-joined), after substitution. */
  text(key: string): string | undefined {
    const e = this.entry(key);
    if (!e) return undefined;
    if (Array.isArray(e.value)) return e.value.map((v) => this.sub(String(v))).join(" ");
    return this.sub(String(e.value));
  }

  str(key: string, fallback: string): string {
    return this.strOrNull(key) ?? fallback;
  }

  strOrNull(key: string): string | null {
    const e = this.entry(key);
    if (!e) return null;
    if (Array.isArray(e.value)) {
      this.problem(key, `${JSON.stringify(e.value)} is a list, expected a single string`);
      return null;
    }
    return this.sub(String(e.value));
  }

  /** Parse with `parse` (ini text, or TOML strings holding a variable); native TOML values go to `native`. */
  private typed<T>(
    key: string,
    kind: "bool" | "int" | "float",
    parse: (t: string) => T,
    native: (v: RawScalar) => T | ScalarError,
  ): T | undefined {
    const e = this.entry(key);
    if (!e) return undefined;
    const v = e.value;
    if (Array.isArray(v)) {
      this.problem(key, `${JSON.stringify(v)} is a list, expected ${EXPECTED_TOML[kind]}`);
      return undefined;
    }
    try {
      if (typeof v === "string" && (e.format === "ini" || HAS_VARIABLE.test(v))) return parse(this.sub(v));
      if (e.format === "toml" && typeof v === "string") {
        this.problem(key, `${JSON.stringify(v)} is a string, expected ${EXPECTED_TOML[kind]}`);
        return undefined;
      }
      const out = native(v);
      if (out instanceof ScalarError) throw out;
      return out;
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      this.problem(key, err.message);
      return undefined;
    }
  }

  bool(key: string, fallback: boolean): boolean {
    return (
      this.typed(key, "bool", parseBool, (v) =>
        typeof v === "boolean"
          ? v
          : new ScalarError(`${JSON.stringify(v)} is not a boolean, expected ${EXPECTED_TOML.bool}`),
      ) ?? fallback
    );
  }

  int(key: string, fallback: number): number {
    return (
      this.typed(key, "int", parseIntOption, (v) =>
        typeof v === "number" && Number.isInteger(v)
          ? v
          : new ScalarError(`${JSON.stringify(v)} is not an integer, expected a whole number like 3`),
      ) ?? fallback
    );
  }

  float(key: string, fallback: number): number {
    return (
      this.typed(key, "float", parseFloatOption, (v) =>
        typeof v === "number"
          ? v
          : new ScalarError(`${JSON.stringify(v)} is not a number, expected ${EXPECTED_TOML.float}`),
      ) ?? fallback
    );
  }

  signal(key: string, fallback: number): number {
    const e = this.entry(key);
    if (!e) return fallback;
    if (typeof e.value === "boolean" || Array.isArray(e.value)) {
      this.problem(key, `${JSON.stringify(e.value)} is not a signal, expected a name like TERM or a number like 15`);
      return fallback;
    }
    try {
      return parseSignal(typeof e.value === "number" ? e.value : this.sub(e.value));
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      this.problem(key, err.message);
      return fallback;
    }
  }

  /** Octal text (`022`); a TOML integer is taken as the number itself (write `0o022`). */
  octal(key: string): number | null {
    const e = this.entry(key);
    if (!e) return null;
    if (typeof e.value === "number" && Number.isInteger(e.value)) return e.value;
    try {
      return parseOctal(this.text(key) ?? "");
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      this.problem(key, err.message);
      return null;
    }
  }

  /** Whitespace-separated words (ini) or a TOML array of strings. */
  list(key: string): string[] {
    const e = this.entry(key);
    if (!e) return [];
    if (Array.isArray(e.value)) return e.value.map((v) => this.sub(String(v)));
    return this.sub(String(e.value)).split(/\s+/).filter(Boolean);
  }
}
