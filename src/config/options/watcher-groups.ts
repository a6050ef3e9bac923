// The prefixed part of the watcher table: keys that share a prefix (`rlimit_<name>`, `stdout_stream.<opt>`,
// `stderr_stream.<opt>`, `hooks.<hook>`, `flapping.<opt>`). Each group says, in one entry, how a config
// file reads its keys, how `set`/`add` check them, how `circus ctl set` converts a word, and where the
// value lands in a WatcherConfig.

import { RLIMITS } from "../../os/rlimit.ts";
import type { SectionReader } from "../fields.ts";
import type { RawValue } from "../raw.ts";
import { ScalarError } from "../scalars.ts";
import { substitute } from "../substitute.ts";
import type { WatcherConfig } from "../types.ts";
import { HOOK_NAMES, HookError, hookFromWire, isHookName, parseHook, PythonHookError } from "./hook.ts";
import { int, resourceLimit } from "./kinds.ts";
import { checkProbeText, PROBE_KINDS, READY_OPTIONS, type ProbeKind } from "./ready.ts";
import {
  OptionError,
  plainContext,
  putOwn,
  rangeProblem,
  specOf,
  type WireValue,
  wireRangeProblem,
  wireText,
} from "./spec.ts";
import { STREAM_OPTIONS } from "./stream.ts";
import type { SetEffect } from "./watcher.ts";

/** Keys that share a prefix. */
export interface WatcherGroup {
  readonly prefix: string;
  /** How the key is written, for docs: `rlimit_<name>`. */
  readonly pattern: string;
  /** What its values are, for docs. */
  readonly value: string;
  readonly doc: string;
  /** Known sub-names (docs, completion, "did you mean"); null: any name (owned by a plugin). */
  readonly names: readonly string[] | null;
  /** What `set` does; "no": the group is free options only (set like any free option, refused by `add`). */
  readonly set: SetEffect;
  /** Read `key` (= prefix + `sub`) of a config file into `cfg`; problems go through `r`. Absent: a free option. */
  readonly fromFile?: (r: SectionReader, key: string, sub: string, cfg: WatcherConfig) => void;
  /** Check a wire value (Circus's words). */
  readonly fromWire?: (sub: string, value: WireValue, key: string) => WireValue;
  /** circusctl's conversion of a word. */
  readonly fromCtl?: (sub: string, text: string) => WireValue;
  /** Store a checked wire value. */
  readonly put?: (cfg: WatcherConfig, sub: string, value: WireValue, baseDir: string) => void;
  /** The value `get` shows (undefined: no such key), so what `set` stored can be read back. */
  readonly get?: (cfg: Readonly<WatcherConfig>, sub: string) => WireValue | undefined;
}

function streamGroup(stream: "stdout_stream" | "stderr_stream"): WatcherGroup {
  const put = (cfg: WatcherConfig, sub: string, text: string) => {
    const conf = { ...(cfg[stream] ?? {}) };
    putOwn(conf, sub, text);
    cfg[stream] = conf;
  };
  return {
    prefix: `${stream}.`,
    pattern: `${stream}.<opt>`,
    value: "text",
    doc: `${stream === "stdout_stream" ? "stdout" : "stderr"} capture: \`class\` and the class's options (see the stream table)`,
    names: Object.keys(STREAM_OPTIONS),
    set: "reload",
    // Kept as text: the stream reads it when it opens; the loader checks typed ones once all are read.
    fromFile: (r, key, sub, cfg) => put(cfg, sub, r.text(key) ?? ""),
    fromWire: (_sub, value) => value,
    fromCtl: (sub, text) => {
      const spec = specOf(STREAM_OPTIONS, sub);
      if (spec === undefined) return text;
      // circusctl sends whole numbers as numbers (max_bytes, backup_count); other kinds are checked and sent as text.
      const parsed = spec.kind.fromText(text, plainContext());
      return spec.kind === int ? parsed : text;
    },
    put: (cfg, sub, value) => put(cfg, sub, wireText(value)),
  };
}

export const RLIMIT_NAMES = Object.keys(RLIMITS) as (keyof typeof RLIMITS)[];

/** The hook value of a file: text, or a TOML `[target, flag]` pair with its strings substituted. */
function fileHook(r: SectionReader, key: string): RawValue {
  const entry = r.entry(key)!;
  if (!Array.isArray(entry.value)) return r.text(key) ?? "";
  return entry.value.map((v) => (typeof v === "string" && r.vars ? substitute(v, r.vars) : v));
}

