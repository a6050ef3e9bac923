// `logs` (beyond Circus, circus#1075): the last lines the processes of one watcher — or of every watcher
// matching a pattern, or all of them — wrote, from the daemon's tail buffers, interleaved by time. With
// cursors (`since`) only what came after; `wait` holds the reply until a line arrives (long poll), which
// is how `circus ctl logs -f` follows without touching the pub/sub stream.

import type { TailBuffer, TailLine, TailSince } from "../../streams/tail.ts";
import type { Channel } from "../../streams/types.ts";
import { deferred, delay, settlesWithin } from "../../util/async.ts";
import type { ControlledWatcher } from "../arbiter-api.ts";
import type { Command, CommandContext, Json, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { lookupWatcher, matchWatchers } from "../execution.ts";
import { optInt, optNumber, optString } from "../props.ts";

export interface LogsProps {
  /** A watcher, a pattern (by `match`), or none: every watcher. */
  name?: string;
  match: "simple" | "glob" | "regex";
  lines: number;
  stream?: Channel;
  /** Cursor per watcher (a number: the one watcher's cursor, as a single-watcher reply gives it). */
  since?: number | Record<string, number>;
  /** Seconds to wait for a first new line when `since` has nothing yet. */
  wait: number;
}

export const DEFAULT_LOG_LINES = 10;
/** Upper bound of `wait`, below circusctl's default 5 s timeout. */
export const MAX_LOG_WAIT = 4;
/** After the first new line, wait this long so a burst comes back as one reply. */
const BATCH_MS = 30;
/**
 * When this daemon started (epoch seconds): a follower sees a restarted daemon by a new value. An
 * upgraded daemon keeps its first image's (its tails and cursors carry over): `ctx.daemonVersion`.
 */
const STARTED = Math.round(performance.timeOrigin) / 1000;

interface Source {
  watcher: ControlledWatcher;
  tail: TailBuffer;
}

function tailOf(watcher: ControlledWatcher): TailBuffer | null {
  const tail = watcher.output.tail;
  return tail === undefined || tail.capacity === 0 ? null : tail;
}

/**
 * The watchers asked for, with their tail buffers. A single name that is a watcher is that watcher, with
 * an error when it keeps no output; a pattern or no name skips watchers that keep none.
 */
function sourcesOf(ctx: CommandContext, name: string | undefined, match: LogsProps["match"]): Source[] {
  const exact = name === undefined ? undefined : ctx.arbiter.getWatcher(name);
  if (name !== undefined && exact !== undefined) {
    const tail = tailOf(exact);
    if (tail === null) {
      const why = exact.output.tail === undefined ? "" : ": [circus] tail_lines is 0";
      throw messageError(`no output is kept for '${exact.name}'${why}`);
    }
    return [{ watcher: exact, tail }];
  }
  const watchers = name === undefined ? ctx.arbiter.watchers() : matchWatchers(ctx, name, match);
  const sources: Source[] = [];
  for (const watcher of watchers) {
    const tail = tailOf(watcher);
    if (tail !== null) sources.push({ watcher, tail });
  }
  return sources;
}

/** Resolve after the first line reaches any of `tails` (plus a short batch window), or after `seconds`. */
async function nextLine(tails: TailBuffer[], seconds: number): Promise<void> {
  const ms = seconds * 1000;
  const started = performance.now();
  const firstLine = deferred();
  const unsubscribe = tails.map((t) => t.subscribe(() => firstLine.resolve()));
  try {
    if (await settlesWithin(firstLine.promise, ms)) await delay(Math.min(BATCH_MS, ms - (performance.now() - started)));
  } finally {
    for (const off of unsubscribe) off();
  }
}

type Found = { name: string; found: TailSince };

function read(sources: Source[], props: LogsProps, single: boolean): Found[] {
  return sources.map(({ watcher, tail }) => {
    const since = typeof props.since === "number" ? (single ? props.since : undefined) : props.since?.[watcher.name];
    if (props.since === undefined) {
      return {
        name: watcher.name,
        found: { lines: tail.lines(props.lines, props.stream), cursor: tail.cursor, truncated: false },
      };
    }
    // A watcher the follower has not seen yet (added since): from its next line on.
    if (since === undefined) return { name: watcher.name, found: { lines: [], cursor: tail.cursor, truncated: false } };
    return { name: watcher.name, found: tail.since(since, tail.capacity, props.stream) };
  });
}

function render(name: string | null, lines: TailLine[]): JsonObject[] {
  return lines.map((l) => ({
    ...(name === null ? {} : { name }),
    pid: l.pid,
    stream: l.stream,
    time: l.time / 1000,
    line: l.line,
  }));
}

function readSince(p: JsonObject): LogsProps["since"] {
  const v = p.since;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "object" && !Array.isArray(v)) {
    const cursors: Record<string, number> = {};
    for (const [name, cursor] of Object.entries(v)) {
      if (typeof cursor !== "number" || !Number.isSafeInteger(cursor) || cursor < 0)
        throw messageError(`message invalid 'since' must map watchers to cursors, got ${JSON.stringify(v)}`);
      cursors[name] = cursor;
    }
    return cursors;
  }
  return optInt(p, "since", 0);
}

