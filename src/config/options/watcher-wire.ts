// Watcher options over the control channel, by the watcher table: what `options`/`get` show, the one
// check `set` and `add` run on every key (Circus's errno-3 words), the one function that applies a
// checked key to a WatcherConfig, and circusctl's conversion of `set` words into wire values.

import { ScalarError } from "../scalars.ts";
import { didYouMean } from "../suggest.ts";
import type { WatcherConfig } from "../types.ts";
import { HookError } from "./hook.ts";
import { OptionError, putOwn, type WireValue, wireRangeProblem, wireText } from "./spec.ts";
import {
  breaksSingleton,
  LISTED_OPTIONS,
  newWatcherConfig,
  type WatcherField,
  type WatcherSpecialKey,
  WATCHER_OPTIONS,
  watcherOption,
} from "./watcher.ts";
import { WATCHER_GROUPS, watcherGroup } from "./watcher-groups.ts";

/** `set` changes a running watcher (free options allowed, some keys ignored); `add` builds a new one. */
export type WireMode = "set" | "add";

/** What a checked key asks of the watcher once applied; "reload" outranks "manage". */
export type OptionAction = "manage" | "reload";

/** `options`: every listed option, then the free options, with Circus's value shapes. */
export function listWatcherOptions(cfg: WatcherConfig): Record<string, WireValue> {
  const values = new Map<string, WireValue>();
  for (const key of LISTED_OPTIONS) {
    const spec = watcherOption(key)!;
    const value = spec.field ? (cfg as unknown as Record<string, WireValue>)[key] : spec.get!(cfg);
    values.set(key, value ?? (spec.field ? spec.wireDefault?.() : undefined) ?? null);
  }
  for (const [key, value] of Object.entries(cfg.free)) values.set(key, value);
  // Circus lists them sorted (by code point: `__name__` first, free options among the others).
  const out: Record<string, WireValue> = {};
  for (const key of [...values.keys()].sort(byCodePoint)) putOwn(out, key, values.get(key)!);
  return out;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What the watcher being changed already has: its free options and whether it is a singleton. */
export interface WireTarget {
  free: Readonly<Record<string, string>>;
  singleton: boolean;
}

/**
 * Check one key/value as `set` or `add` receives it and return it normalized (signal names become
 * numbers). Throws OptionError in Circus's words: `unknown key 'x'`, `'numprocesses' isn't an integer`.
 */
export function checkWatcherOption(key: string, value: WireValue, mode: WireMode, target?: WireTarget): WireValue {
  if (mode === "set" && target && Object.hasOwn(target.free, key)) return value;
  const spec = watcherOption(key);
  if (spec !== undefined && spec.set !== "no") {
    const checked = spec.kind.fromWire(value, key) as WireValue;
    const range = wireRangeProblem(spec.range, key, checked);
    if (range) throw new OptionError(range);
    return checked;
  }
  const group = spec === undefined ? watcherGroup(key) : undefined;
  if (group?.fromWire) return group.fromWire(key.slice(group.prefix.length), value, key);
  throw new OptionError(`unknown key '${key}'`);
}

/** Check every key before any is applied; a singleton may not grow past one process (errno 5). */
export function checkWatcherOptions(
  options: Readonly<Record<string, WireValue>>,
  mode: WireMode,
  target?: WireTarget,
): Record<string, WireValue> {
  const out: Record<string, WireValue> = {};
  for (const [key, value] of Object.entries(options)) putOwn(out, key, checkWatcherOption(key, value, mode, target));
  const singleton = typeof out.singleton === "boolean" && mode === "add" ? out.singleton : (target?.singleton ?? false);
  if (typeof out.numprocesses === "number" && breaksSingleton(singleton, out.numprocesses)) {
    // Circus's own words, which clients match on.
    throw new OptionError(
      mode === "set"
        ? "Singleton watcher has a single process"
        : `Cannot have ${out.numprocesses} processes with a singleton watcher`,
      5,
    );
  }
  return out;
}

/**
 * Apply one checked key to `cfg` and say what it asks for. In "set" mode keys Circus ignores there are
 * not applied and a watcher's free option is stored as text; relative hook paths resolve against `baseDir`.
 */
export function applyWatcherOption(
  cfg: WatcherConfig,
  key: string,
  value: WireValue,
  mode: WireMode,
  baseDir: string,
): OptionAction {
  const spec: WatcherField<unknown> | WatcherSpecialKey<unknown> | undefined = watcherOption(key);
  if (mode === "set" && Object.hasOwn(cfg.free, key)) {
    putOwn(cfg.free, key, wireText(value));
    return "manage";
  }
  if (spec !== undefined) {
    if (mode === "set" && spec.set === "ignore") return "manage";
    if (spec.field) (cfg as unknown as Record<string, unknown>)[key] = value;
    else spec.put?.(cfg, value as never, baseDir);
    return spec.set === "reload" ? "reload" : "manage";
  }
  const group = watcherGroup(key);
  if (group === undefined || group.put === undefined) throw new OptionError(`unknown key '${key}'`);
  if (mode === "set" && group.set === "ignore") return "manage";
  group.put(cfg, key.slice(group.prefix.length), value, baseDir);
  return group.set === "reload" ? "reload" : "manage";
}

/** A WatcherConfig for `add`: Circus's defaults, then every checked option applied in order. */
export function watcherFromWire(
  name: string,
  cmd: string,
  args: string | string[] | null,
  options: Readonly<Record<string, WireValue>>,
  baseDir: string,
): WatcherConfig {
  const cfg = newWatcherConfig({ name, cmd, args });
  for (const [key, value] of Object.entries(options)) applyWatcherOption(cfg, key, value, "add", baseDir);
  return cfg;
}

/** A `circus ctl set` word circusctl cannot convert (it exits with an argument error). */
export class CtlValueError extends Error {
  override readonly name = "CtlValueError";
}

/** The keys `circus ctl set` converts, then the prefixed ones (`hooks.<hook>`), for completion and hints. */
export const SETTABLE_KEYS: readonly string[] = Object.entries(WATCHER_OPTIONS)
  .filter(([, spec]) => spec.set !== "no" && spec.ctl !== false)
  .map(([key]) => key);
export const SETTABLE_PATTERNS: readonly string[] = WATCHER_GROUPS.filter((g) => g.fromCtl).map((g) => g.pattern);

/** circusctl's conversion of a `set` word for `key` (already lower-cased), by the key's kind. */
export function ctlSetValue(key: string, text: string): WireValue {
  const spec = watcherOption(key);
  const group = spec === undefined ? watcherGroup(key) : undefined;
  try {
    if (spec !== undefined && spec.set !== "no" && spec.ctl !== false) return spec.kind.fromCtl(text);
    if (group?.fromCtl) return group.fromCtl(key.slice(group.prefix.length), text);
  } catch (err) {
    if (err instanceof ScalarError || err instanceof HookError || err instanceof OptionError)
      throw new CtlValueError(`set ${key}: ${err.message}`, { cause: err });
    throw err;
  }
  const near = didYouMean(key, SETTABLE_KEYS);
  const hint = near ? `${near} ` : "";
  throw new CtlValueError(
    `unknown key '${key}'; ${hint}settable keys: ${[...SETTABLE_KEYS, ...SETTABLE_PATTERNS].join(", ")}`,
  );
}
