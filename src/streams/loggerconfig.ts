// Python `logging.config` files, as Circus reads `loggerconfig` (YAML and JSON through dictConfig, INI
// through fileConfig): the subset that maps onto the daemon's log — loggers by name with levels and
// propagation, handlers to stdout/stderr, a file (reopened after logrotate, or rotated by size), syslog
// or nowhere, each with a level and a %-style or {}-style formatter. Anything else (filters, custom
// classes, attributes we do not have like %(lineno)d) is refused, naming it.

import { parseIni } from "../config/ini.ts";
import { Diagnostics } from "../config/raw.ts";
import type { LogLevel } from "../util/log.ts";
import { extname, resolve } from "../util/path.ts";
import { LogOutputError } from "./errors.ts";
import { type LogOutput, openLogOutput, parseLogLine } from "./logoutput.ts";
import { strftime } from "./strftime.ts";

/** Python's level numbers; a logger at NOTSET takes its parent's level. */
const LEVELS: Record<string, number> = {
  NOTSET: 0,
  DEBUG: 10,
  INFO: 20,
  WARN: 30,
  WARNING: 30,
  ERROR: 40,
  FATAL: 50,
  CRITICAL: 50,
};

/** Python's root logger level when a config leaves it unset. */
const ROOT_DEFAULT_LEVEL = 30;

/** Fields of one daemon log line (src/util/log.ts writes `time name[pid] [LEVEL] message`). */
export interface LogRecord {
  name: string;
  pid: string;
  level: string;
  levelno: number;
  message: string;
  /** Epoch ms of the record (formatting happens as the line is logged). */
  atMs: number;
}

export type RecordFormat = (record: LogRecord) => string;

/** Where one handler writes: an output spec openLogOutput understands, or nowhere. */
export interface HandlerSpec {
  name: string;
  /** `-`, `stderr`, a file path, `syslog://…`; null for NullHandler. */
  output: string | null;
  level: number;
  format: RecordFormat;
  /** RotatingFileHandler: rotate before the file reaches this size (0 = never). */
  maxBytes: number;
  backupCount: number;
}

export interface LoggerSpec {
  /** null: NOTSET (the parent's level). */
  level: number | null;
  handlers: string[];
  propagate: boolean;
}

/** A whole logging configuration: named loggers (dotted hierarchy), the root logger and the handlers. */
export interface LogRouting {
  loggers: Map<string, LoggerSpec>;
  root: LoggerSpec;
  handlers: Map<string, HandlerSpec>;
}

/**
 * True for a Python logging.config file: YAML or INI by extension (as Circus decides), or JSON holding a
 * dictConfig (`version` key) rather than our `{level, output, format}`.
 */
export async function isPythonLoggingConfig(path: string): Promise<boolean> {
  const ext = extname(path).toLowerCase();
  if ([".yaml", ".yml", ".ini", ".cfg", ".conf"].includes(ext)) return true;
  if (ext !== ".json") return false;
  try {
    const data: unknown = JSON.parse(await Bun.file(path).text());
    return typeof data === "object" && data !== null && !Array.isArray(data) && Object.hasOwn(data, "version");
  } catch {
    return false; // unreadable or not JSON: loadLoggerConfig says why
  }
}

/** Read a YAML, INI or JSON logging.config file into a routing. */
export async function readPythonLoggingConfig(path: string): Promise<LogRouting> {
  let text: string;
  try {
    text = await Bun.file(path).text();
  } catch (err) {
    throw new LogOutputError(`${path}: cannot read loggerconfig: ${(err as Error).message}`, { cause: err });
  }
  const ext = extname(path).toLowerCase();
  const fail = (message: string): never => {
    throw new LogOutputError(`${path}: ${message}`);
  };
  if (ext === ".ini" || ext === ".cfg" || ext === ".conf") return fromIni(text, path, fail);
  let data: unknown;
  try {
    if (ext === ".json") data = JSON.parse(text);
    else {
      // PyYAML reads YAML 1.1: `propagate: no` is a boolean there.
      const { parse } = await import("yaml");
      data = parse(text, { version: "1.1" });
    }
  } catch (err) {
    throw new LogOutputError(`${path}: cannot parse loggerconfig: ${(err as Error).message}`, { cause: err });
  }
  return fromDict(data, fail);
}

