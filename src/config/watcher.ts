// A [watcher:NAME] section → WatcherConfig: typed options with Circus's defaults, rlimits, streams,
// hooks, environment, and everything else kept as free options (with "did you mean" warnings).

import { dirname, resolve } from "../util/path.ts";
import { type EnvModel, watcherEnv } from "./env.ts";
import { SectionReader } from "./fields.ts";
import { HookError, isHookName, parseHook } from "./hooks.ts";
import type { Diagnostics, RawSection, RawValue } from "./raw.ts";
import { parseIntOption, ScalarError } from "./scalars.ts";
import { RLIMIT_NAMES, WATCHER_DEFAULTS as D, WATCHER_GROUPS, WATCHER_OPTIONS, WATCHER_PYTHON_ONLY } from "./schema.ts";
import { envVars, substitute } from "./substitute.ts";
import { suggest } from "./suggest.ts";
import { ShlexError, split } from "../util/shlex.ts";
import { HOOK_NAMES, type HookConfig, type HookName, type StreamConfig, type WatcherConfig } from "./types.ts";

const KNOWN_KEYS = [...Object.keys(WATCHER_OPTIONS), ...Object.keys(WATCHER_PYTHON_ONLY)];
const RLIMITS: ReadonlySet<string> = new Set(RLIMIT_NAMES);

export interface WatcherContext {
  diag: Diagnostics;
  env: EnvModel;
  environ: Record<string, string>;
  /** Lower-cased names of the configured sockets, to check `stdin_socket`. */
  socketNames: Set<string>;
}

/** `uid`/`gid`: a number when written as digits, else a user/group name resolved at spawn time. */
function idOf(r: SectionReader, key: string): string | number | null {
  const e = r.entry(key);
  if (!e) return null;
  if (typeof e.value === "number" && Number.isInteger(e.value)) return e.value;
  const text = (r.text(key) ?? "").trim();
  if (text === "") return null;
  return /^\d+$/.test(text) ? Number(text) : text;
}

function argsOf(r: SectionReader, vars: Map<string, string>): string | string[] | null {
  const e = r.entry("args");
  if (!e) return null;
  if (Array.isArray(e.value)) return e.value.map((v) => substitute(String(v), vars));
  return r.text("args") ?? null;
}

function rlimitOf(r: SectionReader, key: string): number | null | undefined {
  const e = r.entry(key);
  if (!e) return undefined;
  if (typeof e.value === "number" && Number.isInteger(e.value)) return e.value === -1 ? null : e.value;
  const text = (r.text(key) ?? "").trim();
  if (text === "" || text.toLowerCase() === "unlimited") return null;
  try {
    const n = parseIntOption(text);
    if (n === -1) return null;
    if (n < 0) throw new ScalarError(`${n} is negative, expected a limit of 0 or more, or empty for unlimited`);
    return n;
  } catch (err) {
    if (!(err instanceof ScalarError)) throw err;
    r.problem(key, `${err.message.replace("like 3", "like 1024")}, or empty for unlimited`);
    return undefined;
  }
}

/** Normalise one watcher section. Problems and warnings go to `ctx.diag`. */
export function readWatcher(section: RawSection, ctx: WatcherContext): WatcherConfig {
  const name = section.name.slice("watcher:".length);
  const configured = watcherEnv(name, ctx.env, ctx.environ);
  // $(circus.env.X) precedence in a watcher: [env:…] > [env] > daemon environment.
  const vars = envVars(ctx.environ, configured);
  const r = new SectionReader(section, ctx.diag, vars);
  if (name.trim() === "")
    ctx.diag.problem(section.location, section.label, "the watcher has no name, expected a header like [watcher:web]");

  const copy_env = r.bool("copy_env", D.copy_env);
  const w: WatcherConfig = {
    name,
    cmd: r.str("cmd", D.cmd),
    args: argsOf(r, vars),
    shell: r.bool("shell", D.shell),
    shell_args: r.strOrNull("shell_args"),
    executable: r.strOrNull("executable"),
    working_dir: r.strOrNull("working_dir"),
    uid: idOf(r, "uid"),
    gid: idOf(r, "gid"),
    copy_env,
    warmup_delay: r.int("warmup_delay", D.warmup_delay),
    autostart: r.bool("autostart", D.autostart),
    numprocesses: r.int("numprocesses", D.numprocesses),
    priority: r.int("priority", D.priority),
    singleton: r.bool("singleton", D.singleton),
    use_sockets: r.bool("use_sockets", D.use_sockets),
    stdin_socket: r.strOrNull("stdin_socket"),
    close_child_stdin: r.bool("close_child_stdin", D.close_child_stdin),
    close_child_stdout: r.bool("close_child_stdout", D.close_child_stdout),
    close_child_stderr: r.bool("close_child_stderr", D.close_child_stderr),
    send_hup: r.bool("send_hup", D.send_hup),
    stop_signal: r.signal("stop_signal", D.stop_signal),
    stop_children: r.bool("stop_children", D.stop_children),
    graceful_timeout: r.float("graceful_timeout", D.graceful_timeout),
    max_retry: r.int("max_retry", D.max_retry),
    max_age: r.int("max_age", D.max_age),
    max_age_variance: r.int("max_age_variance", D.max_age_variance),
    respawn: r.bool("respawn", D.respawn),
    on_demand: r.bool("on_demand", D.on_demand),
    rlimits: {},
    stdout_stream: null,
    stderr_stream: null,
    hooks: {},
    env: copy_env ? { ...ctx.environ, ...configured } : configured,
    // Circus exposes the section header as a free option; clients see it in `options`.
    free: { __name__: section.name },
    source: section.location,
  };

  readGroups(r, w, vars);
  checkWatcher(r, w, ctx);
  return w;
}

