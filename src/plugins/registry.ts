// What `use =` names: a built-in (by Circus's dotted class name or its short name) or a user module
// `./plugins/mine.ts:MyPlugin` (path relative to the config file), loaded with import() at run time.

import { isAbsolute, resolve } from "../util/path.ts";
import { didYouMean } from "../config/suggest.ts";
import { errorText, isPluginClass, type PluginClass } from "./plugin.ts";

interface Builtin {
  /** Short name (Circus's `name` class attribute), also accepted in `use`. */
  name: string;
  /** What it does, one sentence (README and help). */
  summary: string;
  /** Circus's fully-qualified class name(s). */
  circus: readonly string[];
  load: () => Promise<PluginClass>;
}

/** The built-in plugins; each module is imported only when a config or a command line names it. */
export const BUILTINS: readonly Builtin[] = [
  {
    name: "statsd",
    summary:
      "Sends a statsd counter `circus.<application_name>.watcher.<watcher>.<action>` for every event (spawn, reap, stop, …).",
    circus: ["circus.plugins.statsd.StatsdEmitter", "circus.plugins._statsd.StatsdEmitter"],
    load: async () => (await import("./builtins/statsd.ts")).StatsdEmitter,
  },
  {
    name: "full_stats",
    summary:
      "Every `loop_rate` seconds, statsd gauges per watcher from `stats`: `_stats.<watcher>.watchers_num`, `cpu_max`, `cpu_sum`, `mem_pct_max`, `mem_pct_sum`, `mem_max`, `mem_sum` (bytes); plugin watchers left out.",
    circus: ["circus.plugins.statsd.FullStats"],
    load: async () => (await import("./builtins/full-stats.ts")).FullStats,
  },
  {
    name: "flapping",
    summary:
      "Stops a watcher whose processes die `attempts` times within `window` seconds, starts it again after `retry_in`, and leaves it stopped after `max_retry` tries. Only deaths the daemon did not cause count (`reason` `crash` or `exit` of the reap; every reap from a daemon that sends no `reason`). Each option can be set per watcher as `flapping.<option>` in its section, re-read when the watcher's options change.",
    circus: ["circus.plugins.flapping.Flapping"],
    load: async () => (await import("./builtins/flapping.ts")).Flapping,
  },
  {
    name: "watchdog",
    summary:
      "Workers send UDP heartbeats (`<pid>;<timestamp>` by default) to `ip:port`; a process of a watched watcher silent for `loop_rate × max_count` seconds is killed, and its watcher replaces it. The daemon binds the UDP socket.",
    circus: ["circus.plugins.watchdog.WatchDog"],
    load: async () => (await import("./builtins/watchdog.ts")).WatchDog,
  },
  {
    name: "http_observer",
    summary:
      "Every `loop_rate` seconds GETs `check_url`: the response time goes to statsd as `http_stats.request_time` (ms); a status ≥ 400 or no answer (599) counts `http_stats.error` and `http_stats.error.<status>` and restarts `restart_on_error`.",
    circus: ["circus.plugins.http_observer.HttpObserver"],
    load: async () => (await import("./builtins/http-observer.ts")).HttpObserver,
  },
  {
    name: "redis_observer",
    summary:
      "Every `loop_rate` seconds reads Redis's INFO and sends Circus's 22 gauges `redis_stats.<field>` (used_memory, connected_clients, keyspace_hits, …); when Redis cannot be reached counts `redis_stats.error` and restarts `restart_on_timeout`.",
    circus: ["circus.plugins.redis_observer.RedisObserver"],
    load: async () => (await import("./builtins/redis-observer.ts")).RedisObserver,
  },
  {
    name: "resource_watcher",
    summary:
      "Every `loop_rate` seconds checks the CPU and memory of `watcher`'s processes; when one stays out of bounds for more than `max_count` checks in a row, restarts the watcher, or with `process_children` sends `child_signal` to the offending child process alone. Counters `_resource_watcher.<watcher>.{over_cpu,under_cpu,over_memory,under_memory,over_health,restarting,error}`.",
    circus: ["circus.plugins.resource_watcher.ResourceWatcher"],
    load: async () => (await import("./builtins/resource-watcher.ts")).ResourceWatcher,
  },
  {
    name: "command_reloader",
    summary:
      "Every `loop_rate` seconds looks at the program each watcher runs (the first word of `cmd`, or `executable`, found in PATH); when the file changes (new mtime, or a symlink now resolving elsewhere) restarts that watcher.",
    circus: ["circus.plugins.command_reloader.CommandReloader"],
    load: async () => (await import("./builtins/command-reloader.ts")).CommandReloader,
  },
  {
    name: "prometheus",
    summary:
      "Serves the daemon's watchers, processes and its own figures in the Prometheus text format at `http://host:port/path` (metrics below). The daemon binds the listening socket.",
    circus: [],
    load: async () => (await import("./builtins/prometheus.ts")).Prometheus,
  },
];