// ---- dictConfig (YAML, JSON) ----

type Fail = (message: string) => never;
type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fromDict(data: unknown, fail: Fail): LogRouting {
  if (!isDict(data)) return fail("expected a logging.config dictionary (version: 1, handlers, loggers, root)");
  if (data.version !== 1) fail(`version: ${JSON.stringify(data.version)}; logging.config dictionaries have version: 1`);
  if (data.incremental === true) fail("incremental: true cannot map (there is no earlier configuration to update)");
  refuseUnknown(
    data,
    ["version", "disable_existing_loggers", "incremental", "formatters", "filters", "handlers", "loggers", "root"],
    "the top level",
    fail,
  );
  if (isDict(data.filters) && Object.keys(data.filters).length > 0) fail("filters cannot map; remove them");
  const formats = new Map<string, RecordFormat>();
  for (const [name, f] of Object.entries(dictAt(data, "formatters", fail))) {
    if (!isDict(f)) fail(`formatters.${name} must be a dictionary`);
    const spec = f as Dict;
    refuseUnknown(spec, ["format", "datefmt", "style", "validate"], `formatters.${name}`, fail);
    formats.set(
      name,
      recordFormat(optString(spec, "format", fail), optString(spec, "datefmt", fail), styleOf(spec.style, fail), fail),
    );
  }
  const handlers = new Map<string, HandlerSpec>();
  for (const [name, h] of Object.entries(dictAt(data, "handlers", fail))) {
    if (!isDict(h)) fail(`handlers.${name} must be a dictionary`);
    handlers.set(name, handlerFromDict(name, h as Dict, formats, fail));
  }
  const loggers = new Map<string, LoggerSpec>();
  let root: LoggerSpec = { level: ROOT_DEFAULT_LEVEL, handlers: [], propagate: false };
  for (const [name, l] of Object.entries(dictAt(data, "loggers", fail))) {
    const spec = loggerFromDict(`loggers.${name}`, l, handlers, fail);
    if (name === "") root = { ...spec, level: spec.level ?? ROOT_DEFAULT_LEVEL };
    else loggers.set(name, spec);
  }
  if (data.root !== undefined) {
    const spec = loggerFromDict("root", data.root, handlers, fail);
    root = { ...spec, level: spec.level ?? ROOT_DEFAULT_LEVEL };
  }
  return { loggers, root, handlers };
}

function dictAt(data: Dict, key: string, fail: Fail): Dict {
  const value = data[key];
  if (value === undefined || value === null) return {};
  if (!isDict(value)) fail(`${key} must be a dictionary`);
  return value as Dict;
}

function refuseUnknown(spec: Dict, known: string[], where: string, fail: Fail): void {
  const extra = Object.keys(spec).filter((k) => !known.includes(k));
  if (extra.length > 0) fail(`${where}: ${extra.map((k) => JSON.stringify(k)).join(", ")} cannot map`);
}

function optString(spec: Dict, key: string, fail: Fail): string | null {
  const value = spec[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") fail(`${key} must be a string, not ${JSON.stringify(value)}`);
  return value as string;
}

function styleOf(value: unknown, fail: Fail): "%" | "{" {
  if (value === undefined || value === null || value === "%") return "%";
  if (value === "{") return "{";
  return fail(`style ${JSON.stringify(value)} cannot map; use % or {`);
}

function levelOf(value: unknown, where: string, fail: Fail): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === "string") {
    const upper = value.trim().toUpperCase();
    if (Object.hasOwn(LEVELS, upper)) return LEVELS[upper]!;
    if (/^\d+$/.test(upper)) return Number(upper);
  }
  return fail(`${where}: level ${JSON.stringify(value)} is not DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET`);
}

