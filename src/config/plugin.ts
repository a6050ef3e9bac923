// A [plugin:NAME] section → PluginConfig. Plugins are accepted (so Circus configs load) but not run yet.

import { SectionReader } from "./fields.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import type { PluginConfig } from "./types.ts";

/** Normalise one plugin section; `use` is required, every other key is kept as a string option. */
export function readPlugin(section: RawSection, diag: Diagnostics, vars: Map<string, string>): PluginConfig {
  const r = new SectionReader(section, diag, vars);
  const use = (r.text("use") ?? "").trim();
  if (use === "") {
    diag.problem(
      r.entry("use")?.location ?? section.location,
      r.where("use"),
      "use is required, expected the plugin to run, like use = circus.plugins.flapping.Flapping",
    );
  }
  const options: Record<string, string> = {};
  for (const key of section.entries.keys()) {
    if (key !== "use" && key !== "__name__") options[key] = r.text(key) ?? "";
  }
  if (r.entry("priority")) r.int("priority", 1);
  diag.warn(section.location, section.label, "plugins are not run yet; this section is accepted and ignored for now");
  return { name: section.name, use, options, source: section.location };
}
