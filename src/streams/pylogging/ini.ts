// logging.config.fileConfig, as Circus reads INI `loggerconfig` files: the sections, and the Python
// literals of `args`/`kwargs` (strings, numbers, tuples, sys.stdout, SysLogHandler.LOG_*).

import { parseIni } from "../../config/ini.ts";
import { Diagnostics } from "../../config/raw.ts";
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

export function fromIni(text: string, path: string, fail: Fail): LogRouting {
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