function loggerFromDict(where: string, value: unknown, handlers: Map<string, HandlerSpec>, fail: Fail): LoggerSpec {
  if (value === null || value === undefined) return { level: null, handlers: [], propagate: true };
  if (!isDict(value)) return fail(`${where} must be a dictionary`);
  refuseUnknown(value, ["level", "handlers", "propagate", "filters"], where, fail);
  if (Array.isArray(value.filters) && value.filters.length > 0) fail(`${where}.filters cannot map; remove them`);
  const level = value.level === undefined || value.level === null ? null : levelOf(value.level, where, fail);
  const names = value.handlers === undefined || value.handlers === null ? [] : value.handlers;
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string"))
    fail(`${where}.handlers must be a list of handler names`);
  for (const n of names as string[])
    if (!handlers.has(n)) fail(`${where}.handlers: no handler named ${JSON.stringify(n)}`);
  const propagate = value.propagate === undefined ? true : value.propagate;
  if (typeof propagate !== "boolean") fail(`${where}.propagate must be true or false`);
  return { level: level === 0 ? null : level, handlers: names as string[], propagate: propagate as boolean };
}

/** The logging classes we map, by every spelling Python accepts (dictConfig and fileConfig). */
function handlerKind(cls: string): "stream" | "file" | "rotating" | "syslog" | "null" | null {
  const name = cls.replace(/^logging\./, "").replace(/^handlers\./, "");
  switch (name) {
    case "StreamHandler":
      return "stream";
    case "FileHandler":
    case "WatchedFileHandler":
      return "file";
    case "RotatingFileHandler":
      return "rotating";
    case "SysLogHandler":
      return "syslog";
    case "NullHandler":
      return "null";
    default:
      return null;
  }
}

const HANDLER_ARGS: Record<NonNullable<ReturnType<typeof handlerKind>>, string[]> = {
  stream: ["stream"],
  file: ["filename", "mode", "encoding", "delay", "errors"],
  rotating: ["filename", "mode", "maxBytes", "backupCount", "encoding", "delay", "errors"],
  syslog: ["address", "facility", "socktype"],
  null: [],
};

function handlerFromDict(name: string, spec: Dict, formats: Map<string, RecordFormat>, fail: Fail): HandlerSpec {
  const where = `handlers.${name}`;
  const cls = optString(spec, "class", fail);
  if (cls === null) fail(`${where}: class is required`);
  if (Array.isArray(spec.filters) && spec.filters.length > 0) fail(`${where}.filters cannot map; remove them`);
  const kind = handlerKind(cls!);
  if (kind === null)
    fail(
      `${where}: class ${cls} cannot map; use StreamHandler, FileHandler, WatchedFileHandler, RotatingFileHandler, SysLogHandler or NullHandler`,
    );
  const args: Dict = {};
  for (const [key, value] of Object.entries(spec)) {
    if (["class", "level", "formatter", "filters"].includes(key)) continue;
    if (!HANDLER_ARGS[kind!].includes(key)) fail(`${where}: ${JSON.stringify(key)} cannot map for ${cls}`);
    args[key] = value;
  }
  const formatter = optString(spec, "formatter", fail);
  if (formatter !== null && !formats.has(formatter))
    fail(`${where}.formatter: no formatter named ${JSON.stringify(formatter)}`);
  const level = spec.level === undefined ? 0 : levelOf(spec.level, where, fail);
  return buildHandler(name, kind!, args, level, formatter === null ? null : formats.get(formatter)!, where, fail);
}

