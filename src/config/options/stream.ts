// The stream table: `stdout_stream.<opt>` / `stderr_stream.<opt>` sub-options, the built-in classes and
// which sub-options each reads. Values stay text in a watcher's config (streams coerce them when they
// open); the table checks typed ones at load and names the near miss of a misspelt one.

import { bool, int, optionalText } from "./kinds.ts";
import { type OptionSpec, option } from "./spec.ts";

/** Every sub-option a built-in stream class reads. */
export const STREAM_OPTIONS = {
  class: option(optionalText, {
    default: null,
    doc: "the class: a built-in name below (also `circus.stream.X`) or `./module.ts:factory`; without it, `filename` means FileStream",
  }),
  filename: option(optionalText, {
    default: null,
    doc: "file to write, relative to the daemon's working directory (as in Circus)",
    docDefault: "a new temp file",
  }),
  max_bytes: option(int, {
    default: 0,
    range: { min: 0, text: "0 (never rotate) or more bytes" },
    doc: "rotate before the file would reach this size (0 = never)",
  }),
  backup_count: option(int, {
    default: 0,
    range: { min: 0, text: "0 or more files" },
    doc: "rotated files kept (`app.log.1` …); 0 keeps none, so the file is never rotated",
  }),
  time_format: option(optionalText, {
    default: null,
    doc: "strftime format prefixing each line with `<time> [<pid>] | ` (none = no prefix)",
  }),
  compress: option(bool, { default: false, doc: "gzip rotated files (beyond Circus)" }),
  rotate_when: option(optionalText, {
    default: null,
    doc: "`S`, `M`, `H`, `D`, `MIDNIGHT` or `W0`–`W6` (W0 = Monday), any case; required by TimedRotatingFileStream",
  }),
  rotate_interval: option(int, {
    default: 1,
    range: { min: 1, text: "1 or more units" },
    doc: "multiplier of `rotate_when`'s unit",
  }),
  utc: option(bool, { default: false, doc: "rotate by UTC instead of local time (a real boolean, unlike Circus)" }),
  color: option(optionalText, {
    default: null,
    doc: "`red`, `green`, `yellow`, `blue`, `magenta`, `cyan` or `white`",
    docDefault: "picked from the watcher name",
  }),
} as const satisfies Record<string, OptionSpec<unknown>>;

export type StreamOptionName = keyof typeof STREAM_OPTIONS;

/** One built-in class: what it does and the sub-options it reads besides `class`. */
export interface StreamClassSpec {
  readonly doc: string;
  readonly options: readonly StreamOptionName[];
}

const FILE_OPTIONS = ["filename", "max_bytes", "backup_count", "time_format", "compress"] as const;

/** The built-in stream classes (Circus's six plus NullStream). */
export const STREAM_CLASSES = {
  FileStream: { doc: "appends to a file, rotating by size", options: FILE_OPTIONS },
  WatchedFileStream: {
    doc: "appends to a file and reopens it when it is moved away (external logrotate)",
    options: ["filename", "time_format"],
  },
  TimedRotatingFileStream: {
    doc: "appends to a file, rotating by time",
    options: ["filename", "backup_count", "time_format", "compress", "rotate_when", "rotate_interval", "utc"],
  },
  QueueStream: { doc: "keeps entries in memory (library use)", options: [] },
  StdoutStream: { doc: "writes to the daemon's stdout", options: [] },
  FancyStdoutStream: {
    doc: "writes coloured, time-stamped lines to the daemon's stdout",
    options: ["color", "time_format"],
  },
  NullStream: { doc: "discards the output (beyond Circus)", options: [] },
} as const satisfies Record<string, StreamClassSpec>;

export type StreamClass = keyof typeof STREAM_CLASSES;
export const STREAM_CLASS_NAMES = Object.keys(STREAM_CLASSES) as StreamClass[];

/** Sub-options accepted and ignored: Circus deprecated them. */
export const DEPRECATED_STREAM_OPTIONS: ReadonlyMap<string, string> = new Map([
  ["refresh_time", "deprecated by Circus and not needed here; ignored"],
]);

/** What a stream config's `class` names: a built-in, a JS/TS module factory, or a mistake (with the message). */
export type StreamClassChoice = StreamClass | { module: string; exportName: string } | { error: string };

const MODULE_CLASS = /^(.*\.(?:ts|mts|js|mjs|cjs|tsx|jsx))(?::([A-Za-z_$][\w$]*))?$/;

/** Resolve `class` (or `filename` alone → FileStream) as the streams will when they open. */
export function streamClassOf(config: Readonly<Record<string, string>>): StreamClassChoice {
  const raw = Object.hasOwn(config, "class") ? config.class?.trim() : undefined;
  if (!raw) {
    if (Object.hasOwn(config, "filename") && config.filename) return "FileStream";
    return { error: "stream configuration invalid: set class or filename" };
  }
  const custom = MODULE_CLASS.exec(raw);
  if (custom || raw.startsWith("./") || raw.startsWith("../") || raw.startsWith("/")) {
    const [path, exportName] = custom ? [custom[1]!, custom[2] ?? "default"] : raw.split(":", 2);
    return { module: path!, exportName: exportName ?? "default" };
  }
  const name = raw.replace(/^circus\.stream\.(?:file_stream\.)?/, "").toLowerCase();
  const found = STREAM_CLASS_NAMES.find((c) => c.toLowerCase() === name);
  if (found) return found;
  const python = raw.includes(".")
    ? " (Python classes cannot be loaded; write a JS/TS module exporting a factory)"
    : "";
  return {
    error: `unknown stream class ${JSON.stringify(raw)}${python}; use ${STREAM_CLASS_NAMES.join(", ")} or ./module.ts:factory`,
  };
}
