// Temporary config trees for loader tests: write files, load, and read problems without the temp dir prefix.

import { afterAll } from "bun:test";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type CircusConfig, ConfigError, formatProblem } from "../../src/config/types.ts";
import { loadConfig } from "../../src/config/load.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Write `files` (path → text) into a fresh directory and return it. */
export function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "circus-config-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export interface LoadTextOptions {
  name?: string;
  environ?: Record<string, string>;
  files?: Record<string, string>;
}

/** Load `text` written as `name` (default circus.ini) next to `files`; environ defaults to empty. */
export async function loadText(text: string, opts: LoadTextOptions = {}): Promise<CircusConfig> {
  const name = opts.name ?? "circus.ini";
  const dir = tree({ ...opts.files, [name]: text });
  return loadConfig(join(dir, name), { environ: opts.environ ?? {} });
}

/** The formatted problems of a config that must fail, with the temp directory stripped from paths. */
export async function problemsOf(text: string, opts: LoadTextOptions = {}): Promise<string[]> {
  try {
    await loadText(text, opts);
  } catch (err) {
    if (err instanceof ConfigError)
      return err.problems.map((p) => formatProblem(p).replace(/^\/\S*\/circus-config-[^/]+\//, ""));
    throw err;
  }
  throw new Error("expected the config to be refused");
}

/** Warning messages of a config that loads. */
export async function warningsOf(text: string, opts: LoadTextOptions = {}): Promise<string[]> {
  return (await loadText(text, opts)).warnings.map((w) => w.message);
}
