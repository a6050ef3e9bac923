// Python `logging.config` files, as Circus reads `loggerconfig` (YAML and JSON through dictConfig, INI
// through fileConfig): the subset that maps onto the daemon's log — loggers by name with levels and
// propagation, handlers to stdout/stderr, a file (reopened after logrotate, or rotated by size), syslog
// or nowhere, each with a level and a %-style or {}-style formatter. Anything else (filters, custom
// classes, attributes we do not have like %(lineno)d) is refused, naming it. The readers and the
// model are in ./pylogging; this module routes the daemon's lines through a read configuration.

import type { LogLevel } from "../util/log.ts";
import { extname, resolve } from "../util/path.ts";
import { LogOutputError } from "./errors.ts";
import { type LogOutput, openLogOutput, parseLogLine } from "./logoutput.ts";
import { fromDict } from "./pylogging/dict.ts";
import { fromIni } from "./pylogging/ini.ts";
import {
  type HandlerSpec,
  LEVELS,
  type LoggerSpec,
  type LogRecord,
  type LogRouting,
  ROOT_DEFAULT_LEVEL,
} from "./pylogging/model.ts";

export { recordFormat } from "./pylogging/format.ts";
export type { HandlerSpec, LoggerSpec, LogRecord, LogRouting, RecordFormat } from "./pylogging/model.ts";

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
    flush: async () => {
      await Promise.all([...outputs.values()].map((o) => o.flush()));
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
