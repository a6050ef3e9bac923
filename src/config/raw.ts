// The format-neutral model both readers (ini, TOML) produce: sections named the ini way
// (`watcher:web`, `env:a,b`) holding values with the location they were written at.

import type { ConfigProblem, ConfigWarning, SourceLocation } from "./types.ts";

export type RawScalar = string | number | boolean;
/** ini values are always strings; TOML values keep their native type (arrays for `args`, `include`, hooks). */
export type RawValue = RawScalar | RawScalar[];
export type RawFormat = "ini" | "toml";

export interface RawEntry {
  value: RawValue;
  location: SourceLocation;
  format: RawFormat;
}

export interface RawSection {
  /** Canonical (ini) name: `circus`, `watcher:web`, `socket:Web`, `env:a,b`. */
  name: string;
  /** Name as the user wrote it, for messages: `watcher:web` in ini, `watcher.web` in TOML. */
  label: string;
  location: SourceLocation;
  /** Keys in file order; the first occurrence of a key wins. */
  entries: Map<string, RawEntry>;
}

export interface RawDocument {
  /** Sections in order of first appearance. */
  sections: Map<string, RawSection>;
  /** ini `[DEFAULT]` keys, applied to every section once all files are merged. */
  defaults: Map<string, RawEntry>;
}

export function emptyDocument(): RawDocument {
  return { sections: new Map(), defaults: new Map() };
}

/** Get or create a section; a repeated header merges into the first one. */
export function sectionOf(doc: RawDocument, name: string, label: string, location: SourceLocation): RawSection {
  let section = doc.sections.get(name);
  if (!section) {
    section = { name, label, location, entries: new Map() };
    doc.sections.set(name, section);
  }
  return section;
}

/** Add a key unless the section already has it (Circus: the first occurrence wins). */
export function addEntry(entries: Map<string, RawEntry>, key: string, entry: RawEntry): void {
  if (!entries.has(key)) entries.set(key, entry);
}

/** Merge `later` (an included file) into `doc`: sections merge, keys already present win. */
export function mergeDocument(doc: RawDocument, later: RawDocument): void {
  for (const section of later.sections.values()) {
    const target = sectionOf(doc, section.name, section.label, section.location);
    for (const [key, entry] of section.entries) addEntry(target.entries, key, entry);
  }
  for (const [key, entry] of later.defaults) addEntry(doc.defaults, key, entry);
}

/** Apply `[DEFAULT]` keys to every section (a section's own keys win). */
export function applyDefaults(doc: RawDocument): void {
  if (doc.defaults.size === 0) return;
  for (const section of doc.sections.values()) {
    for (const [key, entry] of doc.defaults) addEntry(section.entries, key, entry);
  }
}

/** Problems and warnings collected while loading; every problem is reported at the end. */
export class Diagnostics {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigWarning[] = [];

  problem(location: SourceLocation | null, where: string, message: string): void {
    this.problems.push({ location, where, message });
  }

  warn(location: SourceLocation | null, where: string, message: string): void {
    this.warnings.push({ location, message: `${where}: ${message}` });
  }
}

/** How a raw value is shown in messages: strings quoted, other TOML values as TOML would write them. */
export function showValue(value: RawValue): string {
  return JSON.stringify(value);
}