/** rlimit_*, stdout_stream.*, stderr_stream.*, hooks.*, Python-only and free options. */
function readGroups(r: SectionReader, w: WatcherConfig, vars: Map<string, string>): void {
  const streams: Record<"stdout_stream" | "stderr_stream", StreamConfig | null> = {
    stdout_stream: null,
    stderr_stream: null,
  };
  const hooks: Partial<Record<HookName, HookConfig>> = {};
  for (const [key, entry] of r.section.entries) {
    if (key in WATCHER_OPTIONS || key === "__name__") continue;
    if (key.startsWith("rlimit_")) {
      const limit = key.slice("rlimit_".length).toLowerCase();
      if (!RLIMITS.has(limit)) {
        r.problem(key, `unknown resource limit ${JSON.stringify(limit)}, expected one of ${RLIMIT_NAMES.join(", ")}`);
        continue;
      }
      const value = rlimitOf(r, key);
      if (value !== undefined) w.rlimits[limit] = value;
    } else if (key.startsWith("stdout_stream.") || key.startsWith("stderr_stream.")) {
      const dot = key.indexOf(".");
      const stream = key.slice(0, dot) as "stdout_stream" | "stderr_stream";
      const fields = streams[stream] ?? {};
      streams[stream] = fields;
      fields[key.slice(dot + 1)] = r.text(key) ?? "";
    } else if (key.startsWith("hooks.")) {
      const hook = key.slice("hooks.".length);
      if (!isHookName(hook)) {
        r.problem(key, `unknown hook ${JSON.stringify(hook)}, expected one of ${HOOK_NAMES.join(", ")}`);
        continue;
      }
      const value: RawValue = Array.isArray(entry.value)
        ? entry.value.map((v) => (typeof v === "string" ? substitute(v, vars) : v))
        : (r.text(key) ?? "");
      try {
        hooks[hook] = parseHook(value, dirname(resolve(entry.location.file)));
      } catch (err) {
        if (!(err instanceof HookError)) throw err;
        r.problem(key, err.message);
      }
    } else if (Object.hasOwn(WATCHER_PYTHON_ONLY, key)) {
      const spec = WATCHER_PYTHON_ONLY[key]!;
      r.warn(key, `Python-only option: ${spec.why}`);
      if (spec.free) w.free[key] = r.text(key) ?? "";
    } else if (key === "env" || key.startsWith("env.")) {
      r.warn(
        key,
        "env inside a watcher section is ignored (as in Circus); use an [env:NAME] section ([env.NAME] in TOML)",
      );
    } else {
      w.free[key] = r.text(key) ?? "";
      const grouped = WATCHER_GROUPS.some((g) => key.startsWith(g));
      const near = grouped ? null : suggest(key, KNOWN_KEYS);
      if (near) r.warn(key, `unknown option kept as a free option; did you mean ${JSON.stringify(near)}?`);
    }
  }
  w.stdout_stream = streams.stdout_stream;
  w.stderr_stream = streams.stderr_stream;
  w.hooks = hooks;
}

function checkWatcher(r: SectionReader, w: WatcherConfig, ctx: WatcherContext): void {
  if (w.cmd.trim() === "") {
    ctx.diag.problem(
      r.entry("cmd")?.location ?? r.section.location,
      r.where("cmd"),
      "cmd is required, expected the program to run, like cmd = python -m myapp",
    );
  }
  if (w.numprocesses < 0) r.problem("numprocesses", `${w.numprocesses} is negative, expected 0 or more processes`);
  if (w.numprocesses === 0)
    r.warn("numprocesses", "0 processes: this watcher will never run anything until it is increased");
  if (w.singleton && w.numprocesses > 1) {
    r.problem(
      "numprocesses",
      `${w.numprocesses} processes with singleton = true, expected 0 or 1 (or singleton = false)`,
    );
  }
  if (w.warmup_delay < 0) r.problem("warmup_delay", `${w.warmup_delay} is negative, expected 0 or more seconds`);
  if (w.graceful_timeout < 0)
    r.problem("graceful_timeout", `${w.graceful_timeout} is negative, expected 0 or more seconds`);
  if (w.max_age < 0) r.problem("max_age", `${w.max_age} is negative, expected 0 (off) or more seconds`);
  if (w.max_age_variance < 0)
    r.problem("max_age_variance", `${w.max_age_variance} is negative, expected 0 or more seconds`);
  if (w.max_retry < -1)
    r.problem("max_retry", `${w.max_retry} is out of range, expected -1 (retry forever) or 0 or more`);
  if (w.shell_args !== null && !w.shell) r.warn("shell_args", "has no effect without shell = true");
  // Words are split at spawn; an unbalanced quote would fail every spawn, so it is a load error instead.
  if (!w.shell) checkSplits(r, "cmd", w.cmd);
  if (!w.shell && typeof w.args === "string") checkSplits(r, "args", w.args);
  if (w.shell && w.shell_args !== null) checkSplits(r, "shell_args", w.shell_args);
  if (w.stdin_socket !== null && !ctx.socketNames.has(w.stdin_socket.toLowerCase())) {
    r.warn("stdin_socket", `no [socket:${w.stdin_socket}] is configured; spawning will fail until one exists`);
  }
}

/** A problem when `text` cannot be split into words the way the spawn will split it (shlex). */
function checkSplits(r: SectionReader, key: string, text: string): void {
  try {
    split(text);
  } catch (err) {
    if (!(err instanceof ShlexError)) throw err;
    const why = err.problem === "unclosed-quote" ? "has an unbalanced quote" : "ends with a lone backslash";
    r.problem(key, `${JSON.stringify(text)} ${why}, expected shell-like words (quote or escape the character)`);
  }
}
