// Lay out the `circus top` screen as lines of text for a given terminal size (pure: testable without a
// terminal). Groups sorted by name, every pid sorted by cpu (or mem) with RSS in MB, a totals row per
// group, each watcher's state and restarts; the body scrolls when it is taller than the screen.

import type { PidRow, TopModel, WatcherSummary } from "./model.ts";

export type SortKey = "cpu" | "mem";

export interface RenderOptions {
  width: number;
  /** Rows of the terminal; null: every line, as `--once` prints them. */
  height: number | null;
  sortBy: SortKey;
  /** Where the figures come from, shown under the title. */
  source: string;
  /** A problem worth a line of its own (no stream, control channel unreachable). */
  notice?: string | null;
  /** First body line shown (clamped). */
  scroll?: number;
  /** ANSI colours (a terminal that wants them). */
  colour?: boolean;
  /** Show the keys instead of the figures. */
  help?: boolean;
}

const COLS = [22, 10, 12, 10, 10];
const MB = 1024 * 1024;
const ESC = "\x1b[";
const STYLE = {
  bold: "1",
  dim: "2",
  red: "31",
  green: "32",
  yellow: "33",
  cyan: "36",
} as const;

/** The keys, as the help screen and the footer name them. */
export const KEYS: [string, string][] = [
  ["q", "quit"],
  ["c / m", "sort by cpu / by memory"],
  ["↑ ↓  j k", "scroll a line"],
  ["PgUp PgDn  space", "scroll a page"],
  ["Home End  g G", "top / bottom"],
  ["?  h", "this help (any key returns)"],
];

function paint(on: boolean, text: string, ...styles: (keyof typeof STYLE)[]): string {
  if (!on || styles.length === 0) return text;
  return `${ESC}${styles.map((s) => STYLE[s]).join(";")}m${text}${ESC}0m`;
}

function num(v: number | string, digits: number): string {
  return typeof v === "number" ? v.toFixed(digits) : v;
}

function rss(v: number | null): string {
  return v === null ? "N/A" : (v / MB).toFixed(1);
}

function row(cells: string[]): string {
  return cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(COLS[i] ?? 10) : c)).join(" ");
}

function totals(rows: PidRow[]): string[] {
  const allNum = (xs: (number | string | null)[]): xs is number[] => xs.every((x) => typeof x === "number");
  const cpu = rows.map((r) => r.cpu);
  const mem = rows.map((r) => r.mem);
  const rssAll = rows.map((r) => r.rss);
  const age = rows.map((r) => r.age);
  return [
    "",
    allNum(cpu) ? `${(cpu.reduce((a, b) => a + b, 0) / Math.max(cpu.length, 1)).toFixed(1)} (avg)` : "N/A (avg)",
    allNum(mem) ? `${mem.reduce((a, b) => a + b, 0).toFixed(3)} (sum)` : "N/A (sum)",
    allNum(rssAll) ? `${(rssAll.reduce((a, b) => a + b, 0) / MB).toFixed(1)} (sum)` : "N/A (sum)",
    allNum(age) ? `${Math.max(0, ...age).toFixed(0)} (older)` : "N/A (older)",
  ];
}

function sortValue(r: PidRow, key: SortKey): number {
  const v = r[key];
  return typeof v === "number" ? v : -1;
}

function stateColour(state: string): (keyof typeof STYLE)[] {
  if (state === "active") return ["green"];
  if (state === "stopped") return ["red"];
  return ["yellow"];
}

/** `web  active · 3 processes · ↺ 2` — the group's heading. */
function heading(name: string, rows: number, watcher: WatcherSummary | undefined, colour: boolean): string {
  const shown = name.replaceAll("-", ".");
  if (watcher === undefined) return paint(colour, shown, "bold");
  const parts = [
    paint(colour, watcher.state, ...stateColour(watcher.state)),
    `${rows} process${rows === 1 ? "" : "es"}`,
  ];
  if (watcher.restarts !== null) parts.push(`↺ ${watcher.restarts}`);
  return `${paint(colour, shown, "bold")}  ${parts.join(" · ")}`;
}

