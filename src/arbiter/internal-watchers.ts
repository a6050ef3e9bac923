// Watchers the daemon adds on its own, as Circus does: `circusd-stats` when `[circus] statsd = true`
// (the stats streamer, `circus stats`, run as a singleton with the daemon's sockets and environment),
// `circushttpd` when `httpd = true` (the web console on socket `circushttpd`, passed as --fd), and
// `plugin:NAME` for every [plugin:NAME] section (`circus plugin …`, with the socket it listens on).

import { quote } from "../util/shlex.ts";
import { encodeOptions, PLUGIN_OPTIONS_ENV } from "../config/plugin-handoff.ts";
import { SOCKET_OPTIONS } from "../config/options/socket.ts";
import { defaultsOf } from "../config/options/spec.ts";
import type { CircusConfig, CircusOptions, PluginConfig, SocketConfig, WatcherConfig } from "../config/types.ts";
import { selfCommand } from "../os/launcher.ts";
import { dirname, resolve } from "../util/path.ts";
import { watcherDefaults } from "./defaults.ts";

/** Name of the stats watcher; the stats stream reports it in the `circus` group. */
export const STATS_WATCHER = "circusd-stats";
/** Name of the web console's watcher and of the socket it serves on. */
export const HTTPD_WATCHER = "circushttpd";

/** How the daemon's own watchers reach it, as the control server set it up. */
export interface BoundEndpoints {
  /** Endpoints as actually bound (a configured port 0 is resolved by the control server); default: as configured. */
  endpoint?: string;
  pubsub?: string;
  /**
   * Added to every internal watcher's environment: with CURVE, the daemon's public key and the internal
   * client key (CIRCUS_CURVE_SERVER_KEY, CIRCUS_CURVE_KEY), which every client reads by default.
   */
  env?: Record<string, string>;
  /** With CURVE: the daemon's certificate and authorized-keys folder, so circusd-stats serves stats_endpoint alike. */
  statsCurve?: { secretKeyFile: string; authorizedKeys: string | null };
}

function selfEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The daemon's logging for a tool it runs (src/cli/shared/tool-logging.ts reads it); stdout is their default. */
function logArgs(circus: CircusOptions): string[] {
  const args = ["--log-level", circus.debug ? "debug" : circus.loglevel];
  if (circus.logoutput && circus.logoutput !== "-") args.push("--log-output", circus.logoutput);
  return args;
}

/** The `circusd-stats` watcher config for these daemon options. */
export function statsWatcher(circus: CircusOptions, bound?: BoundEndpoints): WatcherConfig {
  const [program, ...prefix] = selfCommand();
  const args = [
    ...prefix,
    "stats",
    "--endpoint",
    bound?.endpoint ?? circus.endpoint,
    "--pubsub",
    bound?.pubsub ?? circus.pubsub_endpoint,
    "--statspoint",
    circus.stats_endpoint,
    ...logArgs(circus),
  ];
  if (bound?.statsCurve) {
    args.push("--curve-secret-key", bound.statsCurve.secretKeyFile);
    if (bound.statsCurve.authorizedKeys) args.push("--curve-authorized-keys", bound.statsCurve.authorizedKeys);
  }
  return selfToolWatcher(STATS_WATCHER, program!, args, bound);
}

/** A watcher running this binary's `args` tool as a singleton on the daemon's sockets, with its environment. */
function selfToolWatcher(name: string, program: string, args: string[], bound?: BoundEndpoints): WatcherConfig {
  return watcherDefaults({
    name,
    cmd: quote(program),
    args,
    singleton: true,
    use_sockets: true,
    copy_env: true,
    env: { ...selfEnv(), ...bound?.env },
  });
}

