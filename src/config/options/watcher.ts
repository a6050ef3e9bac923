// The watcher table: every key of a [watcher:NAME] section and of `options`/`get`/`set`/`add`, with its
// kind, default, doc, range, its place in Circus's `options` list and what `set` does with it. The
// plain keys are the WatcherConfig fields (their types are derived from here); the special keys say
// where their values live. Prefixed keys (`rlimit_*`, `stdout_stream.*`, `hooks.*`) are in watcher-groups.ts.

import { SIGTERM } from "../../os/signals.ts";
import { ScalarError } from "../scalars.ts";
import type { WatcherConfig } from "../types.ts";
import { hookFromWire, isHookName, parseHook, parseHookList } from "./hook.ts";
import {
  argumentList,
  bool,
  commandLine,
  float,
  int,
  nameList,
  number,
  optionalText,
  signal,
  stringMap,
  userOrGroup,
} from "./kinds.ts";
import { READY_DEFAULTS } from "./ready.ts";
import { pythonStr } from "./render.ts";
import {
  defaultsOf,
  OptionError,
  type OptionSpec,
  putOwn,
  type ValueKind,
  type ValueOf,
  type WireValue,
  wireText,
} from "./spec.ts";

/**
 * What `set` does with a key: change it and manage the processes (resize, new timeouts), change it and
 * reload the watcher gracefully, accept and ignore it (Circus only uses it in `add`), or refuse it as
 * an unknown key ("no": it cannot change at run time and `add` refuses it too).
 */
export type SetEffect = "manage" | "reload" | "ignore" | "no";

interface WatcherKey<T> extends OptionSpec<T> {
  /**
   * Its place in Circus's `optnames` (the docs order); absent: `options` does not show it and `get`
   * refuses it. The `options` reply itself is sorted by name, as Circus sorts it.
   */
  readonly listed?: number;
  readonly set: SetEffect;
  /** false: `circus ctl set` cannot send it (circusctl has no conversion for it); the wire still can. */
  readonly ctl?: false;
  /**
   * true: `set` of it only tunes how many processes run and how they are stopped or recycled, never
   * what runs, where or as whom; the web console lets an operator change it (other keys need an admin).
   */
  readonly tuning?: true;
}

/** A key that is a WatcherConfig field of the same name. */
export interface WatcherField<T> extends WatcherKey<T> {
  readonly field: true;
  /** How config files read it, when that differs from the wire (Circus's int-only warmup_delay). */
  readonly fileKind?: ValueKind<T>;
  /** What `options`/`get` show when the field is unset, when Circus shows more than null. */
  readonly wireDefault?: () => WireValue;
}

/** A key whose value lives elsewhere (or nowhere), with how a config file treats it. */
export interface WatcherSpecialKey<T> extends WatcherKey<T> {
  readonly field: false;
  /** "free": a file keeps it like any unknown key; {warn}: accepted with a warning, `keep` as a free option. */
  readonly inFile: "free" | { readonly warn: string; readonly keep: boolean; readonly pythonOnly?: true };
  /** Its value in `options`/`get` (listed keys). */
  get?(cfg: WatcherConfig): WireValue;
  /** Store a checked wire value (keys `set`/`add` take); absent = accepted and dropped. */
  put?(cfg: WatcherConfig, value: T, baseDir: string): void;
}

function field<T>(kind: ValueKind<T>, spec: Omit<WatcherField<NoInfer<T>>, "kind" | "field">): WatcherField<T> {
  return { ...spec, kind, field: true };
}

function special<T>(
  kind: ValueKind<T>,
  spec: Omit<WatcherSpecialKey<NoInfer<T>>, "kind" | "field">,
): WatcherSpecialKey<T> {
  return { ...spec, kind, field: false };
}

/** A Python-only option: accepted from files with a warning; `keep` leaves it visible as a free option. */
function pythonOnly(why: string, keep: boolean): WatcherSpecialKey<string | null> {
  return special(optionalText, {
    default: null,
    set: "no",
    doc: `Python only: ${why}`,
    inFile: { warn: `Python-only option: ${why}`, keep, pythonOnly: true },
  });
}

/** A stream configuration over the wire (`add` options `stdout_stream`, `stderr_stream`): values become text. */
const streamConfig: ValueKind<Record<string, string> | null> = {
  name: "stream",
  textual: true,
  tomlExpected: "a table",
  fromText: () => {
    throw new ScalarError("set the stream's options one by one, e.g. stdout_stream.class FileStream");
  },
  fromToml: () => {
    throw new ScalarError("expected a table of stream options");
  },
  fromWire: (v, key) => {
    if (v === null) return null;
    if (typeof v !== "object" || Array.isArray(v) || typeof v.class !== "string")
      throw new OptionError(`'${key}' isn't a valid stream (an object with a 'class')`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) putOwn(out, k, wireText(x));
    return out;
  },
  fromCtl: () => {
    throw new ScalarError("set the stream's options one by one, e.g. stdout_stream.class FileStream");
  },
  render: pythonStr,
};