/** The scrollable part: every group with every pid, then the sockets. */
export function bodyLines(model: TopModel, opts: Pick<RenderOptions, "sortBy" | "colour">): string[] {
  const colour = opts.colour === true;
  const lines: string[] = [];
  const names = [...new Set([...model.groups.keys(), ...model.watchers.keys()])].sort();
  if (names.length === 0 && model.sockets.size === 0) lines.push("*** Waiting for data ***");
  for (const name of names) {
    const rows = [...(model.groups.get(name)?.values() ?? [])];
    lines.push(heading(name, rows.length, model.watchers.get(name), colour));
    if (rows.length === 0) {
      lines.push(paint(colour, "  no process", "dim"), "");
      continue;
    }
    lines.push(paint(colour, row(["PID", "CPU (%)", "MEMORY (%)", "RSS (MB)", "AGE (s)"]), "dim"));
    rows.sort((a, b) => sortValue(b, opts.sortBy) - sortValue(a, opts.sortBy) || a.pid - b.pid);
    for (const r of rows) {
      const pid = r.role ? `${r.pid} (${r.role})` : String(r.pid);
      const text = row([pid, num(r.cpu, 1), num(r.mem, 3), rss(r.rss), num(r.age, 0)]);
      const hot = typeof r.cpu === "number" && r.cpu >= 80 ? (["red"] as const) : [];
      lines.push(paint(colour, text, ...hot));
    }
    if (name !== "circus") lines.push(row(totals(rows)));
    lines.push("");
  }
  if (model.sockets.size > 0) {
    lines.push(paint(colour, "sockets", "bold"));
    lines.push(paint(colour, row(["ADDRESS", "HITS"]), "dim"));
    const socks = [...model.sockets.values()].sort((a, b) => a.fd - b.fd);
    for (const s of socks) lines.push(row([s.address, s.reads === null ? "-" : String(s.reads)]));
    const known = socks.filter((s) => s.reads !== null);
    lines.push(row(["", known.length ? `${known.reduce((n, s) => n + s.reads!, 0)} (sum)` : "- (sum)"]));
  }
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Visible characters of a line with ANSI escapes: cut to `width` without breaking an escape. */
export function cut(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\x1b") {
      const end = line.indexOf("m", i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible === width) continue;
    out += line[i];
    visible += 1;
  }
  return out.includes("\x1b") ? `${out}${ESC}0m` : out;
}

/** The first body line that may be shown at the top, for `height` rows. */
export function maxScroll(model: TopModel, opts: RenderOptions): number {
  if (opts.height === null) return 0;
  const header = headerLines(opts).length;
  return Math.max(0, bodyLines(model, opts).length - (opts.height - header - 1));
}

function headerLines(opts: RenderOptions): string[] {
  const colour = opts.colour === true;
  const lines = [
    paint(colour, "Circus Top", "bold"),
    opts.source + `   [q] quit  [c] sort by cpu  [m] sort by mem  [?] help  (sorted by ${opts.sortBy})`,
  ];
  if (opts.notice) lines.push(paint(colour, opts.notice, "yellow"));
  lines.push("");
  return lines;
}

/** The full screen: exactly `height` lines (padding or cutting), each at most `width` characters. */
export function renderScreen(model: TopModel, opts: RenderOptions): string[] {
  const header = headerLines(opts);
  let body = opts.help ? ["Keys:", ...KEYS.map(([k, what]) => `  ${k.padEnd(18)} ${what}`)] : bodyLines(model, opts);
  if (opts.height !== null && header.length + body.length > opts.height) {
    const room = Math.max(1, opts.height - header.length - 1);
    const first = Math.min(Math.max(0, opts.scroll ?? 0), Math.max(0, body.length - room));
    const shown = body.slice(first, first + room);
    const footer = `lines ${first + 1}–${first + shown.length} of ${body.length} · ↑↓ PgUp PgDn scroll · ? help`;
    body = [...shown, paint(opts.colour === true, footer, "dim")];
  }
  const out = [...header, ...body].map((l) => cut(l, opts.width));
  if (opts.height === null) return out;
  const screen = out.slice(0, opts.height);
  while (screen.length < opts.height) screen.push("");
  return screen;
}
