// Where the daemon's own log lines go (`--log-output`, `[circus] logoutput`, `--logger-config`):
// stdout, a file (reopened after logrotate), or syslog over UDP or a unix datagram socket.

import { nodeOs } from "../util/node.ts";
import { resolveHost } from "../util/host.ts";
import { extname, resolve } from "../util/path.ts";
import { parseLogLevel, type LogLevel, type LogSink } from "../util/log.ts";
import { UnixDatagramSender } from "../os/unixdgram.ts";
import { fdQueue } from "./console.ts";
import { LogOutputError } from "./errors.ts";
import { WatchedFileStream } from "./file.ts";
import { strftime } from "./strftime.ts";

/** A log sink that can also be reopened (SIGUSR1) and closed (flushes what is queued). */
export type LogOutput = LogSink & {
  reopen(): void;
  close(): Promise<void>;
  /** Resolves once the lines logged so far are written (before a daemon upgrade's exec); keeps it open. */
  flush(): Promise<void>;
};

const encoder = new TextEncoder();

const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};
const SEVERITY: Record<string, number> = { CRITICAL: 2, ERROR: 3, WARNING: 4, INFO: 6, DEBUG: 7 };

/** Lines as src/util/log.ts writes them: `YYYY-mm-dd HH:MM:SS name[pid] [LEVEL] message`. */
const LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+)\[(\d+)\] \[([A-Z]+)\] ([\s\S]*)$/;

function make(
  write: (line: string) => void,
  reopen: () => void,
  close: () => Promise<void>,
  flush: () => Promise<void> = async () => {},
): LogOutput {
  return Object.assign((line: string) => write(line), { reopen, close, flush });
}

/** Bytes of daemon log lines held for a blocked stdout/stderr before new lines are dropped. */
export const LOG_BACKLOG_CAP = 8 * 1024 * 1024;

/**
 * Whether `fd` is the stream systemd connected to the journal: JOURNAL_STREAM names its `device:inode`
 * (systemd.exec(5)), so a stdout redirected elsewhere by the unit's user is not mistaken for it.
 */
export async function isJournalStream(
  fd: number,
  env: Record<string, string | undefined> = process.env,
): Promise<boolean> {
  const expected = env.JOURNAL_STREAM;
  if (!expected) return false;
  try {
    const s = await Bun.file(fd).stat();
    return `${s.dev}:${s.ino}` === expected.trim();
  } catch {
    return false;
  }
}

/** A line for journald: the level as a `<N>` priority prefix, and no timestamp (the journal keeps its own). */
export function journalLine(line: string): string {
  const m = LINE.exec(line);
  return m ? `<${SEVERITY[m[4]!] ?? 6}>${m[2]}: ${m[5]}` : `<6>${line}`;
}

/** The file a log output spec writes to (reopened after logrotate), or null for stdout and syslog. */
export function logOutputFile(spec: string, cwd: string = process.cwd()): string | null {
  const text = spec.trim();
  if (/^(-|stdout|stderr|)$/.test(text) || text.startsWith("syslog://")) return null;
  return resolve(cwd, text);
}

/** The fields of one of log.ts's lines, or null for a line that is not one. */
export function parseLogLine(
  line: string,
): { time: string; name: string; pid: string; level: string; message: string } | null {
  const m = LINE.exec(line);
  return m ? { time: m[1]!, name: m[2]!, pid: m[3]!, level: m[4]!, message: m[5]! } : null;
}

export interface LogOutputOptions {
  cwd?: string;
  /** A `{time} {name}[{pid}] [{level}] {message}` template (the JSON loggerconfig's `format`). */
  format?: string;
  /** Or a function of the whole line (Python logging formatters); syslog keeps its RFC 3164 layout. */
  formatLine?: (line: string) => string;
  /** A file output rotates before it would reach this size, keeping `backupCount` files (Python's RotatingFileHandler). */
  maxBytes?: number;
  backupCount?: number;
  /** Environment consulted for JOURNAL_STREAM (default: the daemon's). */
  env?: Record<string, string | undefined>;
}

/** Open `-`/`stdout`, `stderr`, `syslog://host[:port][?facility]`, `syslog:///socket[?facility]` or a file path. */
export async function openLogOutput(spec: string, options: LogOutputOptions = {}): Promise<LogOutput> {
  let format = options.formatLine ?? (options.format ? formatter(options.format) : (line: string) => line);
  const text = spec.trim();
  if (text === "" || text === "-" || text === "stdout" || text === "stderr") {
    const fd = text === "stderr" ? 2 : 1;
    // Under systemd the journal stamps each line and reads its priority from a `<N>` prefix.
    if (!options.format && !options.formatLine && (await isJournalStream(fd, options.env))) format = journalLine;
    const queue = fdQueue(fd);
    let dropped = 0;
    const push = (line: string) => {
      // A stdout nobody reads must not grow the daemon's memory: past the cap, lines are counted, not kept.
      if (queue.backlog > LOG_BACKLOG_CAP) return void dropped++;
      if (dropped > 0) {
        queue.push(encoder.encode(`[circus: ${dropped} log lines dropped while the output was blocked]\n`));
        dropped = 0;
      }
      queue.push(encoder.encode(format(line) + "\n"));
    };
    return make(
      push,
      () => {},
      () => queue.barrier(),
      () => queue.barrier(),
    );
  }
  if (text.startsWith("syslog://")) return openSyslog(text);
  const path = resolve(options.cwd ?? process.cwd(), text);
  let file: WatchedFileStream;
  try {
    file = new WatchedFileStream({
      path,
      maxBytes: options.maxBytes ?? 0,
      backupCount: options.backupCount ?? 0,
      timeFormat: null,
      compress: false,
      now: Date.now,
    });
  } catch (err) {
    throw new LogOutputError(`cannot log to ${path}: ${(err as Error).message}`, { cause: err });
  }
  return make(
    (line) => file.write({ data: encoder.encode(format(line) + "\n"), pid: process.pid, name: "stdout" }),
    () => void file.reopen(),
    () => file.close(),
    () => file.flush(),
  );
}