/** `set`'s `hooks` object: `{hook: "target[,flag]"}` (or `[target, flag]` pairs from `add`). */
const hookMap: ValueKind<Record<string, WireValue>> = {
  name: "hooks",
  textual: true,
  tomlExpected: "a table of hooks",
  fromText: (t) => parseHookList(t),
  fromToml: () => {
    throw new ScalarError("expected hooks.<name> keys");
  },
  fromWire: (v, key) => {
    if (v === null || typeof v !== "object" || Array.isArray(v))
      throw new OptionError(`'${key}' isn't a valid hook dict`);
    for (const [hook, spec] of Object.entries(v)) hookFromWire(hook, spec);
    return v;
  },
  fromCtl: (t) => parseHookList(t),
  render: pythonStr,
};

/** A stream's options as Circus's `options` shows them: without `class`, which Circus keeps apart. */
const streamConf = (stream: "stdout_stream" | "stderr_stream") => (cfg: WatcherConfig) => {
  const { class: _class, ...rest } = cfg[stream] ?? {};
  return rest;
};

/**
 * The watcher keys that are WatcherConfig fields, in documentation order (WatcherConfig's types derive
 * from these entries). `listed` follows Circus 0.19's `options` order.
 */
export const WATCHER_FIELDS = {
  cmd: field(commandLine, {
    default: "",
    listed: 12,
    set: "reload",
    doc: "the program and its leading arguments, split into words like a shell (required)",
  }),
  args: field(argumentList, {
    default: null,
    // Circus's default is "" (clients do `options['args'].split()`).
    wireDefault: () => "",
    listed: 13,
    set: "reload",
    doc: "more arguments after `cmd`'s (a TOML or JSON list keeps each element as one argument)",
  }),
  shell: field(bool, {
    default: false,
    listed: 8,
    set: "reload",
    doc: "run through `/bin/sh -c` (each word quoted, as Circus does)",
  }),
  shell_args: field(optionalText, {
    default: null,
    listed: 9,
    set: "no",
    doc: "with `shell`: arguments after `-c <command>` (`$0 $1 …`)",
  }),
  executable: field(optionalText, {
    default: null,
    listed: 16,
    set: "no",
    doc: "the file to execute; `cmd`'s first word is then only `argv[0]`",
  }),
  working_dir: field(optionalText, {
    default: null,
    // Circus fills in the daemon's working directory, which unset means (clients use it as a path).
    wireDefault: () => process.cwd(),
    listed: 2,
    set: "reload",
    doc: "the processes' working directory",
    docDefault: "the daemon's",
  }),
  uid: field(userOrGroup, {
    default: null,
    listed: 3,
    set: "reload",
    doc: "user to run as, a name or a number (resolved at each spawn)",
    docDefault: "the daemon's",
  }),
  gid: field(userOrGroup, {
    default: null,
    listed: 4,
    set: "reload",
    doc: "group to run as; with only `uid`, that user's primary group",
    docDefault: "the daemon's",
  }),
  copy_env: field(bool, {
    default: false,
    listed: 19,
    set: "ignore",
    doc: "start the environment from the daemon's (then `[env]`, `[env:…]` on top)",
  }),
  warmup_delay: field(number, {
    default: 0,
    listed: 1,
    set: "manage",
    tuning: true,
    fileKind: int,
    range: { min: 0, text: "0 or more seconds" },
    doc: "seconds to wait after each spawn (a whole number in files, as in Circus)",
  }),
  autostart: field(bool, { default: true, set: "no", doc: "start with the daemon (else only by `start <name>`)" }),
  numprocesses: field(int, {
    default: 1,
    listed: 0,
    set: "manage",
    tuning: true,
    range: { min: 0, text: "0 or more processes" },
    doc: "how many processes to run",
  }),
  priority: field(int, {
    default: 0,
    listed: 18,
    set: "no",
    doc: "higher starts earlier and stops later",
  }),
  singleton: field(bool, {
    default: false,
    listed: 20,
    set: "ignore",
    doc: "at most one process",
  }),
  use_sockets: field(bool, {
    default: false,
    listed: 17,
    set: "no",
    doc: "processes inherit the `[socket:*]` file descriptors (else every fd above 2 is closed)",
  }),
  stdin_socket: field(optionalText, {
    default: null,
    set: "no",
    doc: "a `[socket:NAME]` whose descriptor becomes the processes' stdin",
  }),
  close_child_stdin: field(bool, {
    default: true,
    listed: 26,
    set: "ignore",
    doc: "stdin is /dev/null",
  }),
  close_child_stdout: field(bool, {
    default: false,
    listed: 27,
    set: "ignore",
    doc: "stdout goes to /dev/null (also when a stream is configured)",
  }),
  close_child_stderr: field(bool, {
    default: false,
    listed: 28,
    set: "ignore",
    doc: "stderr goes to /dev/null",
  }),
  send_hup: field(bool, {
    default: false,
    listed: 5,
    set: "manage",
    tuning: true,
    doc: "a graceful reload sends SIGHUP instead of replacing the processes",
  }),
  stop_signal: field(signal, {
    default: SIGTERM,
    listed: 6,
    set: "manage",
    tuning: true,
    doc: "first signal of a stop (a name like `TERM` or a number)",
    docDefault: `TERM (${SIGTERM})`,
  }),
  stop_children: field(bool, {
    default: false,
    listed: 7,
    set: "manage",
    tuning: true,
    doc: "also send `stop_signal` to each process's children",
  }),
  graceful_timeout: field(float, {
    default: 30,
    listed: 15,
    set: "manage",
    tuning: true,
    range: { min: 0, text: "0 or more seconds" },
    doc: "seconds between `stop_signal` and SIGKILL",
  }),
  max_retry: field(int, {
    default: 5,
    listed: 11,
    set: "ignore",
    range: { min: -1, text: "-1 (retry forever) or 0 or more" },
    doc: "failed spawns in a row before the watcher gives up (-1 = never)",
  }),
  max_age: field(int, {
    default: 0,
    listed: 24,
    set: "reload",
    tuning: true,
    range: { min: 0, text: "0 (off) or more seconds" },
    doc: "replace a process older than this many seconds (0 = never)",
  }),
  max_age_variance: field(int, {
    default: 30,
    listed: 25,
    set: "reload",
    tuning: true,
    range: { min: 0, text: "0 or more seconds" },
    doc: "random extra seconds added to `max_age` per process",
  }),
  respawn: field(bool, {
    default: true,
    listed: 14,
    set: "ignore",
    doc: "replace processes that exit",
  }),
  on_demand: field(bool, {
    default: false,
    listed: 22,
    set: "no",
    doc: "start only when one of its sockets gets a connection",
  }),
  depends_on: field(nameList, {
    default: [],
    set: "no",
    doc: "watchers that must be ready before this one starts (`db, cache`); stops and reloads go in reverse (beyond Circus)",
  }),
  critical: field(bool, {
    default: false,
    set: "manage",
    doc: "when this watcher gives up (max_retry exhausted with no process, or stopped by Flapping), the daemon stops everything and exits 1 (beyond Circus)",
  }),
  stop_on_daemon_death: field(bool, {
    default: false,
    set: "manage",
    doc: "its processes get SIGKILL if the daemon dies without stopping them (PR_SET_PDEATHSIG; beyond Circus)",
  }),
  output_block_timeout: field(float, {
    default: 5,
    set: "manage",
    range: { min: 0, text: "0 or more seconds" },
    doc: "seconds a captured worker may wait on a slow stream per line; past that its lines are dropped whole and counted (beyond Circus)",
  }),
} as const;

