// The [circus] section, read by the [circus] table (options/circus.ts).

import { SectionReader } from "./fields.ts";
import { CIRCUS_INERT, CIRCUS_OPTIONS } from "./options/circus.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import { didYouMean } from "./suggest.ts";
import { isLoopbackHost } from "../util/host.ts";
import type { CircusOptions } from "./types.ts";

const KNOWN: ReadonlySet<string> = new Set(Object.keys(CIRCUS_OPTIONS));

/** Normalise the [circus] section (absent → all defaults; include keys are read by includes.ts). `vars` = `env.*` from [env] over the daemon environ. */
export function readCircusSection(
  section: RawSection | undefined,
  diag: Diagnostics,
  vars: Map<string, string>,
): CircusOptions {
  const empty: RawSection = { name: "circus", label: "circus", location: { file: "", line: 0 }, entries: new Map() };
  const r = new SectionReader(section ?? empty, diag, vars);
  // The include keys were read by includes.ts before the files were merged.
  const { include: _include, include_dir: _includeDir, ...options } = r.options(CIRCUS_OPTIONS);

  if (r.entry("stats_endpoint") && !options.statsd) {
    // Circus 0.19 forces statsd on when stats_endpoint is given explicitly (with a deprecation warning).
    options.statsd = true;
    r.warn("stats_endpoint", "setting stats_endpoint turns statsd on (as in Circus); set statsd = true explicitly");
  }
  if (options.endpoint_owner !== null && !options.endpoint.startsWith("ipc://")) {
    r.warn("endpoint_owner", `applies to an ipc:// endpoint only, as in Circus; ignored with ${options.endpoint}`);
  }
  if (
    options.httpd &&
    !isLoopbackHost(options.httpd_host) &&
    options.httpd_auth_file === null &&
    options.httpd_token_file === null
  ) {
    // The console can run any command as the daemon's user: off loopback it must ask who is there.
    r.problem(
      "httpd_host",
      `${JSON.stringify(options.httpd_host)} is not a loopback address and the web console has no login; ` +
        "set httpd_auth_file (users) or httpd_token_file, or httpd_host = 127.0.0.1",
    );
  }

  for (const key of section?.entries.keys() ?? []) {
    if (KNOWN.has(key) || key === "__name__") continue;
    const inert = CIRCUS_INERT.get(key);
    if (inert !== undefined) {
      r.warn(key, inert);
      continue;
    }
    const hint = didYouMean(key, KNOWN);
    r.warn(key, hint ? `unknown [circus] option, ignored; ${hint}` : "unknown [circus] option, ignored");
  }
  return options;
}
