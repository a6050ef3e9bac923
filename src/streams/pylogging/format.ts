// Python logging formatters (`%` and `{` style, with `datefmt`) over the daemon's log records: the
// attributes we have are formatted as Python would; the others (lineno, module, …) are refused.

import { strftime } from "../strftime.ts";
import type { Fail, LogRecord, RecordFormat } from "./model.ts";

/** Python's default Formatter: `%(message)s`. */
export const DEFAULT_FORMAT: RecordFormat = (r) => r.message;

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