/** One handler from its class kind and constructor arguments (by name; fileConfig's positional ones are named first). */
function buildHandler(
  name: string,
  kind: NonNullable<ReturnType<typeof handlerKind>>,
  args: Dict,
  level: number,
  format: RecordFormat | null,
  where: string,
  fail: Fail,
): HandlerSpec {
  const handler: HandlerSpec = {
    name,
    output: null,
    level,
    format: format ?? DEFAULT_FORMAT,
    maxBytes: 0,
    backupCount: 0,
  };
  if (args.encoding !== undefined && args.encoding !== null && !/^utf-?8$/i.test(String(args.encoding))) {
    fail(`${where}: encoding ${JSON.stringify(args.encoding)} cannot map (the log is UTF-8)`);
  }
  if (kind === "stream") {
    const stream = args.stream ?? "ext://sys.stderr";
    if (stream === "ext://sys.stdout") handler.output = "-";
    else if (stream === "ext://sys.stderr") handler.output = "stderr";
    else fail(`${where}: stream ${JSON.stringify(stream)} cannot map; use ext://sys.stdout or ext://sys.stderr`);
  } else if (kind === "file" || kind === "rotating") {
    if (typeof args.filename !== "string" || args.filename === "") fail(`${where}: filename is required`);
    const mode = args.mode ?? "a";
    if (mode !== "a") fail(`${where}: mode ${JSON.stringify(mode)} cannot map (the log is appended to)`);
    handler.output = args.filename as string;
    if (kind === "rotating") {
      handler.maxBytes = wholeNumber(args.maxBytes ?? 0, `${where}.maxBytes`, fail);
      handler.backupCount = wholeNumber(args.backupCount ?? 0, `${where}.backupCount`, fail);
    }
  } else if (kind === "syslog") {
    if (args.socktype !== undefined && args.socktype !== null && args.socktype !== "ext://socket.SOCK_DGRAM")
      fail(`${where}: socktype ${JSON.stringify(args.socktype)} cannot map (syslog is sent as datagrams)`);
    handler.output = syslogSpec(args.address ?? ["localhost", 514], args.facility ?? "user", where, fail);
  }
  return handler;
}

function wholeNumber(value: unknown, where: string, fail: Fail): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  return fail(`${where}: ${JSON.stringify(value)} is not a whole number`);
}

const SYSLOG_FACILITIES: Record<number, string> = {
  0: "kern",
  1: "user",
  2: "mail",
  3: "daemon",
  4: "auth",
  5: "syslog",
  6: "lpr",
  7: "news",
  8: "uucp",
  9: "cron",
  10: "authpriv",
  11: "ftp",
  16: "local0",
  17: "local1",
  18: "local2",
  19: "local3",
  20: "local4",
  21: "local5",
  22: "local6",
  23: "local7",
};

/** SysLogHandler's address and facility as our `syslog://` output. */
function syslogSpec(address: unknown, facility: unknown, where: string, fail: Fail): string {
  let name: string;
  if (typeof facility === "number" && Object.hasOwn(SYSLOG_FACILITIES, facility)) name = SYSLOG_FACILITIES[facility]!;
  else if (typeof facility === "string" && Object.values(SYSLOG_FACILITIES).includes(facility.toLowerCase()))
    name = facility.toLowerCase();
  else return fail(`${where}: facility ${JSON.stringify(facility)} is not a syslog facility (user, daemon, local0…)`);
  if (typeof address === "string") return `syslog://${encodeURI(address)}?${name}`;
  if (
    Array.isArray(address) &&
    address.length === 2 &&
    typeof address[0] === "string" &&
    Number.isInteger(address[1])
  ) {
    const host = address[0].includes(":") ? `[${address[0]}]` : address[0];
    return `syslog://${host}:${address[1]}?${name}`;
  }
  return fail(`${where}: address ${JSON.stringify(address)} is not a socket path or [host, port]`);
}

// ---- fileConfig (INI) ----

