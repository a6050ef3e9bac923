// `[circus] include` (globs) and `include_dir` (directories, `*.ini`), resolved against the main file's
// directory. Only the main file's keys count (no nested includes); included files may be ini or TOML.

import { readText } from "../os/fs.ts";
import { dirname, isAbsolute, join, resolve, sep } from "../util/path.ts";
import { SectionReader } from "./fields.ts";
import { CIRCUS_OPTIONS } from "./options/circus.ts";
import { parseIni } from "./ini.ts";
import type { Diagnostics, RawDocument } from "./raw.ts";
import { envVars } from "./substitute.ts";
import { parseToml } from "./toml.ts";

/** Path shown in messages: relative to the working directory when below it, else absolute. */
export function displayPath(file: string): string {
  const cwd = process.cwd() + sep;
  return file.startsWith(cwd) ? file.slice(cwd.length) : file;
}

/** Parse a config text by extension: `.toml` is TOML, anything else ini. */
export function parseByExtension(text: string, file: string, diag: Diagnostics): RawDocument {
  return file.toLowerCase().endsWith(".toml")
    ? parseToml(text, displayPath(file), diag)
    : parseIni(text, displayPath(file), diag);
}

const GLOB_CHARS = /[*?[{]/;

/** Files matching an absolute glob pattern, sorted; throws when the directory cannot be searched. */
export async function expandGlob(pattern: string): Promise<string[]> {
  const parts = pattern.split("/");
  const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (firstGlob < 0) {
    return (await Bun.file(pattern).exists()) ? [pattern] : [];
  }
  const base = parts.slice(0, firstGlob).join("/") || "/";
  const rest = parts.slice(firstGlob).join("/");
  const found: string[] = [];
  try {
    for await (const f of new Bun.Glob(rest).scan({ cwd: base, onlyFiles: true, absolute: true, dot: false }))
      found.push(f);
  } catch (err) {
    // A directory that does not exist matches nothing, as Python's glob says; any other failure is reported.
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
  return found.sort();
}

/** Read the files named by the main document's include keys, in order (earlier ones win when merged). */
export async function readIncludes(
  main: RawDocument,
  mainFile: string,
  diag: Diagnostics,
  environ: Record<string, string>,
): Promise<RawDocument[]> {
  const circus = main.sections.get("circus");
  if (!circus) return [];
  const r = new SectionReader(circus, diag, envVars(environ));
  const baseDir = dirname(mainFile);
  const patterns: { key: string; pattern: string }[] = [
    ...r.option("include", CIRCUS_OPTIONS.include).map((p) => ({ key: "include", pattern: p })),
    ...r
      .option("include_dir", CIRCUS_OPTIONS.include_dir)
      .map((d) => ({ key: "include_dir", pattern: join(d, "*.ini") })),
  ];
  const seen = new Set([mainFile]);
  const docs: RawDocument[] = [];
  for (const { key, pattern } of patterns) {
    const absolute = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
    let files: string[];
    try {
      files = await expandGlob(absolute);
    } catch (err) {
      r.warn(key, `${JSON.stringify(pattern)} cannot be searched (${reasonOf(err)}); nothing included from it`);
      continue;
    }
    if (files.length === 0) {
      r.warn(key, `${JSON.stringify(pattern)} matches no file; nothing included from it`);
      continue;
    }
    for (const file of files) {
      if (seen.has(file)) continue;
      seen.add(file);
      let text: string;
      try {
        text = readText(file);
      } catch (err) {
        // Circus skips an unreadable included file without a word; we skip it too, but say so.
        r.warn(key, `${displayPath(file)} cannot be read (${reasonOf(err)}); skipped`);
        continue;
      }
      docs.push(parseByExtension(text, file, diag));
    }
  }
  return docs;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