/** Socket `circushttpd` on `httpd_host:httpd_port`, which the console serves through --fd. */
export function httpdSocket(circus: CircusOptions): SocketConfig {
  const host = circus.httpd_host;
  return {
    ...defaultsOf(SOCKET_OPTIONS),
    name: HTTPD_WATCHER,
    host,
    port: circus.httpd_port,
    family: host.includes(":") ? "AF_INET6" : "AF_INET",
    raw: { host, port: String(circus.httpd_port) },
    source: null,
  };
}

/**
 * The `circushttpd` watcher: `circus web` on the inherited socket, talking to this daemon. Credential
 * files are given relative to the config file's directory. No multicast discovery when embedded
 * (decisions §4).
 */
export function httpdWatcher(circus: CircusOptions, configFile: string, bound?: BoundEndpoints): WatcherConfig {
  const [program, ...prefix] = selfCommand();
  const base = dirname(configFile);
  const args = [
    ...prefix,
    "web",
    "--endpoint",
    bound?.endpoint ?? circus.endpoint,
    "--fd",
    `$(circus.sockets.${HTTPD_WATCHER})`,
    ...logArgs(circus),
  ];
  if (circus.httpd_auth_file) args.push("--auth-file", resolve(base, circus.httpd_auth_file));
  if (circus.httpd_token_file) args.push("--token-file", resolve(base, circus.httpd_token_file));
  return selfToolWatcher(HTTPD_WATCHER, program!, args, bound);
}

/**
 * The watcher of one plugin: `circus plugin` with the daemon's endpoints, check_delay and logging, its
 * options in CIRCUS_PLUGIN_OPTIONS (no quoting: values with spaces arrive whole) and, for a plugin that
 * listens, the daemon's socket as `--fd`.
 */
export function pluginWatcher(plugin: PluginConfig, circus: CircusOptions, bound?: BoundEndpoints): WatcherConfig {
  const [program, ...prefix] = selfCommand();
  const args = [
    ...prefix,
    "plugin",
    "--endpoint",
    bound?.endpoint ?? circus.endpoint,
    "--pubsub",
    bound?.pubsub ?? circus.pubsub_endpoint,
    "--check-delay",
    String(circus.check_delay),
    ...logArgs(circus),
  ];
  if (plugin.socket) args.push("--fd", `$(circus.sockets.${plugin.socket.name})`);
  args.push(plugin.target);
  return {
    ...plugin.watcher,
    name: plugin.name,
    cmd: quote(program!),
    args,
    shell: false,
    use_sockets: plugin.socket !== null || plugin.watcher.use_sockets,
    env: { ...plugin.watcher.env, ...bound?.env, [PLUGIN_OPTIONS_ENV]: encodeOptions(plugin.options) },
  };
}

/**
 * `config` plus the internal watchers its `[circus]` section asks for (none when a watcher of that name
 * is configured explicitly). Apply it to every config the arbiter receives (start, reloadconfig, restart)
 * so a reload does not see the internal watcher as removed.
 */
export function withInternalWatchers(config: CircusConfig, bound?: BoundEndpoints): CircusConfig {
  const extra: WatcherConfig[] = [];
  const sockets: SocketConfig[] = [];
  const has = (name: string) => config.watchers.some((w) => w.name.toLowerCase() === name);
  if (config.circus.statsd && !has(STATS_WATCHER)) extra.push(statsWatcher(config.circus, bound));
  if (config.circus.httpd && !has(HTTPD_WATCHER)) {
    extra.push(httpdWatcher(config.circus, config.file, bound));
    if (!config.sockets.some((s) => s.name === HTTPD_WATCHER)) sockets.push(httpdSocket(config.circus));
  }
  for (const plugin of config.plugins) {
    if (has(plugin.name.toLowerCase())) continue;
    extra.push(pluginWatcher(plugin, config.circus, bound));
    if (plugin.socket) sockets.push(plugin.socket);
  }
  if (extra.length === 0) return config;
  return { ...config, watchers: [...config.watchers, ...extra], sockets: [...config.sockets, ...sockets] };
}