function fromIni(text: string, path: string, fail: Fail): LogRouting {
  const diag = new Diagnostics();
  const doc = parseIni(text, path, diag);
  if (diag.problems.length > 0) fail(diag.problems.map((p) => `line ${p.location?.line}: ${p.message}`).join("; "));
  const section = (name: string): Map<string, string> => {
    const s = doc.sections.get(name);
    if (!s) return fail(`no [${name}] section`);
    return new Map([...s.entries].map(([k, e]) => [k.toLowerCase(), String(e.value)]));
  };
  const keys = (name: string): string[] =>
    (section(name).get("keys") ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k !== "");
  const formats = new Map<string, RecordFormat>();
  for (const name of doc.sections.has("formatters") ? keys("formatters") : []) {
    const f = section(`formatter_${name}`);
    for (const key of f.keys())
      if (!["format", "datefmt", "style", "validate", "defaults"].includes(key))
        fail(`[formatter_${name}] ${key} cannot map`);
    formats.set(
      name,
      recordFormat(f.get("format") ?? null, f.get("datefmt") ?? null, styleOf(f.get("style"), fail), fail),
    );
  }
  const handlers = new Map<string, HandlerSpec>();
  for (const name of doc.sections.has("handlers") ? keys("handlers") : []) {
    const where = `[handler_${name}]`;
    const h = section(`handler_${name}`);
    for (const key of h.keys())
      if (!["class", "level", "formatter", "args", "kwargs"].includes(key)) fail(`${where} ${key} cannot map`);
    const cls = h.get("class") ?? fail(`${where} class is required`);
    const kind = handlerKind(cls);
    if (kind === null)
      fail(
        `${where} class ${cls} cannot map; use StreamHandler, FileHandler, WatchedFileHandler, handlers.RotatingFileHandler, handlers.SysLogHandler or NullHandler`,
      );
    const positional = pythonLiteral(h.get("args") ?? "()", `${where} args`, fail);
    if (!Array.isArray(positional)) fail(`${where} args must be a tuple`);
    const named = pythonLiteral(h.get("kwargs") ?? "{}", `${where} kwargs`, fail);
    if (!isDict(named)) fail(`${where} kwargs must be a dictionary`);
    const params = HANDLER_ARGS[kind!];
    if ((positional as unknown[]).length > params.length) fail(`${where} args: too many for ${cls}`);
    const args: Dict = { ...(named as Dict) };
    (positional as unknown[]).forEach((value, i) => {
      args[params[i]!] = value;
    });
    for (const key of Object.keys(args)) if (!params.includes(key)) fail(`${where} ${key} cannot map for ${cls}`);
    const formatter = h.get("formatter") || null;
    if (formatter !== null && !formats.has(formatter)) fail(`${where} formatter: no formatter named ${formatter}`);
    const level = h.has("level") ? levelOf(h.get("level"), where, fail) : 0;
    handlers.set(
      name,
      buildHandler(name, kind!, args, level, formatter === null ? null : formats.get(formatter)!, where, fail),
    );
  }
  const loggers = new Map<string, LoggerSpec>();
  let root: LoggerSpec = { level: ROOT_DEFAULT_LEVEL, handlers: [], propagate: false };
  for (const name of keys("loggers")) {
    const where = `[logger_${name}]`;
    const l = section(`logger_${name}`);
    for (const key of l.keys())
      if (!["level", "handlers", "propagate", "qualname", "channel", "parent"].includes(key))
        fail(`${where} ${key} cannot map`);
    const names = (l.get("handlers") ?? "")
      .split(",")
      .map((h) => h.trim())
      .filter((h) => h !== "");
    for (const n of names) if (!handlers.has(n)) fail(`${where} handlers: no handler named ${n}`);
    const level = l.has("level") ? levelOf(l.get("level"), where, fail) : null;
    if (name === "root") {
      root = { level: level ?? ROOT_DEFAULT_LEVEL, handlers: names, propagate: false };
      continue;
    }
    const qualname = l.get("qualname") ?? fail(`${where} qualname is required`);
    const propagate = (l.get("propagate") ?? "1").trim();
    if (propagate !== "0" && propagate !== "1") fail(`${where} propagate must be 0 or 1`);
    loggers.set(qualname, { level: level === 0 ? null : level, handlers: names, propagate: propagate === "1" });
  }
  return { loggers, root, handlers };
}

