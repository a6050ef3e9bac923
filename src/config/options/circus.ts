// The [circus] table: the daemon's own options with Circus 0.19's defaults (plus tail_lines and
// hooks_timeout), the keys accepted only with a warning, and the default endpoints every tool uses.

import { bool, float, hostPort, int, octal, optional, optionalText, text, wordList } from "./kinds.ts";
import { pythonStr } from "./render.ts";
import { defaultsOf, type OptionSpec, option, specOf, type ValuesOf } from "./spec.ts";

/** Circus's default control endpoint (circusd's ROUTER). */
export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";
/** Circus's default pub/sub endpoint (circusd's PUB). */
export const DEFAULT_PUBSUB_ENDPOINT = "tcp://127.0.0.1:5556";
/** Circus's default stats endpoint (circusd-stats' PUB). */
export const DEFAULT_STATS_ENDPOINT = "tcp://127.0.0.1:5557";
/** Circus's default discovery listener: ours is off unless configured, so this is only the suggestion. */
export const DEFAULT_MULTICAST_ENDPOINT = "udp://237.219.251.97:12027";

/** Every [circus] option the daemon reads. */
export const CIRCUS_OPTIONS = {
  endpoint: option(text, { default: DEFAULT_ENDPOINT, doc: "control endpoint (`tcp://host:port` or `ipc://path`)" }),
  endpoint_owner: option(optionalText, {
    default: null,
    doc: "user that owns an `ipc://` control socket; its requests may only add and change watchers that run as itself (README, Security)",
  }),
  pubsub_endpoint: option(text, { default: DEFAULT_PUBSUB_ENDPOINT, doc: "where events are published" }),
  multicast_endpoint: option(text, {
    default: "",
    doc: `discovery listener \`udp://group:port\` (Circus's was \`${DEFAULT_MULTICAST_ENDPOINT}\`); empty: off`,
    docDefault: "off",
  }),
  multicast_interface: option(text, {
    default: "127.0.0.1",
    doc: "address of the interface discovery listens on; only well-formed queries are answered (beyond Circus)",
  }),
  stats_endpoint: option(text, {
    default: DEFAULT_STATS_ENDPOINT,
    doc: "where `circus stats` publishes; setting it turns `statsd` on (as in Circus)",
  }),
  statsd: option(bool, { default: false, doc: "run `circus stats` as the `circusd-stats` watcher" }),
  check_delay: option(float, {
    default: 5,
    doc: "seconds between housekeeping passes (max_age); also caps the respawn backoff (at least 1 s); ≤ 0 (as Circus's test configs use) means a 1 s tick",
  }),
  warmup_delay: option(int, { default: 0, doc: "seconds between watcher starts at a global start" }),
  include: option(wordList, { default: [], doc: "more config files (globs, relative to this file)" }),
  include_dir: option(wordList, { default: [], doc: "directories whose `*.ini` files are included" }),
  httpd: option(bool, {
    default: false,
    doc: "run the web console (`circus web`) as the `circushttpd` watcher on socket `circushttpd`",
  }),
  httpd_host: option(text, {
    default: "localhost",
    doc: "the web console's host; off loopback it needs `httpd_auth_file` or `httpd_token_file`",
  }),
  httpd_port: option(int, { default: 8080, doc: "the web console's port" }),
  httpd_auth_file: option(optionalText, {
    default: null,
    doc: "users file of the web console (`circus web --auth-file`), relative to this file (beyond Circus)",
  }),
  httpd_token_file: option(optionalText, {
    default: null,
    doc: "token file of the web console (`circus web --token-file`), relative to this file (beyond Circus)",
  }),
  debug: option(bool, { default: false, doc: "internal watchers (stats, plugins) log at debug level to stdout" }),
  pidfile: option(optionalText, { default: null, doc: "write the daemon's pid here (`--pidfile` wins)" }),
  umask: option(octal, { default: null, doc: "the daemon's umask, octal (`022`)", docDefault: "unchanged" }),
  loglevel: option(text, { default: "info", doc: "daemon log level (`--log-level` wins)" }),
  logoutput: option(text, {
    default: "-",
    doc: "daemon log: `-`, a file, `syslog://host:port?facility` (`--log-output` wins)",
  }),
  loggerconfig: option(optionalText, {
    default: null,
    doc: "a logging config file: Python's logging.config as YAML, INI or JSON (what maps: handlers, levels, formatters), or our JSON `{level, output, format}`; `default` = none (`--logger-config` wins)",
  }),
  fqdn_prefix: option(optionalText, { default: null, doc: "prefix of the arbiter's identity `<prefix>@<fqdn>`" }),
  tail_lines: option(int, {
    default: 1000,
    range: { min: 0, text: "0 or more lines" },
    doc: "lines of output kept per watcher for `circus ctl logs`, and never more than 1 MiB of text (beyond Circus)",
  }),
  output_prefix: option(bool, {
    default: false,
    doc: "prefix each line of output passed through to the daemon's stdout/stderr with `name.pid | ` (for `docker logs`, journald; beyond Circus)",
  }),
  curve_secret_key: option(optionalText, {
    default: null,
    doc: "the daemon's CURVE certificate (`.key_secret`, from `circus keygen`): control, pub/sub and stats then speak CURVE (beyond Circus)",
  }),
  curve_authorized_keys: option(optionalText, {
    default: null,
    doc: "folder of the clients' public keys (`*.key`): only they may connect; re-read by `reloadconfig` (beyond Circus)",
  }),
  insecure: option(bool, {
    default: false,
    doc: "allow an endpoint on a non-loopback address without CURVE, or CURVE without authorized keys; warned at every start (beyond Circus)",
  }),
  exit_on_failure: option(bool, {
    default: false,
    doc: "when any watcher gives up (as `critical = true` on each), stop everything and exit 1, so systemd or the container runtime restarts the daemon (beyond Circus)",
  }),
  health: option(optional(hostPort), {
    default: null,
    doc: "`host:port` serving `/healthz` (the daemon answers) and `/readyz` (every critical watcher ready) as JSON, for Kubernetes and load balancers (beyond Circus)",
    docDefault: "off",
  }),
  hooks_timeout: option(float, {
    default: 30,
    range: { above: 0, text: "a positive number of seconds like 30" },
    doc: "seconds a hook may run before it counts as failed (beyond Circus)",
  }),
} as const satisfies Record<string, OptionSpec<unknown>>;

