// logging.config.dictConfig, as Circus reads YAML and JSON `loggerconfig` files.

import { recordFormat } from "./format.ts";
import {
  buildHandler,
  type Dict,
  type Fail,
  HANDLER_ARGS,
  type HandlerSpec,
  handlerKind,
  isDict,
  levelOf,
  type LoggerSpec,
  type LogRouting,
  ROOT_DEFAULT_LEVEL,
  type RecordFormat,
  styleOf,
} from "./model.ts";

export function fromDict(data: unknown, fail: Fail): LogRouting {
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
