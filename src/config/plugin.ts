// A [plugin:NAME] section → PluginConfig. Plugins are accepted (so Circus configs load) but not run yet.
// The common keys come from the plugin table (options/plugin.ts); each plugin reads the rest itself.

import { SectionReader } from "./fields.ts";
import { PLUGIN_OPTIONS } from "./options/plugin.ts";
import { putOwn } from "./options/spec.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import type { PluginConfig } from "./types.ts";

/** Normalise one plugin section; `use` is required, every other key is kept as a string option. */
export function readPlugin(section: RawSection, diag: Diagnostics, vars: Map<string, string>): PluginConfig {
  const r = new SectionReader(section, diag, vars);
  const common = r.options(PLUGIN_OPTIONS);
  const use = common.use.trim();
  if (use === "") {
    diag.problem(
      r.entry("use")?.location ?? section.location,
      r.where("use"),
      "use is required, expected the plugin to run, like use = circus.plugins.flapping.Flapping",
    );
  }
  const options: Record<string, string> = {};
  for (const key of section.entries.keys()) {
    if (key !== "use" && key !== "__name__") putOwn(options, key, r.text(key) ?? "");
  }
  diag.warn(section.location, section.label, "plugins are not run yet; this section is accepted and ignored for now");
  return { name: section.name, use, options, source: section.location };
}
