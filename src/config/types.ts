// The normalized, typed configuration: what the daemon runs, whatever the file format (ini or TOML).
// Field names of watcher and socket options keep Circus's snake_case spelling on purpose: they are the
// names users write and the names `options`/`get`/`set` show on the wire.

import type { CircusValues } from "./options/circus.ts";
import type { HookName } from "./options/hook.ts";
import type { ReadyConfig } from "./options/ready.ts";
import type { SocketValues } from "./options/socket.ts";
import type { WatcherFields } from "./options/watcher.ts";

export { HOOK_NAMES, type HookName } from "./options/hook.ts";

/** Where a value came from, for error messages like `circus.ini:14: watcher:web.numprocesses: …`. */
export interface SourceLocation {
  file: string;
  line: number;
}

/**
 * A hook target: `./hooks.ts:checkRedis` (a JS/TS module function, path relative to the config file,
 * already resolved to an absolute path in `module`) or `cmd:./notify.sh` (a shell command).
 */
export type HookTarget =
  | { kind: "module"; module: string; exportName: string; raw: string }
  | { kind: "command"; command: string; raw: string }
  /** A Circus hook in Python, kept from a config file only: its watcher stays stopped until it is ported. */
  | { kind: "python"; raw: string; reason: string };

export interface HookConfig {
  target: HookTarget;
  /** Circus's "ignore errors" flag: a failing hook then counts as success. */
  ignoreErrors: boolean;
}

/** `stdout_stream.*` / `stderr_stream.*` sub-options as written (`class`, `filename`, `max_bytes`, …). */
export type StreamConfig = Record<string, string>;

/** A watcher: its name, the option fields of the watcher table (options/watcher.ts), and the grouped parts. */
export interface WatcherConfig extends WatcherFields {
  /** Name as written (case kept); lookups are case-insensitive. */
  name: string;
  /** `rlimit_<name>` keyed by lower-case name (`nofile`); null = unlimited (RLIM_INFINITY). */
  rlimits: Record<string, number | null>;
  /** `ready.*`: the readiness probe of each process (none: ready once spawned). */
  ready: ReadyConfig;
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
export type { SocketFamily, SocketType } from "../os/sockets.ts";

/** A socket: its name and the fields of the socket table (options/socket.ts). */
export interface SocketConfig extends SocketValues {
  /** Lower-cased section name. */
  name: string;
  /** The section's raw key/values, for reloadconfig's "changed" comparison. */
  raw: Record<string, string>;
  source: SourceLocation | null;
}

export interface PluginConfig {
  /** Full watcher name, `plugin:NAME` (case kept). */
  name: string;
  /** The section as written, for messages: `plugin:NAME` in ini, `plugin.NAME` in TOML. */
  label: string;
  /** `use` as written. */
  use: string;
  /**
   * What `circus plugin` is given to run: the built-in's name, or `/abs/path/module.ts:Export`
   * (a relative module path resolved against the config file's directory).
   */
  target: string;
  /**
   * Options passed to the plugin, as strings: after loading, the keys its spec knows plus (for user
   * plugins) every key that is not a watcher option.
   */
  options: Record<string, string>;
  /** Where each key (and `use`) was written, for problems found once the plugin's spec is known. */
  optionSources: Record<string, SourceLocation>;
  /** The plugin's own watcher: the section's watcher options over Circus's plugin defaults (cmd set by the daemon). */
  watcher: WatcherConfig;
  /** The socket the daemon binds for a plugin that listens (Prometheus, WatchDog), or null. */
  socket: SocketConfig | null;
  source: SourceLocation | null;
}

/** The daemon's options: the fields of the [circus] table (options/circus.ts). */
export interface CircusOptions extends CircusValues {}

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
  constructor(
    readonly problems: ConfigProblem[],
    options?: ErrorOptions,
  ) {
    super(problems.map(formatProblem).join("\n"), options);
  }
}

export function formatProblem(p: ConfigProblem): string {
  const at = p.location ? `${p.location.file}:${p.location.line}: ` : "";
  return `${at}${p.where}: ${p.message}`;
}
