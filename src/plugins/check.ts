// Config-time check of [plugin:NAME] sections: resolve `use` (a built-in or a module relative to the
// config file), load the class, read its options by its option table, decide what the plugin process
// receives, and the socket the daemon binds for a plugin that listens. Problems carry file:line.

import { isWatcherKey, pluginOptionName, readPluginOptions } from "../config/options/plugin.ts";
import { putOwn, specOf } from "../config/options/spec.ts";
import { pluginBaseDir } from "../config/plugin.ts";
import type { Diagnostics } from "../config/raw.ts";
import type { PluginConfig, SocketConfig } from "../config/types.ts";
import type { PluginClass } from "./plugin.ts";
import { absoluteUse, loadPluginClass, PluginLoadError, resolveUse } from "./registry.ts";
import { optionTableOf } from "./runner.ts";

/** The name of the socket the daemon binds for plugin `plugin:NAME` (`$(circus.sockets.plugin-name)`). */
export function pluginSocketName(pluginName: string): string {
  return `plugin-${pluginName
    .slice("plugin:".length)
    .toLowerCase()
    .replace(/[^\w-]/g, "_")}`;
}

function socketFor(p: PluginConfig, cls: PluginClass, values: Record<string, unknown>): SocketConfig | null {
  const address = cls.listenAddress?.(values);
  if (!address) return null;
  return {
    name: pluginSocketName(p.name),
    host: address.host,
    port: address.port,
    family: address.host.includes(":") ? "AF_INET6" : "AF_INET",
    type: address.type === "udp" ? "SOCK_DGRAM" : "SOCK_STREAM",
    proto: 0,
    backlog: 2048,
    path: null,
    umask: 8,
    replace: false,
    interface: null,
    so_reuseport: false,
    blocking: false,
    systemd: false,
    raw: { host: address.host, port: String(address.port), type: address.type },
    source: p.source,
  };
}

/** Check every plugin; returns them with `target`, the options to pass, and their socket. */
export async function checkPlugins(
  plugins: PluginConfig[],
  diag: Diagnostics,
  socketNames: ReadonlySet<string>,
): Promise<PluginConfig[]> {
  const out: PluginConfig[] = [];
  for (const p of plugins) {
    if (p.use === "") {
      out.push(p); // already reported by the reader
      continue;
    }
    const at = (key: string) => specOf(p.optionSources, key) ?? p.source;
    let cls: PluginClass;
    let builtin: boolean;
    let target: string;
    try {
      const resolved = resolveUse(p.use, pluginBaseDir(p));
      builtin = resolved.kind === "builtin";
      target = absoluteUse(resolved);
      cls = await loadPluginClass(resolved);
    } catch (err) {
      if (!(err instanceof PluginLoadError)) throw err;
      diag.problem(at("use"), `${p.label}.use`, err.message);
      out.push(p);
      continue;
    }

    // A watcher option (priority, stop_signal, …) is the watcher's unless the plugin's table has it too.
    const table = optionTableOf(cls);
    const watcherOnly = new Set(
      Object.keys(p.options).filter((k) => isWatcherKey(k) && pluginOptionName(table, k) === undefined),
    );
    const parsed = readPluginOptions(table, p.options);
    for (const problem of parsed.problems) {
      const written = Object.keys(p.options).find(
        (k) => k === problem.key || specOf(table, problem.key)?.aliases?.includes(k),
      );
      diag.problem(at(written ?? problem.key), `${p.label}.${written ?? problem.key}`, problem.message);
    }
    if (builtin)
      for (const u of parsed.unknown)
        diag.warn(
          at(u.key),
          `${p.label}.${u.key}`,
          `not an option of ${p.use} nor a watcher option, ignored${u.near ? `; did you mean ${JSON.stringify(u.near)}?` : ""}`,
        );

    const unknown = new Set(parsed.unknown.map((u) => u.key));
    const options: Record<string, string> = {};
    for (const [key, value] of Object.entries(p.options))
      if (!watcherOnly.has(key) && (!builtin || !unknown.has(key))) putOwn(options, key, value);

    let socket: SocketConfig | null = null;
    if (parsed.problems.length === 0) {
      socket = socketFor(p, cls, parsed.values as Record<string, unknown>);
      if (socket && socketNames.has(socket.name))
        diag.problem(
          p.source,
          p.label,
          `the plugin's socket is named ${socket.name}, which a [socket:${socket.name}] section already uses; rename that section`,
        );
    }
    // An inactive plugin would exit at once and be respawned for ever: its watcher does not start.
    const inactive = parsed.problems.length === 0 && parsed.values.active === false;
    const watcher = inactive ? { ...p.watcher, autostart: false, respawn: false } : p.watcher;
    out.push({ ...p, target, options, socket, watcher });
  }
  return out;
}