export const logs = {
  name: "logs",
  summary: "Show the last lines the watchers' processes wrote",
  help:
    "Print the last lines of a watcher's output (stdout and stderr, or one of them) as `[pid] line`, from\n" +
    "the daemon's buffer of [circus] tail_lines lines per watcher. Without a name, or with a pattern\n" +
    "(glob by default, as `start` takes), every matching watcher's lines interleaved as `name.pid | line`.\n" +
    "stderr lines are marked with `!` (`[pid]! line`, `name.pid ! line`). Works whatever stream is\n" +
    "configured, and for watchers without one. With -f, keep printing new lines until interrupted,\n" +
    "reconnecting when the daemon restarts.\n\n" +
    "  circus ctl logs [<name>] [-n N] [-f] [--stream stdout|stderr] [--timestamps] [--match simple|glob|regex]",
  cli: [
    { property: "name", kind: "positional", optional: true, description: "watcher name or pattern (default: all)" },
    {
      property: "lines",
      kind: "option",
      short: "n",
      convert: "int",
      description: `number of lines (default ${DEFAULT_LOG_LINES})`,
    },
    { property: "follow", kind: "flag", short: "f", description: "keep printing new lines until Ctrl-C" },
    { property: "stream", kind: "option", description: "stdout or stderr only" },
    { property: "timestamps", kind: "flag", short: "t", description: "prefix each line with the time it was read" },
    { property: "match", kind: "option", description: "how <name> matches: simple, glob (default) or regex" },
  ] as const,
  async: false,
  validate(p) {
    const stream = optString(p, "stream");
    if (stream !== undefined && stream !== "stdout" && stream !== "stderr") {
      throw messageError(`message invalid 'stream' must be "stdout" or "stderr", got ${JSON.stringify(stream)}`);
    }
    const match = optString(p, "match") ?? "glob";
    if (match !== "simple" && match !== "glob" && match !== "regex")
      throw messageError(`unknown match method ${match}`);
    return {
      name: optString(p, "name"),
      match,
      lines: optInt(p, "lines", 0) ?? DEFAULT_LOG_LINES,
      stream: stream as Channel | undefined,
      since: readSince(p),
      wait: Math.min(optNumber(p, "wait", 0) ?? 0, MAX_LOG_WAIT),
    };
  },
  async execute(ctx, props) {
    const exact = props.name !== undefined && ctx.arbiter.getWatcher(props.name) !== undefined;
    if (props.name !== undefined && !exact && props.match === "simple") lookupWatcher(ctx, props.name);
    let sources = sourcesOf(ctx, props.name, props.match);
    let found = read(sources, props, exact);
    const empty = (f: Found[]) => f.every((x) => x.found.lines.length === 0 && !x.found.truncated);
    if (props.since !== undefined && props.wait > 0 && empty(found)) {
      await nextLine(
        sources.map((s) => s.tail),
        props.wait,
      );
      // Watchers may have been replaced meanwhile (reloadconfig keeps their tail buffers) or removed.
      sources = sourcesOf(ctx, props.name, props.match);
      found = read(sources, props, exact);
    }
    const cursors: Record<string, Json> = {};
    for (const f of found) cursors[f.name] = f.found.cursor;
    const truncated = found.some((f) => f.found.truncated);
    if (exact) {
      const only = found[0]!;
      return {
        name: only.name,
        lines: render(null, only.found.lines),
        cursor: only.found.cursor,
        cursors,
        truncated,
        started: ctx.daemonVersion?.().started ?? STARTED,
      };
    }
    // Interleaved by time; for the last N without a cursor, the newest N of them all.
    let lines = found.flatMap((f) => render(f.name, f.found.lines));
    lines.sort((a, b) => (a.time as number) - (b.time as number));
    if (props.since === undefined) lines = lines.slice(Math.max(0, lines.length - props.lines));
    return { name: props.name ?? null, lines, cursors, truncated, started: ctx.daemonVersion?.().started ?? STARTED };
  },
  format(reply) {
    return formatLogLines((reply.lines ?? []) as JsonObject[], false).join("\n");
  },
} satisfies Command<LogsProps>;

/**
 * Console lines of a `logs` reply: `[pid] line` for one watcher's lines, `name.pid | line` when lines
 * carry their watcher's name; `!` marks stderr; `timestamps` prefixes the local time the line was read.
 */
export function formatLogLines(lines: JsonObject[], timestamps: boolean): string[] {
  return lines.map((l) => {
    const err = l.stream === "stderr";
    const prefix =
      typeof l.name === "string" ? `${l.name}.${l.pid} ${err ? "!" : "|"} ` : `[${l.pid}]${err ? "!" : ""} `;
    return `${timestamps ? `${localTime(Number(l.time))} ` : ""}${prefix}${l.line}`;
  });
}

/** `2024-01-10 14:03:07.250` in local time, from epoch seconds. */
function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
