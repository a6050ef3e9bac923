// A [plugin:NAME] section → PluginConfig: `use`, the plugin's options (checked against the plugin's own
// spec by src/plugins/check.ts once it is loaded) and its watcher, which runs `circus plugin …`.
// Every key is offered to the plugin; keys that are watcher options also configure its watcher, as in
// Circus (so `priority`, `stop_signal`, `stdout_stream.*` … work in a plugin section).

import { dirname, resolve } from "../util/path.ts";
import { SectionReader } from "./fields.ts";
import type { RawEntry, RawSection } from "./raw.ts";
import { isWatcherKey, PLUGIN_OPTIONS } from "./options/plugin.ts";
import { putOwn } from "./options/spec.ts";
import type { PluginConfig, SourceLocation } from "./types.ts";
import { readWatcher, type WatcherContext } from "./watcher.ts";

/** Watcher options the daemon sets itself for a plugin's watcher. */
const DAEMON_SET = new Set(["cmd", "args", "shell", "shell_args", "executable"]);

/** Circus's settings of a plugin watcher, under what the section says (§1.6), from the plugin table. */
const PLUGIN_WATCHER_DEFAULTS: Record<string, string> = {
  priority: String(PLUGIN_OPTIONS.priority.default),
  singleton: String(PLUGIN_OPTIONS.singleton.default),
  copy_env: String(PLUGIN_OPTIONS.copy_env.default),
};

/** Normalise one plugin section; `use` is required. The plugin itself is checked by src/plugins/check.ts. */
export function readPlugin(section: RawSection, ctx: WatcherContext, vars: Map<string, string>): PluginConfig {
  const r = new SectionReader(section, ctx.diag, vars);
  const use = (r.text("use") ?? "").trim();
  if (use === "") {
    ctx.diag.problem(
      r.entry("use")?.location ?? section.location,
      r.where("use"),
      "use is required, expected the plugin to run, like use = circus.plugins.flapping.Flapping",
    );
  }
  const options: Record<string, string> = {};
  const optionSources: Record<string, SourceLocation> = {};
  const watcherEntries = new Map<string, RawEntry>();
  for (const [key, entry] of section.entries) {
    if (key === "__name__") continue;
    putOwn(optionSources, key, entry.location);
    if (key === "use") continue;
    if (DAEMON_SET.has(key)) {
      r.warn(key, "is set by the daemon for a plugin's watcher (it runs `circus plugin`); ignored");
      continue;
    }
    if (isWatcherKey(key)) watcherEntries.set(key, entry);
    putOwn(options, key, r.text(key) ?? "");
  }
  for (const [key, value] of Object.entries({ ...PLUGIN_WATCHER_DEFAULTS, cmd: "circus" }))
    if (!watcherEntries.has(key)) watcherEntries.set(key, { value, location: section.location, format: "ini" });
  const watcher = readWatcher(
    { name: `watcher:${section.name}`, label: section.label, location: section.location, entries: watcherEntries },
    ctx,
  );
  watcher.free = { __name__: section.name };
  return {
    name: section.name,
    label: section.label,
    use,
    target: use,
    options,
    optionSources,
    watcher,
    socket: null,
    source: section.location,
  };
}

/** The directory a plugin's relative module path is taken from: that of the file naming it. */
export function pluginBaseDir(p: PluginConfig): string {
  const at = p.optionSources.use ?? p.source;
  return at ? dirname(resolve(at.file)) : process.cwd();
}