/** `use` cannot be resolved or loaded; the message says why and lists what would work. */
export class PluginLoadError extends Error {
  override readonly name = "PluginLoadError";
}

/** A resolved `use`: a built-in, or a module file and the export holding the class. */
export type PluginTarget =
  | { kind: "builtin"; builtin: Builtin; use: string }
  | { kind: "module"; path: string; exportName: string; use: string };

const MODULE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Every spelling `use` accepts for the built-ins, for error messages. */
export function builtinNames(): string[] {
  return BUILTINS.flatMap((b) => [...b.circus.slice(0, 1), b.name]);
}

function unknownUse(use: string): PluginLoadError {
  const near = didYouMean(
    use,
    BUILTINS.flatMap((b) => [...b.circus, b.name]),
  );
  const hint = near ? ` (${near})` : "";
  return new PluginLoadError(
    `unknown plugin ${JSON.stringify(use)}${hint}, expected a built-in (${builtinNames().join(", ")}) or a module like ./plugins/mine.ts:MyPlugin`,
  );
}

/** Resolve `use`; a relative module path is taken from `baseDir` (the config file's directory). */
export function resolveUse(use: string, baseDir: string): PluginTarget {
  const text = use.trim();
  const builtin = BUILTINS.find((b) => b.name === text || b.circus.includes(text));
  if (builtin) return { kind: "builtin", builtin, use: text };
  const colon = text.lastIndexOf(":");
  const path = colon > 0 ? text.slice(0, colon) : text;
  const exportName = colon > 0 ? text.slice(colon + 1) : "default";
  if (!/^\.{0,2}\//.test(path) && !MODULE_FILE.test(path)) throw unknownUse(text);
  if (!IDENTIFIER.test(exportName))
    throw new PluginLoadError(
      `${JSON.stringify(exportName)} is not an export name, expected a module and class like ./plugins/mine.ts:MyPlugin`,
    );
  return { kind: "module", path: isAbsolute(path) ? path : resolve(baseDir, path), exportName, use: text };
}

/** The `use` text that names `target` from anywhere (module paths made absolute). */
export function absoluteUse(target: PluginTarget): string {
  return target.kind === "builtin" ? target.use : `${target.path}:${target.exportName}`;
}

/** Import the plugin class; throws PluginLoadError for a missing file, a missing export or a non-plugin export. */
export async function loadPluginClass(target: PluginTarget): Promise<PluginClass> {
  if (target.kind === "builtin") return target.builtin.load();
  if (!(await Bun.file(target.path).exists()))
    throw new PluginLoadError(`plugin module ${target.path} does not exist, expected a .ts or .js file`);
  const { registerCircusModule } = await import("../runtime-module.ts");
  registerCircusModule();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target.path)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginLoadError(`cannot load plugin module ${target.path}: ${errorText(err)}`, { cause: err });
  }
  if (!Object.hasOwn(mod, target.exportName)) {
    const names = Object.keys(mod).filter((k) => isPluginClass(mod[k]));
    throw new PluginLoadError(
      `${target.path} has no export ${JSON.stringify(target.exportName)}${names.length ? `, expected one of ${names.join(", ")}` : ", expected an exported class extending CircusPlugin"}`,
    );
  }
  const cls = mod[target.exportName];
  if (!isPluginClass(cls))
    throw new PluginLoadError(
      `${target.path}: export ${JSON.stringify(target.exportName)} is not a plugin class, expected a class extending CircusPlugin from "circus"`,
    );
  return cls;
}