/** fileConfig's `args`/`kwargs`: the Python literals they hold (strings, numbers, tuples, sys streams, …). */
function pythonLiteral(text: string, where: string, fail: Fail): unknown {
  let i = 0;
  const src = text.trim();
  const space = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const value = (): unknown => {
    space();
    const c = src[i];
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      i++;
      const items: unknown[] = [];
      for (;;) {
        space();
        if (src[i] === close) {
          i++;
          return items;
        }
        items.push(value());
        space();
        if (src[i] === ",") i++;
        else if (src[i] !== close) fail(`${where}: expected "," or "${close}" at ${JSON.stringify(src.slice(i))}`);
      }
    }
    if (c === "{") {
      i++;
      const out: Dict = {};
      for (;;) {
        space();
        if (src[i] === "}") {
          i++;
          return out;
        }
        const key = value();
        if (typeof key !== "string") fail(`${where}: dictionary keys must be strings`);
        space();
        if (src[i++] !== ":") fail(`${where}: expected ":" after ${JSON.stringify(key)}`);
        out[key as string] = value();
        space();
        if (src[i] === ",") i++;
      }
    }
    if (c === "'" || c === '"') {
      let out = "";
      for (i++; i < src.length && src[i] !== c; i++) {
        if (src[i] === "\\" && i + 1 < src.length) {
          i++;
          out += ({ n: "\n", t: "\t", r: "\r" } as Record<string, string>)[src[i]!] ?? src[i];
        } else out += src[i];
      }
      if (src[i] !== c) fail(`${where}: unterminated string`);
      i++;
      return out;
    }
    const m = /^[-+]?\d+(?:\.\d+)?|^[A-Za-z_][\w.]*/.exec(src.slice(i));
    if (!m) return fail(`${where}: cannot read ${JSON.stringify(src.slice(i))}`);
    i += m[0].length;
    const word = m[0];
    if (/^[-+]?\d/.test(word)) return Number(word);
    if (word === "True") return true;
    if (word === "False") return false;
    if (word === "None") return null;
    if (word === "sys.stdout") return "ext://sys.stdout";
    if (word === "sys.stderr") return "ext://sys.stderr";
    const facility = /^(?:logging\.)?(?:handlers\.)?SysLogHandler\.LOG_([A-Z0-9]+)$/.exec(word);
    if (facility) return facility[1]!.toLowerCase();
    if (word === "socket.SOCK_DGRAM") return "ext://socket.SOCK_DGRAM";
    return fail(`${where}: ${word} cannot map`);
  };
  const result = value();
  space();
  if (i < src.length) fail(`${where}: unexpected ${JSON.stringify(src.slice(i))}`);
  return result;
}

// ---- formatters ----

/** Python's default Formatter: `%(message)s`. */
const DEFAULT_FORMAT: RecordFormat = (r) => r.message;

/** The record attributes we have; others (lineno, module, funcName, thread…) cannot map. */
function attribute(record: LogRecord, name: string, datefmt: string | null): string | number {
  switch (name) {
    case "message":
      return record.message;
    case "name":
      return record.name;
    case "levelname":
      return record.level;
    case "levelno":
      return record.levelno;
    case "process":
      return Number(record.pid);
    case "processName":
      return "MainProcess";
    case "asctime":
      return datefmt !== null
        ? strftime(datefmt, record.atMs)
        : `${strftime("%Y-%m-%d %H:%M:%S", record.atMs)},${String(record.atMs % 1000).padStart(3, "0")}`;
    case "created":
      return record.atMs / 1000;
    case "msecs":
      return record.atMs % 1000;
    default:
      throw new Error(name);
  }
}

const KNOWN_ATTRIBUTES = [
  "message",
  "name",
  "levelname",
  "levelno",
  "process",
  "processName",
  "asctime",
  "created",
  "msecs",
];