export const WATCHER_GROUPS: readonly WatcherGroup[] = [
  {
    prefix: "rlimit_",
    pattern: "rlimit_<name>",
    value: resourceLimit.name,
    doc: `resource limit \`RLIMIT_<NAME>\` (soft = hard) of the processes; empty or \`unlimited\` = no limit. Names: ${RLIMIT_NAMES.join(", ")}`,
    names: RLIMIT_NAMES,
    set: "ignore",
    fromFile: (r, key, sub, cfg) => {
      const limit = sub.toLowerCase();
      if (!Object.hasOwn(RLIMITS, limit)) {
        r.problem(key, `unknown resource limit ${JSON.stringify(limit)}, expected one of ${RLIMIT_NAMES.join(", ")}`);
        return;
      }
      const value = r.read(key, resourceLimit);
      if (value !== undefined) putOwn(cfg.rlimits, limit, value);
    },
    fromWire: (sub, value, key) => {
      if (!Object.hasOwn(RLIMITS, sub.toLowerCase())) throw new OptionError(`'${key}' isn't a valid rlimit setting`);
      return resourceLimit.fromWire(value, key);
    },
    fromCtl: (_sub, t) => resourceLimit.fromCtl(t),
    put: (cfg, sub, value) => {
      putOwn(cfg.rlimits, sub.toLowerCase(), value as number | null);
    },
  },
  streamGroup("stdout_stream"),
  streamGroup("stderr_stream"),
  {
    prefix: "hooks.",
    pattern: "hooks.<hook>",
    value: "hook",
    doc: "a hook: `./module.ts:function[, ignore_errors]` or `cmd:<command>[, ignore_errors]` (see the hook table)",
    names: HOOK_NAMES,
    set: "manage",
    fromFile: (r, key, sub, cfg) => {
      if (!isHookName(sub)) {
        r.problem(key, `unknown hook ${JSON.stringify(sub)}, expected one of ${HOOK_NAMES.join(", ")}`);
        return;
      }
      try {
        cfg.hooks[sub] = parseHook(fileHook(r, key), r.context(key).baseDir);
      } catch (err) {
        if (err instanceof PythonHookError) {
          // Circus drops only the watcher whose hook does not load; we keep it, stopped, saying why.
          const reason = `hooks.${sub} = ${err.path}: ${err.message}`;
          cfg.hooks[sub] = { target: { kind: "python", raw: err.path, reason }, ignoreErrors: false };
          r.warn(key, `${err.message}; the watcher is loaded but stays stopped until then`);
        } else if (err instanceof HookError) r.problem(key, err.message);
        else throw err;
      }
    },
    fromWire: (sub, value) => hookFromWire(sub, value),
    fromCtl: (sub, t) => {
      if (!isHookName(sub)) throw new ScalarError(`unknown hook "${sub}"; known hooks: ${HOOK_NAMES.join(", ")}`);
      return t;
    },
    put: (cfg, sub, value, baseDir) => {
      if (isHookName(sub)) cfg.hooks[sub] = parseHook(value, baseDir);
    },
  },
  {
    prefix: "ready.",
    pattern: "ready.<opt>",
    value: "probe",
    doc: "when each process is ready: one probe (`http`, `tcp`, `cmd`, `log`, `notify`), its `interval` and `timeout` (see the readiness table)",
    names: Object.keys(READY_OPTIONS),
    set: "manage",
    fromFile: (r, key, sub, cfg) => {
      const spec = specOf(READY_OPTIONS, sub);
      if (spec === undefined) {
        r.problem(key, `unknown readiness option ${JSON.stringify(sub)}, expected one of ${readyKeys()}`);
        return;
      }
      const value = r.read<unknown>(key, spec.kind);
      if (value === undefined) return;
      const range = rangeProblem(spec.range, value);
      if (range) return r.problem(key, range);
      if (typeof value === "string" && value.trim() !== "" && isProbeKind(sub)) {
        try {
          checkProbeText(sub, value);
        } catch (err) {
          if (!(err instanceof ScalarError)) throw err;
          return r.problem(key, err.message);
        }
      }
      putOwn(cfg.ready as unknown as Record<string, unknown>, sub, value);
    },
    fromWire: (sub, value, key) => {
      const spec = specOf(READY_OPTIONS, sub);
      if (spec === undefined) throw new OptionError(`unknown key '${key}'`);
      const checked = spec.kind.fromWire(value, key) as WireValue;
      const range = wireRangeProblem(spec.range, key, checked);
      if (range) throw new OptionError(range);
      if (typeof checked === "string" && checked.trim() !== "" && isProbeKind(sub)) {
        try {
          checkProbeText(sub, checked);
        } catch (err) {
          throw new OptionError(`'${key}': ${(err as Error).message}`, 3, { cause: err });
        }
      }
      return checked;
    },
    fromCtl: (sub, text) => {
      const spec = specOf(READY_OPTIONS, sub);
      if (spec === undefined) throw new ScalarError(`unknown readiness option "${sub}"; known: ${readyKeys()}`);
      return spec.kind.fromCtl(text);
    },
    put: (cfg, sub, value) => {
      if (specOf(READY_OPTIONS, sub) !== undefined) cfg.ready = { ...cfg.ready, [sub]: value };
    },
    get: (cfg, sub) =>
      specOf(READY_OPTIONS, sub) === undefined ? undefined : (cfg.ready as unknown as Record<string, WireValue>)[sub],
  },
  {
    prefix: "flapping.",
    pattern: "flapping.<opt>",
    value: "text",
    doc: "per-watcher settings of the Flapping plugin, kept as free options",
    names: null,
    set: "no",
  },
];

function readyKeys(): string {
  return Object.keys(READY_OPTIONS)
    .map((k) => `ready.${k}`)
    .join(", ");
}

function isProbeKind(sub: string): sub is ProbeKind {
  return (PROBE_KINDS as readonly string[]).includes(sub);
}

/** The group a key belongs to, if any. */
export function watcherGroup(key: string): WatcherGroup | undefined {
  return WATCHER_GROUPS.find((g) => key.startsWith(g.prefix));
}
