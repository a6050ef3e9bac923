// The ini dialect Circus reads (Python's RawConfigParser plus Circus's tweaks), producing raw sections
// that remember the line of every key. The `ini` npm package merges differently (last key wins, `;`
// anywhere is a comment, no continuation lines), so this small line parser is our own.

import { addEntry, type Diagnostics, type RawDocument, emptyDocument, sectionOf } from "./raw.ts";

// Python's SECTCRE: the name runs to the last `]` on the line, so `[env:w[]]]` names `env:w[]]`.
const HEADER_RE = /^\[(.+)\]/s;
// Python's OPTCRE: a key not starting with blank/`:`/`=`, then the first `:` or `=`.
const OPTION_RE = /^([^:=\s][^:=]*?)\s*[:=]\s*(.*)$/;
const DEFAULT_SECTION = "DEFAULT";

interface Pending {
  entries: Map<string, { value: string; line: number }>;
  key: string;
  pieces: string[];
  line: number;
}

/** Strip a `;` comment that follows whitespace; `#` and `;` glued to text stay literal. */
function stripInlineComment(value: string): string {
  const m = /\s;/.exec(value);
  return m ? value.slice(0, m.index) : value;
}

/** Parse ini text; `file` is the name used in locations. Bad lines are reported, parsing goes on. */
export function parseIni(text: string, file: string, diag: Diagnostics): RawDocument {
  const doc = emptyDocument();
  let current: { name: string; label: string; entries: Map<string, { value: string; line: number }> } | null = null;
  const parsed: { name: string; line: number; entries: Map<string, { value: string; line: number }> }[] = [];
  let pending: Pending | null = null;

  const flush = () => {
    if (!pending) return;
    const value = pending.pieces.join("\n");
    if (!pending.entries.has(pending.key)) pending.entries.set(pending.key, { value, line: pending.line });
    pending = null;
  };

  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineno = i + 1;
    if (line.trim() === "" || line[0] === "#" || line[0] === ";") continue;
    if (/^rem(\s|$)/i.test(line)) continue;
    if (/^\s/.test(line) && pending) {
      // Continuation of the previous value (kept verbatim, as Python 2's reader did); blank ones were skipped above.
      pending.pieces.push(line.trim());
      continue;
    }
    flush();
    const header = HEADER_RE.exec(line);
    if (header) {
      const name = header[1]!;
      const entries = new Map<string, { value: string; line: number }>();
      current = { name, label: name, entries };
      parsed.push({ name, line: lineno, entries });
      continue;
    }
    if (!current) {
      diag.problem(
        { file, line: lineno },
        "(no section)",
        `${JSON.stringify(line)} comes before any [section] header, expected a header like [circus] first`,
      );
      continue;
    }
    const option = OPTION_RE.exec(line);
    if (!option) {
      diag.problem(
        { file, line: lineno },
        current.label,
        `cannot read line ${JSON.stringify(line)}, expected "key = value", "key: value", a [section] header or a comment`,
      );
      continue;
    }
    // Both groups of OPTION_RE always take part in a match.
    let value = stripInlineComment(option[2]!).trim();
    if (value === '""') value = "";
    pending = { entries: current.entries, key: option[1]!.trimEnd(), pieces: [value], line: lineno };
  }
  flush();

  for (const p of parsed) {
    const target = p.name === DEFAULT_SECTION ? null : sectionOf(doc, p.name, p.name, { file, line: p.line });
    for (const [key, { value, line }] of p.entries) {
      const entry = { value, location: { file, line }, format: "ini" as const };
      addEntry(target ? target.entries : doc.defaults, key, entry);
    }
  }
  return doc;
}