/** A formatter from Python's `format` (% or { style) and `datefmt`; unknown attributes are refused now. */
export function recordFormat(
  format: string | null,
  datefmt: string | null,
  style: "%" | "{",
  fail: Fail,
): RecordFormat {
  const template = format ?? (style === "%" ? "%(message)s" : "{message}");
  const pattern =
    style === "%" ? /%(?:\((\w+)\)([-#0 +]*)(\d*)(?:\.(\d+))?([sdifr])|%)/g : /\{(\w+)(?::([<>^]?)(\d*))?\}|\{\{|\}\}/g;
  for (const m of template.matchAll(pattern)) {
    if (m[1] !== undefined && !KNOWN_ATTRIBUTES.includes(m[1]))
      fail(`format ${JSON.stringify(template)}: %(${m[1]}) cannot map; use ${KNOWN_ATTRIBUTES.join(", ")}`);
  }
  if (style === "%") {
    return (record) =>
      template.replace(pattern, (_whole, name?: string, flags = "", width = "", precision?: string, type?: string) => {
        if (name === undefined) return "%";
        let value = attribute(record, name, datefmt);
        let text: string;
        if (type === "d" || type === "i") text = String(Math.trunc(Number(value)));
        else if (type === "f") text = Number(value).toFixed(precision === undefined ? 6 : Number(precision));
        else {
          text = String(value);
          if (precision !== undefined) text = text.slice(0, Number(precision));
        }
        value = text;
        const w = Number(width || 0);
        if (text.length >= w) return text;
        if (flags.includes("-")) return text.padEnd(w);
        return flags.includes("0") && type !== "s" ? text.padStart(w, "0") : text.padStart(w);
      });
  }
  return (record) =>
    template.replace(pattern, (whole, name?: string, align = "", width = "") => {
      if (name === undefined) return whole[0]!;
      const text = String(attribute(record, name, datefmt));
      const w = Number(width || 0);
      if (text.length >= w) return text;
      // Python's default alignment: strings left, numbers right.
      const how = align || (typeof attribute(record, name, datefmt) === "number" ? ">" : "<");
      if (how === ">") return text.padStart(w);
      if (how === "^") return text.padStart(Math.floor((w + text.length) / 2)).padEnd(w);
      return text.padEnd(w);
    });
}

// ---- routing ----

/** The handlers a record of logger `name` at `levelno` goes to, as Python's hierarchy decides. */
export function handlersFor(routing: LogRouting, name: string, levelno: number): HandlerSpec[] {
  const chain: LoggerSpec[] = [];
  for (let n = name; n !== ""; n = n.includes(".") ? n.slice(0, n.lastIndexOf(".")) : "") {
    const spec = routing.loggers.get(n);
    if (spec) chain.push(spec);
  }
  chain.push(routing.root);
  const effective = chain.find((l) => l.level !== null)?.level ?? ROOT_DEFAULT_LEVEL;
  if (levelno < effective) return [];
  const out: HandlerSpec[] = [];
  for (const logger of chain) {
    for (const h of logger.handlers) {
      const handler = routing.handlers.get(h)!;
      if (levelno >= handler.level) out.push(handler);
    }
    if (!logger.propagate) break;
  }
  return out;
}

/** The lowest level any logger lets through: the daemon's threshold, so no wanted line is dropped early. */
export function lowestLevel(routing: LogRouting): number {
  const levels = [routing.root.level ?? ROOT_DEFAULT_LEVEL];
  for (const l of routing.loggers.values()) if (l.level !== null) levels.push(l.level);
  return Math.min(...levels);
}

// ---- the daemon's log from a routing ----

/** The daemon's log as a Python logging config describes it: every handler opened, lines routed by logger. */
export async function openPythonLogging(
  path: string,
  cwd: string,
): Promise<{ output: LogOutput; level: LogLevel; files: string[] }> {
  const routing = await readPythonLoggingConfig(path);
  const outputs = new Map<string, LogOutput>();
  const files: string[] = [];
  try {
    for (const h of routing.handlers.values()) {
      if (h.output === null) continue;
      const formatLine = (line: string) => {
        const record = recordOf(line);
        return record ? h.format(record) : line;
      };
      outputs.set(
        h.name,
        await openLogOutput(h.output, { cwd, formatLine, maxBytes: h.maxBytes, backupCount: h.backupCount }),
      );
      if (!/^(-|stderr)$/.test(h.output) && !h.output.startsWith("syslog://")) files.push(resolve(cwd, h.output));
    }
  } catch (err) {
    await Promise.all([...outputs.values()].map((o) => o.close()));
    throw err;
  }
  const sink = (line: string) => {
    const record = recordOf(line);
    const targets = record ? handlersFor(routing, record.name, record.levelno) : [...routing.handlers.values()];
    for (const h of targets) outputs.get(h.name)?.(line);
  };
  const output: LogOutput = Object.assign(sink, {
    reopen: () => {
      for (const o of outputs.values()) o.reopen();
    },
    close: async () => {
      await Promise.all([...outputs.values()].map((o) => o.close()));
    },
  });
  return { output, level: levelName(lowestLevel(routing)), files };
}

function recordOf(line: string): LogRecord | null {
  const fields = parseLogLine(line);
  if (!fields) return null;
  return { ...fields, levelno: LEVELS[fields.level] ?? 20, atMs: Date.now() };
}

/** Our level at or below a Python level number. */
function levelName(levelno: number): LogLevel {
  if (levelno >= 50) return "critical";
  if (levelno >= 40) return "error";
  if (levelno >= 30) return "warning";
  if (levelno >= 20) return "info";
  return "debug";
}
