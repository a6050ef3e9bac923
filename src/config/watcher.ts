// A [watcher:NAME] section → WatcherConfig, read by the watcher table (options/watcher.ts): the fields
// with Circus's defaults, the prefixed groups (rlimits, streams, hooks), environment, and everything
// else kept as free options (with "did you mean" warnings).

import { type EnvModel, watcherEnv } from "./env.ts";
import { SectionReader } from "./fields.ts";
import { isPrototypeName, putOwn, rangeProblem, specOf } from "./options/spec.ts";
import { DEPRECATED_STREAM_OPTIONS, STREAM_CLASSES, STREAM_OPTIONS, streamClassOf } from "./options/stream.ts";
import {
  breaksSingleton,
  ENV_IN_WATCHER,
  FILE_KEYS,
  WATCHER_OPTIONS,
  type WatcherFields,
  watcherOption,
} from "./options/watcher.ts";
import { watcherGroup } from "./options/watcher-groups.ts";
import { READY_DEFAULTS } from "./options/ready.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import { ScalarError } from "./scalars.ts";
import { envVars } from "./substitute.ts";
import { ShlexError, split } from "../util/shlex.ts";
import { didYouMean } from "./suggest.ts";
import type { SocketConfig, WatcherConfig } from "./types.ts";
import { checkReadiness } from "./readiness.ts";

const STREAMS = ["stdout_stream", "stderr_stream"] as const;

export interface WatcherContext {
  diag: Diagnostics;
  env: EnvModel;
  environ: Record<string, string>;
  /** Lower-cased names of the configured sockets, to check `stdin_socket`. */
  socketNames: Set<string>;
  /** The configured sockets, so a readiness probe aimed at one is refused (decisions §6). */
  sockets?: readonly SocketConfig[];
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

  const fields: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(WATCHER_OPTIONS)) {
    if (spec.field) fields[key] = r.option<unknown>(key, spec, spec.fileKind ?? spec.kind);
  }
  const typed = fields as unknown as WatcherFields;
  const w: WatcherConfig = {
    ...typed,
    name,
    rlimits: {},
    ready: { ...READY_DEFAULTS },
    stdout_stream: null,
    stderr_stream: null,
    hooks: {},
    env: typed.copy_env ? { ...ctx.environ, ...configured } : configured,
    // Circus exposes the section header as a free option; clients see it in `options`.
    free: { __name__: section.name },
    source: section.location,
  };

  readOtherKeys(r, w);
  checkStreams(r, w);
  checkWatcher(r, w, ctx);
  return w;
}

/** Keys that are not fields: groups (rlimit_*, streams, hooks), Python-only and free options. */
function readOtherKeys(r: SectionReader, w: WatcherConfig): void {
  for (const key of r.section.entries.keys()) {
    if (key === "__name__") continue;
    const spec = watcherOption(key);
    if (spec?.field) continue;
    if (spec !== undefined && spec.inFile !== "free") {
      r.warn(key, spec.inFile.warn);
      if (spec.inFile.keep) putOwn(w.free, key, r.text(key) ?? "");
      continue;
    }
    if (key.startsWith("env.")) {
      r.warn(key, ENV_IN_WATCHER);
      continue;
    }
    const group = spec === undefined ? watcherGroup(key) : undefined;
    if (group?.fromFile) {
      group.fromFile(r, key, key.slice(group.prefix.length), w);
      continue;
    }
    // A free option: plugins (flapping.*) and clients read it; a near miss of a known key is likely a typo.
    putOwn(w.free, key, r.text(key) ?? "");
    const hint = group ? "" : didYouMean(key, FILE_KEYS);
    if (hint) r.warn(key, `unknown option kept as a free option; ${hint}`);
    // `toString`, `constructor`…: never a watcher option, but easy to mistake for one that matched.
    else if (isPrototypeName(key)) r.warn(key, "unknown option kept as a free option (it is no watcher option)");
  }
}

/** Stream sub-options: typed ones must parse; an option the class does not read is a likely typo. */
function checkStreams(r: SectionReader, w: WatcherConfig): void {
  for (const stream of STREAMS) {
    const conf = w[stream];
    if (conf === null) continue;
    const cls = streamClassOf(conf);
    if (typeof cls === "object" && "error" in cls) {
      // No class and no filename: a misspelt `filename` is the likely cause; name it where it is.
      const known = Object.keys(STREAM_OPTIONS);
      const typo = Object.keys(conf).find((sub) => !known.includes(sub) && didYouMean(sub, known) !== "");
      const key = `${stream}.${typo ?? Object.keys(conf)[0]}`;
      const hint = typo ? didYouMean(typo, known, { show: (n) => JSON.stringify(`${stream}.${n}`) }) : "";
      r.problem(key, hint ? `${cls.error}; ${hint}` : cls.error);
      continue;
    }
    const reads: readonly string[] | null = typeof cls === "string" ? STREAM_CLASSES[cls].options : null;
    for (const [sub, value] of Object.entries(conf)) {
      const key = `${stream}.${sub}`;
      const deprecated = DEPRECATED_STREAM_OPTIONS.get(sub);
      if (deprecated !== undefined) {
        r.warn(key, deprecated);
        continue;
      }
      if (sub === "class") continue;
      if (reads !== null && !reads.includes(sub)) {
        const hint = didYouMean(sub, reads, { show: (n) => JSON.stringify(`${stream}.${n}`) });
        r.warn(key, `${cls} has no option ${JSON.stringify(sub)}, ignored${hint ? `; ${hint}` : ""}`);
        continue;
      }
      const spec = specOf(STREAM_OPTIONS, sub);
      if (spec === undefined || spec.kind.textual || value.trim() === "") continue;
      try {
        const parsed = spec.kind.fromText(value, r.context(key));
        const range = rangeProblem(spec.range, parsed);
        if (range) r.problem(key, range);
      } catch (err) {
        if (!(err instanceof ScalarError)) throw err;
        r.problem(key, err.message);
      }
    }
  }
}

function checkWatcher(r: SectionReader, w: WatcherConfig, ctx: WatcherContext): void {
  if (w.cmd.trim() === "") {
    ctx.diag.problem(
      r.entry("cmd")?.location ?? r.section.location,
      r.where("cmd"),
      "cmd is required, expected the program to run, like cmd = python -m myapp",
    );
  }
  if (w.numprocesses === 0)
    r.warn("numprocesses", "0 processes: this watcher will never run anything until it is increased");
  if (breaksSingleton(w.singleton, w.numprocesses)) {
    r.problem(
      "numprocesses",
      `${w.numprocesses} processes with singleton = true, expected 0 or 1 (or singleton = false)`,
    );
  }
  if (w.shell_args !== null && !w.shell) r.warn("shell_args", "has no effect without shell = true");
  // Words are split at spawn; an unbalanced quote would fail every spawn, so it is a load error instead.
  if (!w.shell) checkSplits(r, "cmd", w.cmd);
  if (!w.shell && typeof w.args === "string") checkSplits(r, "args", w.args);
  if (w.shell && w.shell_args !== null) checkSplits(r, "shell_args", w.shell_args);
  if (w.stdin_socket !== null && !ctx.socketNames.has(w.stdin_socket.toLowerCase())) {
    r.warn("stdin_socket", `no [socket:${w.stdin_socket}] is configured; spawning will fail until one exists`);
  }
  checkReadiness(r, w, ctx.sockets ?? []);
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