async function openSyslog(spec: string): Promise<LogOutput> {
  const url = new URL(spec);
  const facilityName = (url.search.slice(1) || "user").toLowerCase();
  const facility = FACILITIES[facilityName];
  if (facility === undefined) {
    throw new LogOutputError(
      `${spec}: unknown syslog facility "${facilityName}"; use one of ${Object.keys(FACILITIES).join(", ")}`,
    );
  }
  const host = nodeOs().hostname();
  const datagram = (line: string) => encoder.encode(syslogMessage(line, facility, host));
  if (!url.hostname) {
    const path = decodeURIComponent(url.pathname);
    let sender: UnixDatagramSender;
    try {
      sender = new UnixDatagramSender(path);
      sender.send(
        datagram(`${strftime("%Y-%m-%d %H:%M:%S", Date.now())} circus[${process.pid}] [INFO] logging to ${spec}`),
      );
    } catch (err) {
      throw new LogOutputError(`cannot log to ${spec}: ${(err as Error).message}`, { cause: err });
    }
    return make(
      (line) => {
        try {
          sender.send(datagram(line));
        } catch {
          // syslogd gone or full: a log line must never take the daemon down.
        }
      },
      () => {},
      async () => sender.close(),
    );
  }
  const port = url.port ? Number(url.port) : 514;
  const hostnameOnly = url.hostname.replace(/^\[|\]$/g, "");
  let address: string;
  try {
    address = await resolveHost(hostnameOnly, "any");
  } catch (err) {
    throw new LogOutputError(`cannot log to ${spec}: ${(err as Error).message}`, { cause: err });
  }
  const socket = await Bun.udpSocket({});
  return make(
    (line) => {
      socket.send(datagram(line), port, address);
    },
    () => {},
    async () => socket.close(),
  );
}

/** RFC 3164: `<PRI>Mmm dd hh:mm:ss host circus[pid]: [LEVEL] name: message`. */
export function syslogMessage(line: string, facility: number, host: string, nowMs: number = Date.now()): string {
  const m = LINE.exec(line);
  const severity = m ? (SEVERITY[m[4]!] ?? 6) : 6;
  const body = m ? `[${m[4]}] ${m[2]}: ${m[5]}` : line;
  const pid = m ? m[3] : String(process.pid);
  return `<${facility * 8 + severity}>${strftime("%b %e %H:%M:%S", nowMs)} ${host} circus[${pid}]: ${body}`;
}

/** A `format` template with {time} {name} {pid} {level} {message}, applied to log.ts's lines. */
function formatter(template: string): (line: string) => string {
  return (line) => {
    const m = LINE.exec(line);
    if (!m) return line;
    const fields: Record<string, string> = { time: m[1]!, name: m[2]!, pid: m[3]!, level: m[4]!, message: m[5]! };
    return template.replace(/\{(time|name|pid|level|message)\}/g, (_, key: string) => fields[key]!);
  };
}

/** The JSON `loggerconfig` file: `{"level": "info", "output": "-", "format": "{time} {name}[{pid}] [{level}] {message}"}`. */
export interface LoggerConfig {
  level: LogLevel | null;
  output: string | null;
  format: string | null;
}

/**
 * Read our `loggerconfig` JSON file (`{level, output, format}`); Python logging.config files (YAML, INI,
 * JSON with `version`) are read by loggerconfig.ts.
 */
export async function loadLoggerConfig(path: string): Promise<LoggerConfig> {
  const schema = `a JSON object {"level": "debug|info|warning|error|critical", "output": "-|<file>|syslog://…", "format": "{time} {name}[{pid}] [{level}] {message}"}`;
  const ext = extname(path).toLowerCase();
  if (ext !== ".json") {
    throw new LogOutputError(
      `${path}: a loggerconfig file is *.json (${schema}, or a Python logging.config dictionary), *.yaml or *.ini`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(await Bun.file(path).text());
  } catch (err) {
    throw new LogOutputError(`${path}: cannot read loggerconfig: ${(err as Error).message}`, { cause: err });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new LogOutputError(`${path}: expected ${schema}`);
  const obj = data as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !["level", "output", "format"].includes(k));
  if (unknown.length)
    throw new LogOutputError(
      `${path}: unknown key ${unknown.map((k) => JSON.stringify(k)).join(", ")}; expected ${schema}`,
    );
  for (const key of ["level", "output", "format"]) {
    if (obj[key] !== undefined && typeof obj[key] !== "string")
      throw new LogOutputError(`${path}: "${key}" must be a string`);
  }
  const level = obj.level === undefined ? null : parseLogLevel(obj.level as string);
  if (obj.level !== undefined && level === null) {
    throw new LogOutputError(
      `${path}: "level": ${JSON.stringify(obj.level)} is not one of debug, info, warning, error, critical`,
    );
  }
  return {
    level,
    output: (obj.output as string | undefined) ?? null,
    format: (obj.format as string | undefined) ?? null,
  };
}
