// `circus ctl logs [<name>] [-n N] [-f] [--stream …] [--timestamps]`: print the last lines, then with -f
// keep asking for what came after the cursors. Each request long-polls (`wait`) in the daemon, so new
// lines show up at once without a busy loop and without adding topics to the pub/sub stream. A daemon
// that goes away is waited for and followed again once it is back.

import { formatLogLines } from "../../protocol/commands/logs.ts";
import type { JsonObject, Reply } from "../../protocol/command.ts";
import { delay, whenAborted } from "../../util/async.ts";
import { interruptOn } from "../shared/interrupt.ts";
import type { GlobalOptions } from "./args.ts";
import type { ClientSource, Io } from "./execute.ts";
import { isConnectionFailure, type OpenClient } from "./connect.ts";
import { EXIT_ERROR_REPLY, isErrorReply, renderJson } from "./output.ts";

/** Pause between polls when the timeout is too short to long-poll, and between reconnection attempts. */
const POLL_MS = 200;
const RECONNECT_MS = 1000;

const RED = "\x1b[31m";
const RESET = "\x1b[0m";

/** While following, a flood that keeps outrunning the tail is said once per this long, not per poll. */
const MISSED_NOTICE_MS = 10_000;

/**
 * Says that lines were missed: at once the first time, then (a follow through a flood misses lines on
 * every poll, many times a second) at most once per MISSED_NOTICE_MS, with how often it happened since.
 */
class MissedNotice {
  private lastAt = -Infinity;
  private since = 0;

  constructor(private readonly io: Io) {}

  missed(): void {
    const now = performance.now();
    if (now - this.lastAt < MISSED_NOTICE_MS) {
      this.since++;
      return;
    }
    this.io.err(
      this.since === 0
        ? "circusctl: some lines were missed (the output outran the daemon's tail buffer)\n"
        : `circusctl: more lines were missed (${this.since + 1} times in the last ${Math.round((now - this.lastAt) / 1000)} s: the output outruns the daemon's tail buffer)\n`,
    );
    this.lastAt = now;
    this.since = 0;
  }
}

function print(reply: Reply, globals: GlobalOptions, io: Io, timestamps: boolean, notice: MissedNotice): number {
  if (globals.json) {
    io.out(renderJson(reply, globals.prettify) + "\n");
    return isErrorReply(reply) ? EXIT_ERROR_REPLY : 0;
  }
  if (isErrorReply(reply)) {
    io.err(`error: ${reply.reason ?? "unknown"}\n`);
    return EXIT_ERROR_REPLY;
  }
  if (reply.truncated === true) notice.missed();
  const lines = (reply.lines ?? []) as JsonObject[];
  const colour = io.isTTY && !process.env.NO_COLOR;
  const text = formatLogLines(lines, timestamps).map((l, i) =>
    colour && lines[i]!.stream === "stderr" ? `${RED}${l}${RESET}` : l,
  );
  if (text.length) io.out(text.join("\n") + "\n");
  return 0;
}

/** Run `logs`; without `follow` it is one request. Connection failures propagate to the caller. */
export async function runLogs(
  properties: JsonObject,
  globals: GlobalOptions,
  clients: ClientSource,
  io: Io,
): Promise<number> {
  const { follow, timestamps, ...request } = properties;
  const stamped = timestamps === true;
  const notice = new MissedNotice(io);
  let open: OpenClient | null = await clients(globals);
  const stop = follow ? interruptOn(["SIGINT", "SIGTERM"]) : null;
  try {
    let reply = await open.client.call("logs", request);
    const status = print(reply, globals, io, stamped, notice);
    if (!stop || status !== 0) return status;
    const ended = AbortSignal.any([stop.signal, io.outClosed]);
    // Long-poll for less than the reply timeout, so a quiet watcher never looks like a dead daemon.
    const wait = Math.min(2, globals.timeout - 1);
    const next: JsonObject = { ...request, wait: Math.max(wait, 0) };
    delete next.lines;
    let started = reply.started;
    for (;;) {
      // One watcher's reply names its cursor; several watchers' name theirs each.
      next.since = typeof reply.cursor === "number" ? reply.cursor : (reply.cursors as JsonObject);
      try {
        open ??= await clients(globals);
        const call = open.client.call("logs", next);
        const got = await Promise.race([call, whenAborted(ended).then(() => null)]);
        if (got === null) {
          // Interrupted: the pending poll's outcome no longer matters, and the client is closed below.
          call.catch(() => {});
          return 0;
        }
        if (got.started !== started && started !== undefined && !isErrorReply(got)) {
          // A new daemon: its buffers start afresh, and every line in them is new to us.
          io.err(`circusctl: the daemon restarted; following its output\n`);
          started = got.started;
          reply = typeof got.cursor === "number" ? { ...got, cursor: 0 } : { ...got, cursors: zeroed(got.cursors) };
          continue;
        }
        reply = got;
      } catch (err) {
        // The daemon is gone (restarting, or stopped): say so once, then keep trying until it answers.
        if (!isConnectionFailure(err)) throw err;
        io.err(`circusctl: lost the daemon (${(err as Error).message.split("\n")[0]}); waiting for it to come back\n`);
        await open?.close();
        open = null;
        while (!(await reconnected(globals, clients, ended))) {
          if (ended.aborted) return 0;
        }
        continue;
      }
      const code = print(reply, globals, io, stamped, notice);
      if (code !== 0 || io.outClosed.aborted) return code;
      if (wait <= 0 && !(await delay(POLL_MS, stop.signal))) return 0;
    }
  } finally {
    stop?.off();
    await open?.close();
  }
}

function zeroed(cursors: unknown): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys((cursors ?? {}) as JsonObject)) out[name] = 0;
  return out;
}

/** Wait a moment, then whether the daemon answers again (false: not yet, or we were interrupted). */
async function reconnected(globals: GlobalOptions, clients: ClientSource, ended: AbortSignal): Promise<boolean> {
  if (!(await delay(RECONNECT_MS, ended))) return false;
  try {
    const open = await clients(globals);
    try {
      return (await open.client.call("numwatchers")).status === "ok";
    } finally {
      await open.close();
    }
  } catch {
    return false;
  }
}