/** The warning for `env` (and `env.*` from TOML tables) inside a watcher section. */
export const ENV_IN_WATCHER =
  "env inside a watcher section is ignored (as in Circus); use an [env:NAME] section ([env.NAME] in TOML)";

/** The other watcher keys: wire-only ones, the `options` views of the streams, Python-only ones. */
const WATCHER_SPECIAL_KEYS = {
  env: special(stringMap, {
    default: {},
    listed: 10,
    set: "reload",
    doc: "the processes' environment; `set` replaces it whole (files use `[env]` and `[env:NAME]` sections)",
    inFile: { warn: ENV_IN_WATCHER, keep: false },
    get: (cfg) => ({ ...cfg.env }),
    put: (cfg, value) => {
      cfg.env = { ...value };
    },
  }),
  stdout_stream_conf: special(streamConfig, {
    default: null,
    listed: 21,
    set: "no",
    doc: "the `stdout_stream.*` options, as `options` shows them",
    inFile: "free",
    get: streamConf("stdout_stream"),
  }),
  stderr_stream_conf: special(streamConfig, {
    default: null,
    listed: 23,
    set: "no",
    doc: "the `stderr_stream.*` options, as `options` shows them",
    inFile: "free",
    get: streamConf("stderr_stream"),
  }),
  stdout_stream: special(streamConfig, {
    default: null,
    set: "ignore",
    ctl: false,
    doc: "`add` only: the stdout stream as one object with a `class`",
    inFile: "free",
    put: (cfg, value) => {
      cfg.stdout_stream = value;
    },
  }),
  stderr_stream: special(streamConfig, {
    default: null,
    set: "ignore",
    ctl: false,
    doc: "`add` only: the stderr stream as one object with a `class`",
    inFile: "free",
    put: (cfg, value) => {
      cfg.stderr_stream = value;
    },
  }),
  hooks: special(hookMap, {
    default: {},
    set: "manage",
    doc: "on the wire: several hooks at once, `{hook: spec}` (ctl: `hook:spec,hook:spec`)",
    inFile: "free",
    put: (cfg, value, baseDir) => {
      for (const [name, spec] of Object.entries(value)) {
        if (isHookName(name)) cfg.hooks[name] = parseHook(spec, baseDir);
      }
    },
  }),
  retry_in: special(number, {
    default: 0,
    set: "ignore",
    range: { min: 0, text: "0 or more seconds" },
    doc: "accepted and ignored over the wire (listed by Circus's docs, unused by 0.19)",
    inFile: "free",
  }),
  virtualenv: pythonOnly(
    "Python virtualenvs are not managed here; put the venv's bin/ on PATH via [env:NAME] instead; ignored",
    false,
  ),
  virtualenv_py_ver: pythonOnly("only meaningful with virtualenv; ignored", false),
  copy_path: pythonOnly("sets PYTHONPATH from circusd's sys.path, which does not exist here; ignored", false),
  use_papa: pythonOnly("Papa support was removed in Circus 0.18; kept as an inert free option", true),
  check_flapping: pythonOnly(
    "legacy flag; kept as a free option (flapping control comes with the Flapping plugin)",
    true,
  ),
} as const;

