// Lay out the `circus top` screen as lines of text for a given terminal size (pure: testable
// without a terminal). Groups sorted by name, top 10 pids by cpu (or mem), a totals row per group.

import type { PidRow, TopModel } from "./model.ts";

export type SortKey = "cpu" | "mem";

export interface RenderOptions {
  width: number;
  height: number;
  sortBy: SortKey;
  /** Where the figures come from, shown under the title. */
  source: string;
  /** A problem worth a line of its own (no stream, control channel unreachable). */
  notice?: string | null;
}

const TOP_N = 10;
const COLS = [22, 14, 14, 12];

function num(v: number | string, digits: number): string {
  return typeof v === "number" ? v.toFixed(digits) : v;
}

function row(cells: string[]): string {
  return cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(COLS[i] ?? 14) : c)).join(" ");
}

function totals(rows: PidRow[]): string[] {
  const nums = (k: "cpu" | "mem" | "age") => rows.map((r) => r[k]);
  const allNum = (xs: (number | string)[]): xs is number[] => xs.every((x) => typeof x === "number");
  const cpu = nums("cpu");
  const mem = nums("mem");
  const age = nums("age");
  return [
    "",
    allNum(cpu) ? `${(cpu.reduce((a, b) => a + b, 0) / Math.max(cpu.length, 1)).toFixed(1)} (avg)` : "N/A (avg)",
    allNum(mem) ? `${mem.reduce((a, b) => a + b, 0).toFixed(3)} (sum)` : "N/A (sum)",
    allNum(age) ? `${Math.max(0, ...age).toFixed(0)} (older)` : "N/A (older)",
  ];
}

function sortValue(r: PidRow, key: SortKey): number {
  const v = r[key];
  return typeof v === "number" ? v : -1;
}

/** The full screen, exactly `height` lines (padding or cutting), each at most `width` characters. */
export function renderScreen(model: TopModel, opts: RenderOptions): string[] {
  const lines: string[] = [
    "Circus Top",
    opts.source + `   [q] quit  [c] sort by cpu  [m] sort by mem  (sorted by ${opts.sortBy})`,
  ];
  if (opts.notice) lines.push(opts.notice);
  lines.push("");
  const names = [...model.groups.keys()].sort();
  if (names.length === 0 && model.sockets.size === 0) lines.push("*** Waiting for data ***");
  for (const name of names) {
    const rows = [...model.groups.get(name)!.values()];
    lines.push(name.replaceAll("-", "."));
    lines.push(row(["PID", "CPU (%)", "MEMORY (%)", "AGE (s)"]));
    const shown = rows
      .sort((a, b) => sortValue(b, opts.sortBy) - sortValue(a, opts.sortBy) || a.pid - b.pid)
      .slice(0, TOP_N);
    for (const r of shown) {
      const pid = r.role ? `${r.pid} (${r.role})` : String(r.pid);
      lines.push(row([pid, num(r.cpu, 1), num(r.mem, 3), num(r.age, 0)]));
    }
    if (rows.length > TOP_N) lines.push(`… ${rows.length - TOP_N} more`);
    if (name !== "circus") lines.push(row(totals(rows)));
    lines.push("");
  }
  if (model.sockets.size > 0) {
    lines.push("sockets");
    lines.push(row(["ADDRESS", "HITS"]));
    const socks = [...model.sockets.values()].sort((a, b) => a.fd - b.fd);
    for (const s of socks) lines.push(row([s.address, s.reads === null ? "-" : String(s.reads)]));
    const known = socks.filter((s) => s.reads !== null);
    lines.push(row(["", known.length ? `${known.reduce((n, s) => n + s.reads!, 0)} (sum)` : "- (sum)"]));
  }
  const out = lines.slice(0, opts.height).map((l) => (l.length > opts.width ? l.slice(0, opts.width) : l));
  while (out.length < opts.height) out.push("");
  return out;
}
