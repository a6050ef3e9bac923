// The [circus] section: daemon-wide options with Circus's defaults (plus our tail_lines, hooks_timeout).

import { SectionReader } from "./fields.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import { CIRCUS_DEFAULTS as D, CIRCUS_INERT, CIRCUS_OPTIONS, CIRCUS_UNREAD } from "./schema.ts";
import { suggest } from "./suggest.ts";
import { isLoopbackHost } from "../util/net.ts";
import type { CircusOptions } from "./types.ts";

/** Normalise the [circus] section (absent → all defaults; include keys are read by includes.ts). `vars` = `env.*` from [env] over the daemon environ. */
export function readCircusSection(
  section: RawSection | undefined,
  diag: Diagnostics,
  vars: Map<string, string>,
): CircusOptions {
  const empty: RawSection = { name: "circus", label: "circus", location: { file: "", line: 0 }, entries: new Map() };
  const r = new SectionReader(section ?? empty, diag, vars);
  const options: CircusOptions = {
    endpoint: r.str("endpoint", D.endpoint),
    endpoint_owner: r.strOrNull("endpoint_owner"),
    pubsub_endpoint: r.str("pubsub_endpoint", D.pubsub_endpoint),
    multicast_endpoint: r.str("multicast_endpoint", D.multicast_endpoint),
    stats_endpoint: r.str("stats_endpoint", D.stats_endpoint),
    statsd: r.bool("statsd", D.statsd),
    check_delay: r.float("check_delay", D.check_delay),
    warmup_delay: r.int("warmup_delay", D.warmup_delay),
    httpd: r.bool("httpd", D.httpd),
    httpd_host: r.str("httpd_host", D.httpd_host),
    httpd_port: r.int("httpd_port", D.httpd_port),
    httpd_auth_file: r.strOrNull("httpd_auth_file"),
    httpd_token_file: r.strOrNull("httpd_token_file"),
    debug: r.bool("debug", D.debug),
    pidfile: r.strOrNull("pidfile"),
    umask: r.octal("umask"),
    loglevel: r.str("loglevel", D.loglevel),
    logoutput: r.str("logoutput", D.logoutput),
    loggerconfig: r.strOrNull("loggerconfig"),
    fqdn_prefix: r.strOrNull("fqdn_prefix"),
    tail_lines: r.int("tail_lines", D.tail_lines),
    hooks_timeout: r.float("hooks_timeout", D.hooks_timeout),
  };

  if (options.check_delay <= 0)
    r.problem("check_delay", `${options.check_delay} is too small, expected a positive number of seconds like 5`);
  if (options.tail_lines < 0) r.problem("tail_lines", `${options.tail_lines} is negative, expected 0 or more lines`);
  if (options.hooks_timeout <= 0)
    r.problem("hooks_timeout", `${options.hooks_timeout} is too small, expected a positive number of seconds like 30`);

  if (r.entry("stats_endpoint") && !options.statsd) {
    // Circus 0.19 forces statsd on when stats_endpoint is given explicitly (with a deprecation warning).
    options.statsd = true;
    r.warn("stats_endpoint", "setting stats_endpoint turns statsd on (as in Circus); set statsd = true explicitly");
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
    if (key in CIRCUS_INERT) r.warn(key, CIRCUS_INERT[key]);
    if (key in CIRCUS_OPTIONS) continue;
    if (key === "__name__") continue;
    if (CIRCUS_UNREAD.has(key)) {
      r.warn(key, "documented by Circus but never read by Circus 0.19; ignored");
      continue;
    }
    const near = suggest(key, Object.keys(CIRCUS_OPTIONS));
    r.warn(
      key,
      near
        ? `unknown [circus] option, ignored; did you mean ${JSON.stringify(near)}?`
        : "unknown [circus] option, ignored",
    );
  }
  return options;
}