/** Every watcher key: the one watcher table. */
export const WATCHER_OPTIONS: Readonly<Record<string, WatcherField<unknown> | WatcherSpecialKey<unknown>>> = {
  ...WATCHER_FIELDS,
  ...WATCHER_SPECIAL_KEYS,
};

/** The WatcherConfig fields the table defines, with their value types. */
export type WatcherFields = { -readonly [K in keyof typeof WATCHER_FIELDS]: ValueOf<(typeof WATCHER_FIELDS)[K]> };

const TABLE: ReadonlyMap<string, WatcherField<unknown> | WatcherSpecialKey<unknown>> = new Map(
  Object.entries(WATCHER_OPTIONS),
);

/** The table's entry for `key` (never a prototype name). */
export function watcherOption(key: string): WatcherField<unknown> | WatcherSpecialKey<unknown> | undefined {
  return TABLE.get(key);
}

/** Circus 0.19's defaults of the fields (what `add` and library watchers start from). */
export const WATCHER_DEFAULTS: WatcherFields = defaultsOf(WATCHER_FIELDS);

/** A full WatcherConfig from a name, a command and any fields: Circus's defaults for the rest. */
export function newWatcherConfig(input: Partial<WatcherConfig> & { name: string; cmd: string }): WatcherConfig {
  return {
    ...WATCHER_DEFAULTS,
    rlimits: {},
    ready: { ...READY_DEFAULTS },
    stdout_stream: null,
    stderr_stream: null,
    hooks: {},
    env: {},
    free: {},
    source: null,
    ...input,
  };
}

/** The names `options` lists and `get` accepts, in Circus's order (free options come after). */
export const LISTED_OPTIONS: readonly string[] = [...TABLE]
  .filter(([, spec]) => spec.listed !== undefined)
  .sort(([, a], [, b]) => a.listed! - b.listed!)
  .map(([key]) => key);

const LISTED = new Set(LISTED_OPTIONS);

export function isListedOption(key: string): boolean {
  return LISTED.has(key);
}

/** Keys a config file reads or knows (for "did you mean"): fields and the Python-only ones. */
export const FILE_KEYS: readonly string[] = [...TABLE]
  .filter(([, spec]) => spec.field || (spec.inFile !== "free" && spec.inFile.pythonOnly))
  .map(([key]) => key);

/** Circus's singleton rule: a singleton watcher runs at most one process. */
export function breaksSingleton(singleton: boolean, numprocesses: number): boolean {
  return singleton && numprocesses > 1;
}

/** circusctl's rendering of a watcher option value (`graceful_timeout: 30.0`, env as `K=V,…`). */
export function renderWatcherOption(key: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  return (TABLE.get(key)?.kind.render ?? pythonStr)(value);
}
