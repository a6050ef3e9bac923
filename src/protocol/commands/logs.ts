// `logs` (beyond Circus, circus#1075): the last lines a watcher's processes wrote, from the daemon's
// tail buffer, and with a cursor (`since`) only what came after; `wait` holds the reply until a line
// arrives (long poll), which is how `circus ctl logs -f` follows without touching the pub/sub stream.

import type { TailBuffer, TailLine, TailSince } from "../../streams/tail.ts";
import type { Channel } from "../../streams/types.ts";
import { deferred, delay, settlesWithin } from "../../util/async.ts";
import type { ControlledWatcher } from "../arbiter-api.ts";
import type { Command, CommandContext, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { lookupWatcher } from "../execution.ts";
import { optInt, optNumber, optString, requireString } from "../props.ts";

export interface LogsProps {
  name: string;
  lines: number;
  stream?: Channel;
  since?: number;
  /** Seconds to wait for a first new line when `since` has nothing yet. */
  wait: number;
}

export const DEFAULT_LOG_LINES = 10;
/** Upper bound of `wait`, below circusctl's default 5 s timeout. */
export const MAX_LOG_WAIT = 4;
/** After the first new line, wait this long so a burst comes back as one reply. */
const BATCH_MS = 30;

function tailOf(ctx: CommandContext, name: string): { watcher: ControlledWatcher; tail: TailBuffer } {
  const watcher = lookupWatcher(ctx, name);
  const tail = watcher.output.tail;
  if (tail === undefined) throw messageError(`no output is kept for '${watcher.name}'`);
  if (tail.capacity === 0) throw messageError(`no output is kept for '${watcher.name}': [circus] tail_lines is 0`);
  return { watcher, tail };
}

/** Resolve after the first line reaches `tail` (plus a short batch window), or after `seconds`. */
async function nextLine(tail: TailBuffer, seconds: number): Promise<void> {
  const ms = seconds * 1000;
  const started = performance.now();
  const firstLine = deferred();
  const unsubscribe = tail.subscribe(() => firstLine.resolve());
  try {
    if (await settlesWithin(firstLine.promise, ms)) await delay(Math.min(BATCH_MS, ms - (performance.now() - started)));
  } finally {
    unsubscribe();
  }
}

function render(lines: TailLine[]): JsonObject[] {
  return lines.map((l) => ({ pid: l.pid, stream: l.stream, time: l.time / 1000, line: l.line }));
}

export const logs: Command<LogsProps> = {
  name: "logs",
  summary: "Show the last lines a watcher's processes wrote",
  help:
    "Print the last lines of a watcher's output (stdout and stderr, or one of them) as `[pid] line`, from\n" +
    "the daemon's buffer of [circus] tail_lines lines per watcher. Works whatever stream is configured,\n" +
    "and for watchers without one. With -f, keep printing new lines until interrupted.\n\n" +
    "  circus ctl logs <name> [-n N] [-f] [--stream stdout|stderr]",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    {
      property: "lines",
      kind: "option",
      short: "n",
      convert: "int",
      description: `number of lines (default ${DEFAULT_LOG_LINES})`,
    },
    { property: "follow", kind: "flag", short: "f", description: "keep printing new lines until Ctrl-C" },
    { property: "stream", kind: "option", description: "stdout or stderr only" },
  ],
  async: false,
  validate(p) {
    const stream = optString(p, "stream");
    if (stream !== undefined && stream !== "stdout" && stream !== "stderr") {
      throw messageError(`message invalid 'stream' must be "stdout" or "stderr", got ${JSON.stringify(stream)}`);
    }
    return {
      name: requireString(p, "name"),
      lines: optInt(p, "lines", 0) ?? DEFAULT_LOG_LINES,
      stream: stream as Channel | undefined,
      since: optInt(p, "since", 0),
      wait: Math.min(optNumber(p, "wait", 0) ?? 0, MAX_LOG_WAIT),
    };
  },
  async execute(ctx, { name, lines, stream, since, wait }) {
    let { watcher, tail } = tailOf(ctx, name);
    let found: TailSince;
    if (since === undefined) {
      found = { lines: tail.lines(lines, stream), cursor: tail.cursor, truncated: false };
    } else {
      found = tail.since(since, tail.capacity, stream);
      if (found.lines.length === 0 && !found.truncated && wait > 0) {
        await nextLine(tail, wait);
        // The watcher may have been replaced meanwhile (reloadconfig keeps its tail buffer).
        ({ watcher, tail } = tailOf(ctx, name));
        found = tail.since(since, tail.capacity, stream);
      }
    }
    return { name: watcher.name, lines: render(found.lines), cursor: found.cursor, truncated: found.truncated };
  },
  format(reply) {
    const lines = (reply.lines ?? []) as JsonObject[];
    return lines.map((l) => `[${l.pid}] ${l.line}`).join("\n");
  },
};
