// The normalized, typed configuration: what the daemon runs, whatever the file format (ini or TOML).
// Field names of watcher and socket options keep Circus's snake_case spelling on purpose: they are the
// names users write and the names `options`/`get`/`set` show on the wire.

/** Where a value came from, for error messages like `circus.ini:14: watcher:web.numprocesses: …`. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** Names of the eleven Circus hooks. */
export const HOOK_NAMES = [
  "before_start",
  "after_start",
  "before_spawn",
  "after_spawn",
  "before_stop",
  "after_stop",
  "before_signal",
  "after_signal",
  "before_reap",
  "after_reap",
  "extended_stats",
] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/**
 * A hook target: `./hooks.ts:checkRedis` (a JS/TS module function, path relative to the config file,
 * already resolved to an absolute path in `module`) or `cmd:./notify.sh` (a shell command).
 */
export type HookTarget =
  | { kind: "module"; module: string; exportName: string; raw: string }
  | { kind: "command"; command: string; raw: string };

export interface HookConfig {
  target: HookTarget;
  /** Circus's "ignore errors" flag: a failing hook then counts as success. */
  ignoreErrors: boolean;
}

/** `stdout_stream.*` / `stderr_stream.*` sub-options as written (`class`, `filename`, `max_bytes`, …). */
export type StreamConfig = Record<string, string>;

export interface WatcherConfig {
  /** Name as written (case kept); lookups are case-insensitive. */
  name: string;
  cmd: string;
  args: string | string[] | null;
  shell: boolean;
  shell_args: string | null;
  executable: string | null;
  working_dir: string | null;
  uid: string | number | null;
  gid: string | number | null;
  copy_env: boolean;
  warmup_delay: number;
  autostart: boolean;
  numprocesses: number;
  priority: number;
  singleton: boolean;
  use_sockets: boolean;
  stdin_socket: string | null;
  close_child_stdin: boolean;
  close_child_stdout: boolean;
  close_child_stderr: boolean;
  send_hup: boolean;
  /** Signal number (names are resolved at load). */
  stop_signal: number;
  stop_children: boolean;
  graceful_timeout: number;
  max_retry: number;
  max_age: number;
  max_age_variance: number;
  respawn: boolean;
  on_demand: boolean;
  /** `rlimit_<name>` keyed by lower-case name (`nofile`); null = unlimited (RLIM_INFINITY). */
  rlimits: Record<string, number | null>;
  stdout_stream: StreamConfig | null;
  stderr_stream: StreamConfig | null;
  hooks: Partial<Record<HookName, HookConfig>>;
  /**
   * The child's environment as configured: `[env]` + matching `[env:…]` sections, `$VAR` expanded.
   * When `copy_env` is true this already includes the daemon's environment.
   */
  env: Record<string, string>;
  /** Options Circus does not know, kept verbatim (visible in `options`, settable by `set`), incl. `flapping.*`. */
  free: Record<string, string>;
  /** Where the section starts; null for watchers added over the wire. */
  source: SourceLocation | null;
}

// One definition of the socket families and types: the ones src/os can bind.
import type { SocketFamily, SocketType } from "../os/sockets.ts";
export type { SocketFamily, SocketType };

export interface SocketConfig {
  /** Lower-cased section name. */
  name: string;
  host: string;
  port: number;
  family: SocketFamily;
  type: SocketType;
  /** Protocol number (0 = default for the type); names like `tcp` resolved at load. */
  proto: number;
  backlog: number;
  path: string | null;
  /** umask used while binding a unix socket (Circus reads it as a decimal number; kept). */
  umask: number;
  replace: boolean;
  interface: string | null;
  so_reuseport: boolean;
  blocking: boolean;
  /** The section's raw key/values, for reloadconfig's "changed" comparison. */
  raw: Record<string, string>;
  source: SourceLocation | null;
}

export interface PluginConfig {
  /** Full watcher name, `plugin:NAME` (case kept). */
  name: string;
  use: string;
  /** Every other key of the section, as strings. */
  options: Record<string, string>;
  source: SourceLocation | null;
}

export interface CircusOptions {
  endpoint: string;
  endpoint_owner: string | null;
  pubsub_endpoint: string;
  /** Empty string = discovery disabled. */
  multicast_endpoint: string;
  stats_endpoint: string;
  statsd: boolean;
  check_delay: number;
  warmup_delay: number;
  httpd: boolean;
  httpd_host: string;
  httpd_port: number;
  /** Users file of the web console run by `httpd` (`circus web --auth-file`); null = none. */
  httpd_auth_file: string | null;
  /** Token file of the web console run by `httpd` (`circus web --token-file`); null = none. */
  httpd_token_file: string | null;
  debug: boolean;
  pidfile: string | null;
  /** Octal-parsed umask, null = leave the daemon's as it is. */
  umask: number | null;
  loglevel: string;
  logoutput: string;
  loggerconfig: string | null;
  fqdn_prefix: string | null;
  /** Lines of output kept per watcher for `circus ctl logs` (beyond Circus). */
  tail_lines: number;
  /** Seconds a hook may run before it counts as failed (beyond Circus). */
  hooks_timeout: number;
}

/** A non-fatal remark about the config (unknown key close to a known one, Python-only option, …). */
export interface ConfigWarning {
  location: SourceLocation | null;
  message: string;
}

export interface CircusConfig {
  /** Absolute path of the main config file. */
  file: string;
  circus: CircusOptions;
  /** Sorted by name, as Circus orders config watchers. */
  watchers: WatcherConfig[];
  sockets: SocketConfig[];
  plugins: PluginConfig[];
  /** The `[env]` section after substitution. */
  globalEnv: Record<string, string>;
  warnings: ConfigWarning[];
}

/** One problem found while loading; the loader reports all of them at once. */
export interface ConfigProblem {
  location: SourceLocation | null;
  /** `section.key`, e.g. `watcher:web.numprocesses`. */
  where: string;
  message: string;
}

/** Thrown by the loader with every problem found, formatted `file:line: section.key: message`. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const at = p.location ? `${p.location.file}:${p.location.line}: ` : "";
  return `${at}${p.where}: ${p.message}`;
}
