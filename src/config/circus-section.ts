// The [circus] section: daemon-wide options with Circus's defaults (plus our tail_lines, hooks_timeout).

import { SectionReader } from "./fields.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import { CIRCUS_OPTIONS, CIRCUS_UNREAD } from "./schema.ts";
import { suggest } from "./suggest.ts";
import type { CircusOptions } from "./types.ts";

/** Normalise the [circus] section (absent → all defaults; include keys are read by includes.ts). `vars` = `env.*` from [env] over the daemon environ. */
export function readCircusSection(section: RawSection | undefined, diag: Diagnostics, vars: Map<string, string>): CircusOptions {
  const empty: RawSection = { name: "circus", label: "circus", location: { file: "", line: 0 }, entries: new Map() };
  const r = new SectionReader(section ?? empty, diag, vars);
  const d = CIRCUS_OPTIONS;
  const options: CircusOptions = {
    endpoint: r.str("endpoint", d.endpoint.default as string),
    endpoint_owner: r.strOrNull("endpoint_owner"),
    pubsub_endpoint: r.str("pubsub_endpoint", d.pubsub_endpoint.default as string),
    multicast_endpoint: r.str("multicast_endpoint", d.multicast_endpoint.default as string),
    stats_endpoint: r.str("stats_endpoint", d.stats_endpoint.default as string),
    statsd: r.bool("statsd", false),
    check_delay: r.float("check_delay", 5.0),
    warmup_delay: r.int("warmup_delay", 0),
    httpd: r.bool("httpd", false),
    httpd_host: r.str("httpd_host", "localhost"),
    httpd_port: r.int("httpd_port", 8080),
    debug: r.bool("debug", false),
    pidfile: r.strOrNull("pidfile"),
    umask: r.octal("umask"),
    loglevel: r.str("loglevel", "info"),
    logoutput: r.str("logoutput", "-"),
    loggerconfig: r.strOrNull("loggerconfig"),
    fqdn_prefix: r.strOrNull("fqdn_prefix"),
    tail_lines: r.int("tail_lines", 1000),
    hooks_timeout: r.float("hooks_timeout", 30),
  };

  if (options.check_delay <= 0) r.problem("check_delay", `${options.check_delay} is too small, expected a positive number of seconds like 5`);
  if (options.tail_lines < 0) r.problem("tail_lines", `${options.tail_lines} is negative, expected 0 or more lines`);
  if (options.hooks_timeout <= 0) r.problem("hooks_timeout", `${options.hooks_timeout} is too small, expected a positive number of seconds like 30`);

  if (r.entry("stats_endpoint") && !options.statsd) {
    // Circus 0.19 forces statsd on when stats_endpoint is given explicitly (with a deprecation warning).
    options.statsd = true;
    r.warn("stats_endpoint", "setting stats_endpoint turns statsd on (as in Circus); set statsd = true explicitly");
  }
  if (options.statsd) r.warn("statsd", "the circusd-stats watcher is not available yet; statsd is accepted and ignored for now");
  if (options.httpd) r.warn("httpd", "the web dashboard (circushttpd) is not available yet; httpd is accepted and ignored for now");

  for (const key of section?.entries.keys() ?? []) {
    if (key in CIRCUS_OPTIONS) {
      const inert = CIRCUS_OPTIONS[key].inert;
      if (inert) r.warn(key, inert);
      continue;
    }
    if (key === "__name__") continue;
    if (CIRCUS_UNREAD.has(key)) {
      r.warn(key, "documented by Circus but never read by Circus 0.19; ignored");
      continue;
    }
    const near = suggest(key, Object.keys(CIRCUS_OPTIONS));
    r.warn(key, near ? `unknown [circus] option, ignored; did you mean ${JSON.stringify(near)}?` : "unknown [circus] option, ignored");
  }
  return options;
}
