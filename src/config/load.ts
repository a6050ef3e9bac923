// loadConfig: read a Circus config (ini, or TOML by extension) with its includes and normalise it
// into the typed CircusConfig, reporting every problem at once in a ConfigError.

// A config file is small enough to read synchronously (through src/os).
import { readText } from "../os/fs.ts";
import { resolve } from "../util/path.ts";
import { getLogger } from "../util/log.ts";
import { readCircusSection } from "./circus-section.ts";
import { checkDependencies } from "./dependencies.ts";
import { readEnvSections } from "./env.ts";
import { displayPath, parseByExtension, readIncludes } from "./includes.ts";
import { readPlugin } from "./plugin.ts";
import { applyDefaults, Diagnostics, mergeDocument, type RawSection } from "./raw.ts";
import { readSocket } from "./socket.ts";
import { envVars } from "./substitute.ts";
import { didYouMean } from "./suggest.ts";
import {
  type CircusConfig,
  ConfigError,
  type ConfigProblem,
  type PluginConfig,
  type SocketConfig,
  type WatcherConfig,
} from "./types.ts";
import { readWatcher } from "./watcher.ts";

const log = getLogger("circus.config");
const SECTION_KINDS = ["circus", "watcher:", "socket:", "plugin:", "env", "env:"];

export interface LoadOptions {
  /** The daemon environment used for `$VAR`, `$(circus.env.X)` and `copy_env`; defaults to process.env. */
  environ?: Record<string, string>;
}

function processEnviron(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Load and validate a config file; throws ConfigError listing every problem. Warnings are logged and returned. */
export async function loadConfig(path: string, opts: LoadOptions = {}): Promise<CircusConfig> {
  const environ = opts.environ ?? processEnviron();
  const file = resolve(path);
  const diag = new Diagnostics();
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(
      [
        {
          location: null,
          where: displayPath(file),
          message: `cannot read the config file (${reason}), expected a readable .ini or .toml file`,
        },
      ],
      { cause: err },
    );
  }

  const doc = parseByExtension(text, file, diag);
  for (const included of await readIncludes(doc, file, diag, environ)) mergeDocument(doc, included);
  applyDefaults(doc);

  const env = readEnvSections(doc, diag, environ);
  // In [circus], [socket:*] and [plugin:*], $(circus.env.X) sees [env] over the daemon environment.
  const globalVars = envVars(environ, env.global);
  const circus = readCircusSection(doc.sections.get("circus"), diag, globalVars);

  const sockets: SocketConfig[] = [];
  const pluginSections: RawSection[] = [];
  const watcherSections: RawSection[] = [];
  for (const section of doc.sections.values()) {
    if (section.entries.size === 0) continue; // Circus skips empty sections.
    const n = section.name;
    if (n.startsWith("socket:")) sockets.push(readSocket(section, diag, globalVars));
    else if (n.startsWith("plugin:")) pluginSections.push(section);
    else if (n.startsWith("watcher:")) watcherSections.push(section);
    else if (n !== "circus" && n !== "env" && !n.startsWith("env:")) {
      const hint = didYouMean(n.split(":")[0]!, ["circus", "watcher", "socket", "plugin", "env"]);
      diag.warn(
        section.location,
        section.label,
        `unknown section, ignored; expected one of ${SECTION_KINDS.join(", ")}${hint ? ` (${hint})` : ""}`,
      );
    }
  }

  const socketNames = new Set(sockets.map((s) => s.name));
  const watchers: WatcherConfig[] = watcherSections.map((s) =>
    readWatcher(s, { diag, env, environ, socketNames, sockets }),
  );
  watchers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let plugins: PluginConfig[] = pluginSections.map((s) =>
    readPlugin(s, { diag, env, environ, socketNames }, globalVars),
  );
  if (plugins.length > 0) {
    // Loaded only for configs with plugins: it imports each named plugin to check its options.
    const { checkPlugins } = await import("../plugins/check.ts");
    plugins = await checkPlugins(plugins, diag, socketNames);
  }

  reportDuplicates(watchers, "watcher", diag);
  const sectionOf = new Map(watcherSections.map((s) => [s.name.slice("watcher:".length).toLowerCase(), s]));
  checkDependencies([...watchers, ...plugins.map((p) => p.watcher)], diag, (name) => {
    const section = sectionOf.get(name.toLowerCase());
    const plugin = plugins.find((p) => p.watcher.name === name);
    return {
      location: section?.entries.get("depends_on")?.location ?? section?.location ?? plugin?.source ?? null,
      label: section?.label ?? plugin?.label ?? `watcher:${name}`,
    };
  });
  reportDuplicates(sockets, "socket", diag);

  // Warnings first, also when the file is refused: a "did you mean" often explains a problem.
  for (const w of diag.warnings)
    log.warning(w.location ? `${w.location.file}:${w.location.line}: ${w.message}` : w.message);
  if (diag.problems.length > 0) throw new ConfigError(sortProblems(diag.problems, displayPath(file)));
  return { file, circus, watchers, sockets, plugins, globalEnv: env.global, warnings: diag.warnings };
}

/** Problems in reading order: the main file first, then by file of first mention, then by line. */
function sortProblems(problems: ConfigProblem[], mainFile: string): ConfigProblem[] {
  const rank = new Map<string, number>([[mainFile, 0]]);
  for (const p of problems) if (p.location && !rank.has(p.location.file)) rank.set(p.location.file, rank.size);
  const key = (p: ConfigProblem): [number, number] =>
    p.location ? [rank.get(p.location.file) ?? 0, p.location.line] : [-1, 0];
  return problems
    .map((p, i) => ({ p, i, k: key(p) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
    .map((x) => x.p);
}

/** Watcher and socket names are looked up case-insensitively, so two that differ only in case collide. */
function reportDuplicates(items: (WatcherConfig | SocketConfig)[], kind: string, diag: Diagnostics): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const key = item.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      diag.problem(
        item.source,
        `${kind}:${item.name}`,
        `the name clashes with [${kind}:${first}] (names are case-insensitive), expected unique names`,
      );
    } else seen.set(key, item.name);
  }
}
