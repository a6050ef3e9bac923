// TOML configs: `[circus]`, `[watcher.NAME]`, `[socket.NAME]`, `[plugin.NAME]`, `[env]`, `[env."a,b"]`
// mapped onto the same raw sections as ini (`watcher:NAME`, …), with line numbers found in the source.

import { parse, TomlError } from "smol-toml";
import {
  type Diagnostics,
  type RawDocument,
  type RawEntry,
  type RawScalar,
  type RawValue,
  emptyDocument,
  sectionOf,
} from "./raw.ts";
import type { SourceLocation } from "./types.ts";

type Table = Record<string, unknown>;
const NAMED_KINDS = new Set(["watcher", "socket", "plugin"]);
const SEP = "\u0000";

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Split a TOML dotted key (`a."b.c".d`) into its parts; null when it is not a plain key. */
function keyPath(text: string): string[] | null {
  const parts: string[] = [];
  const re = /\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(\.|$)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return null;
    parts.push(m[1] ?? m[3] ?? JSON.parse(`"${m[2]}"`));
    pos = re.lastIndex;
    if (m[4] === "") break;
  }
  return parts.length ? parts : null;
}

/** Line of every `[table]` header and `key =` line, keyed by full dotted path. First occurrence wins. */
export function indexTomlLines(text: string): Map<string, number> {
  const index = new Map<string, number>();
  let table: string[] = [];
  text.split(/\r\n|\n|\r/).forEach((line, i) => {
    const header = /^\s*\[\s*([^[\]]+?)\s*\]\s*(?:#.*)?$/.exec(line);
    if (header) {
      table = keyPath(header[1]!) ?? [];
      const k = table.join(SEP);
      if (!index.has(k)) index.set(k, i + 1);
      return;
    }
    const assign =
      /^\s*((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=/.exec(
        line,
      );
    if (!assign) return;
    const path = keyPath(assign[1]!);
    if (!path) return;
    const k = [...table, ...path].join(SEP);
    if (!index.has(k)) index.set(k, i + 1);
  });
  return index;
}

/** Best line for a path: the key itself, else the nearest enclosing key or table (inline tables). */
function lineOf(index: Map<string, number>, path: string[]): number {
  for (let n = path.length; n > 0; n--) {
    const line = index.get(path.slice(0, n).join(SEP));
    if (line !== undefined) return line;
  }
  return 1;
}

/** Line of a table: its header, else the first header or key written below it (`[watcher.api.hooks]`). */
function tableLine(index: Map<string, number>, path: string[]): number {
  const exact = index.get(path.join(SEP));
  if (exact !== undefined) return exact;
  const prefix = path.join(SEP) + SEP;
  let best = Infinity;
  for (const [k, line] of index) if (k.startsWith(prefix) && line < best) best = line;
  return Number.isFinite(best) ? best : lineOf(index, path);
}

function scalarOf(v: unknown): RawScalar | null {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toString();
  return null;
}

/** Parse TOML text; `file` is the name used in locations. */
export function parseToml(text: string, file: string, diag: Diagnostics): RawDocument {
  const doc = emptyDocument();
  let data: Table;
  try {
    data = parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0];
      diag.problem({ file, line: err.line }, "(toml)", `${first}, expected valid TOML`);
      return doc;
    }
    throw err;
  }
  const index = indexTomlLines(text);
  const at = (path: string[]): SourceLocation => ({ file, line: lineOf(index, path) });

  const addSection = (name: string, label: string, tablePath: string[], table: Table) => {
    const section = sectionOf(doc, name, label, { file, line: tableLine(index, tablePath) });
    const walk = (prefix: string[], t: Table) => {
      for (const [key, v] of Object.entries(t)) {
        const path = [...prefix, key];
        const dotted = path.join(".");
        if (isTable(v)) {
          walk(path, v);
          continue;
        }
        const location = at([...tablePath, ...path]);
        let value: RawValue | null;
        if (Array.isArray(v)) {
          const items = v.map(scalarOf);
          value = items.every((x): x is RawScalar => x !== null) ? items : null;
        } else {
          value = scalarOf(v);
        }
        if (value === null) {
          diag.problem(
            location,
            `${label}.${dotted}`,
            "nested arrays and tables are not supported here, expected a string, number, boolean or flat array",
          );
          continue;
        }
        const entry: RawEntry = { value, location, format: "toml" };
        if (!section.entries.has(dotted)) section.entries.set(dotted, entry);
      }
    };
    walk([], table);
  };

  for (const [top, v] of Object.entries(data)) {
    if (!isTable(v)) {
      diag.problem(at([top]), top, `top-level key outside any table, expected it inside a table such as [circus]`);
      continue;
    }
    if (NAMED_KINDS.has(top)) {
      for (const [name, t] of Object.entries(v)) {
        if (!isTable(t)) {
          diag.problem(at([top, name]), `${top}.${name}`, `expected a table [${top}.${name}] holding its options`);
          continue;
        }
        addSection(`${top}:${name}`, `${top}.${name}`, [top, name], t);
      }
    } else if (top === "env") {
      const plain: Table = {};
      for (const [key, t] of Object.entries(v)) {
        if (isTable(t)) addSection(`env:${key}`, `env.${JSON.stringify(key)}`, ["env", key], t);
        else plain[key] = t;
      }
      if (Object.keys(plain).length) addSection("env", "env", ["env"], plain);
    } else {
      addSection(top, top, [top], v);
    }
  }
  return doc;
}
