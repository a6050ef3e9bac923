// The model a Python logging.config file is read into (the daemon's side of Circus's `loggerconfig`):
// loggers with levels and propagation, and the handlers we can map — stdout/stderr, a file (reopened
// after logrotate, or rotated by size), syslog or nowhere — with their constructor arguments checked.

import { DEFAULT_FORMAT } from "./format.ts";

/** Python's level numbers; a logger at NOTSET takes its parent's level. */
export const LEVELS: Record<string, number> = {
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
export const ROOT_DEFAULT_LEVEL = 30;

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

/** How a reader reports what cannot map (it throws). */
export type Fail = (message: string) => never;

/** A mapping as YAML, JSON or an INI `kwargs` gives it. */
export type Dict = Record<string, unknown>;

/** True for a mapping (not null, not a list). */
export function isDict(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A formatter's `style`: `%` (the default) or `{`; `$` cannot map. */
export function styleOf(value: unknown, fail: Fail): "%" | "{" {
  if (value === undefined || value === null || value === "%") return "%";
  if (value === "{") return "{";
  return fail(`style ${JSON.stringify(value)} cannot map; use % or {`);
}

/** A level as Python accepts it: a name in any case, or a number. */
export function levelOf(value: unknown, where: string, fail: Fail): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === "string") {
    const upper = value.trim().toUpperCase();
    if (Object.hasOwn(LEVELS, upper)) return LEVELS[upper]!;
    if (/^\d+$/.test(upper)) return Number(upper);
  }
  return fail(`${where}: level ${JSON.stringify(value)} is not DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET`);
}

/** The logging classes we map, by every spelling Python accepts (dictConfig and fileConfig). */
export function handlerKind(cls: string): "stream" | "file" | "rotating" | "syslog" | "null" | null {
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

export const HANDLER_ARGS: Record<NonNullable<ReturnType<typeof handlerKind>>, string[]> = {
  stream: ["stream"],
  file: ["filename", "mode", "encoding", "delay", "errors"],
  rotating: ["filename", "mode", "maxBytes", "backupCount", "encoding", "delay", "errors"],
  syslog: ["address", "facility", "socktype"],
  null: [],
};

/** One handler from its class kind and constructor arguments (by name; fileConfig's positional ones are named first). */
export function buildHandler(
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