/** Keys read by the include step, not part of the daemon's options. */
export const INCLUDE_KEYS = ["include", "include_dir"] as const;

type CircusTable = typeof CIRCUS_OPTIONS;

/** The typed [circus] options: every key of the table except the include keys. */
export type CircusValues = Omit<ValuesOf<CircusTable>, (typeof INCLUDE_KEYS)[number]>;

/** Circus 0.19's [circus] defaults, plus ours. */
export const CIRCUS_DEFAULTS: CircusValues = (() => {
  const { include: _include, include_dir: _includeDir, ...values } = defaultsOf(CIRCUS_OPTIONS);
  return values;
})();

/** [circus] keys accepted for compatibility but not read, with the warning each gets. */
export const CIRCUS_INERT: ReadonlyMap<string, string> = new Map([
  ["debug_gc", "Python garbage-collector debugging has no equivalent here; ignored"],
  ["statsd_close_outputs", "documented by Circus but never read by Circus 0.19; ignored"],
  ["httpd_close_outputs", "documented by Circus but never read by Circus 0.19; ignored"],
  ["stream_backend", "documented by Circus but never read by Circus 0.19; ignored"],
  ["papa_endpoint", "documented by Circus but never read by Circus 0.19; ignored"],
]);

/** The option `globaloptions` shows, in Circus's order. */
export const GLOBAL_OPTION_KEYS = [
  "endpoint",
  "stats_endpoint",
  "pubsub_endpoint",
  "check_delay",
  "multicast_endpoint",
] as const satisfies readonly (keyof CircusValues)[];

/** circusctl's rendering of a [circus] option (`check_delay: 5.0`). */
export function renderCircusOption(key: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  const spec = specOf(CIRCUS_OPTIONS, key);
  return spec ? spec.kind.render(value) : pythonStr(value);
}
