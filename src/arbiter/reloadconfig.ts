// `reloadconfig` (§9.11): compare a re-read configuration with the running one and apply only the
// differences — sockets bound/closed/rebound, watchers added, removed, resized or recreated.

import type { CircusConfig, SocketConfig, WatcherConfig } from "../config/types.ts";
import { OperationError } from "./errors.ts";
import type { SocketRegistry } from "./sockets.ts";
import type { Watcher } from "./watcher.ts";

export interface ReloadConfigSummary {
  added: string[];
  removed: string[];
  /** Stopped and recreated from the new configuration. */
  changed: string[];
  /** Only numprocesses differed: resized in place. */
  resized: string[];
  socketsAdded: string[];
  socketsRemoved: string[];
  socketsChanged: string[];
}

/** What diffConfig may do to the arbiter. */
export interface ReloadTarget {
  current: CircusConfig;
  watchers: Watcher[];
  sockets: SocketRegistry;
  /** Build a watcher and open its output (rejects on a bad stream option). */
  create(cfg: WatcherConfig): Promise<Watcher>;
  drop(w: Watcher): void;
  warmup(): Promise<void>;
  commit(cfg: CircusConfig): void;
}

/** Environment variables shells set on their own; a difference in them is no reason to restart (Circus's list). */
const NOISY_ENV = ["__CF_USER_TEXT_ENCODING", "PS1", "COMP_WORDBREAKS", "PROMPT_COMMAND"];

function comparable(cfg: WatcherConfig, withNumprocesses: boolean): string {
  const { source: _source, ...rest } = cfg;
  const env = { ...rest.env };
  for (const k of NOISY_ENV) delete env[k];
  return stableJson({ ...rest, env, numprocesses: withNumprocesses ? rest.numprocesses : 0 });
}

function socketKey(cfg: SocketConfig): string {
  const { source: _source, ...rest } = cfg;
  return stableJson(rest);
}

/** JSON with object keys sorted at every level, so key order never counts as a change. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A summary of no change at all. */
export function emptyReloadSummary(): ReloadConfigSummary {
  return {
    added: [],
    removed: [],
    changed: [],
    resized: [],
    socketsAdded: [],
    socketsRemoved: [],
    socketsChanged: [],
  };
}

/** One line saying what a reloadconfig did: `added watcher api; changed web (restarted); removed old`. */
export function describeReload(summary: ReloadConfigSummary): string {
  const parts: string[] = [];
  const list = (what: string, names: string[], note = "") => {
    if (names.length > 0) parts.push(`${what} ${names.join(", ")}${note}`);
  };
  list(`added watcher${summary.added.length > 1 ? "s" : ""}`, summary.added);
  list("changed", summary.changed, " (recreated)");
  list("resized", summary.resized);
  list("removed", summary.removed);
  list(`added socket${summary.socketsAdded.length > 1 ? "s" : ""}`, summary.socketsAdded);
  list("rebound", summary.socketsChanged);
  list(`closed socket${summary.socketsRemoved.length > 1 ? "s" : ""}`, summary.socketsRemoved);
  return parts.length > 0 ? parts.join("; ") : "nothing changed";
}

export async function diffConfig(next: CircusConfig, t: ReloadTarget): Promise<ReloadConfigSummary> {
  const summary = emptyReloadSummary();
  const oldSockets = new Map(t.sockets.configs().map((s) => [s.name.toLowerCase(), s]));
  const newSockets = new Map(next.sockets.map((s) => [s.name.toLowerCase(), s]));
  const newWatchers = new Map(next.watchers.map((w) => [w.name.toLowerCase(), w]));

  for (const name of oldSockets.keys()) {
    if (newSockets.has(name)) continue;
    const user = next.watchers.find(
      (w) => w.stdin_socket?.toLowerCase() === name || w.cmd.includes(`circus.sockets.${name}`),
    );
    if (user) throw new OperationError(`socket '${name}' is removed but watcher '${user.name}' still uses it`);
  }

  // Watchers that must be recreated because a socket they name changes under them.
  const socketUsers = new Set<string>();
  for (const [name, cfg] of newSockets) {
    const old = oldSockets.get(name);
    if (old !== undefined && socketKey(old) === socketKey(cfg)) continue;
    if (old !== undefined) {
      summary.socketsChanged.push(name);
      for (const w of t.watchers)
        if (w.config.cmd.includes(`circus.sockets.${name}`)) socketUsers.add(w.name.toLowerCase());
    } else {
      summary.socketsAdded.push(name);
    }
  }
  for (const name of oldSockets.keys()) if (!newSockets.has(name)) summary.socketsRemoved.push(name);

  // Stop what goes away or changes before touching sockets, so no child holds a socket being replaced.
  const recreate: WatcherConfig[] = [];
  for (const w of t.watchers) {
    const key = w.name.toLowerCase();
    const cfg = newWatchers.get(key);
    if (cfg === undefined) {
      await w.stop();
      t.drop(w);
      summary.removed.push(w.name);
    } else if (socketUsers.has(key) || comparable(cfg, false) !== comparable(w.loaded, false)) {
      await w.stop();
      t.drop(w);
      recreate.push(cfg);
      summary.changed.push(cfg.name);
    } else if (cfg.numprocesses !== w.loaded.numprocesses) {
      await w.setOption("numprocesses", cfg.numprocesses);
      w.loaded.numprocesses = cfg.numprocesses;
      summary.resized.push(cfg.name);
    }
  }

  for (const name of [...summary.socketsRemoved, ...summary.socketsChanged]) t.sockets.close(name);
  for (const name of [...summary.socketsAdded, ...summary.socketsChanged]) await t.sockets.add(newSockets.get(name)!);

  const existing = new Set(t.watchers.map((w) => w.name.toLowerCase()));
  const toStart: WatcherConfig[] = [...recreate];
  for (const [key, cfg] of newWatchers) {
    if (existing.has(key)) continue;
    toStart.push(cfg);
    summary.added.push(cfg.name);
  }
  toStart.sort((a, b) => b.priority - a.priority);
  let first = true;
  for (const cfg of toStart) {
    const w = await t.create(cfg);
    if (!cfg.autostart || cfg.on_demand) continue;
    if (!first) await t.warmup();
    first = false;
    await w.start();
  }

  // [circus] changes are the arbiter's to apply (commit): some at once, endpoints and logging at restart.
  t.commit(next);
  return summary;
}
