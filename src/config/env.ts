// Child environments from `[env]` and `[env:PATTERNS]` (Circus §1.7): sections matched by shell glob
// against the watcher name, later sections win, `$UPPER` expanded from the daemon's own environment.

import { Glob } from "../util/glob.ts";
import { SectionReader } from "./fields.ts";
import type { Diagnostics, RawDocument } from "./raw.ts";
import { envVars } from "./substitute.ts";

export interface EnvSection {
  /** Watcher names it applies to (Python fnmatch globs). */
  patterns: Glob[];
  values: Record<string, string>;
}

export interface EnvModel {
  /** `[env]` with `$(circus.env.X)` substituted from the daemon environment. */
  global: Record<string, string>;
  /** `[env:…]` sections in file order, values as written. */
  sections: EnvSection[];
}

/** Collect `[env]` and every `[env:…]` section of the merged document. */
export function readEnvSections(doc: RawDocument, diag: Diagnostics, environ: Record<string, string>): EnvModel {
  const global: Record<string, string> = {};
  const sections: EnvSection[] = [];
  for (const section of doc.sections.values()) {
    if (section.name === "env") {
      const r = new SectionReader(section, diag, envVars(environ));
      for (const key of section.entries.keys()) global[key] = r.text(key) ?? "";
    } else if (section.name.startsWith("env:")) {
      const r = new SectionReader(section, diag, null);
      const values: Record<string, string> = {};
      for (const key of section.entries.keys()) values[key] = r.text(key) ?? "";
      const patterns = section.name
        .slice(4)
        .split(",")
        .map((p) => new Glob(p.trim()));
      sections.push({ patterns, values });
    }
  }
  return { global, sections };
}

/** Replace `$NAME` (upper-case names only, like Circus) by the daemon's variable; unset → empty. */
export function expandUpperVars(value: string, environ: Record<string, string>): string {
  return value.replace(/\$([A-Z][A-Z0-9_]*)/g, (_m, name: string) => environ[name] ?? "");
}

/**
 * The configured part of a watcher's environment: `[env]` then every matching `[env:…]` section,
 * `$UPPER` expanded. The caller layers it over the daemon environment when `copy_env` is on.
 */
export function watcherEnv(name: string, model: EnvModel, environ: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...model.global };
  for (const section of model.sections) {
    if (section.patterns.some((glob) => glob.test(name))) Object.assign(merged, section.values);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) out[k] = expandUpperVars(v, environ);
  return out;
}
