// `circus ctl logs <name> [-n N] [-f] [--stream …]`: print the last lines, then with -f keep asking
// for what came after the cursor. Each request long-polls (`wait`) in the daemon, so new lines show
// up at once without a busy loop and without adding topics to the pub/sub stream.

import type { JsonObject, Reply } from "../../protocol/command.ts";
import { delay, whenAborted } from "../../util/async.ts";
import { interruptOn } from "../shared/interrupt.ts";
import type { GlobalOptions } from "./args.ts";
import type { ClientSource, Io } from "./execute.ts";
import { EXIT_ERROR_REPLY, isErrorReply, renderJson } from "./output.ts";

/** Pause between polls when the timeout is too short to long-poll. */
const POLL_MS = 200;

function print(reply: Reply, globals: GlobalOptions, io: Io): number {
  if (globals.json) {
    io.out(renderJson(reply, globals.prettify) + "\n");
    return isErrorReply(reply) ? EXIT_ERROR_REPLY : 0;
  }
  if (isErrorReply(reply)) {
    io.err(`error: ${reply.reason ?? "unknown"}\n`);
    return EXIT_ERROR_REPLY;
  }
  if (reply.truncated === true)
    io.err("circusctl: some lines were missed (the output outran the daemon's tail buffer)\n");
  let text = "";
  for (const l of (reply.lines ?? []) as JsonObject[]) text += `[${l.pid}] ${l.line}\n`;
  if (text) io.out(text);
  return 0;
}

/** Run `logs`; without `follow` it is one request. Connection failures propagate to the caller. */
export async function runLogs(
  properties: JsonObject,
  globals: GlobalOptions,
  clients: ClientSource,
  io: Io,
): Promise<number> {
  const { follow, ...request } = properties;
  const open = await clients(globals);
  const stop = follow ? interruptOn(["SIGINT", "SIGTERM"]) : null;
  try {
    let reply = await open.client.call("logs", request);
    const status = print(reply, globals, io);
    if (!stop || status !== 0) return status;
    // Long-poll for less than the reply timeout, so a quiet watcher never looks like a dead daemon.
    const wait = Math.min(2, globals.timeout - 1);
    const next = { name: request.name, stream: request.stream, wait: Math.max(wait, 0) } as JsonObject;
    for (;;) {
      next.since = reply.cursor as number;
      const call = open.client.call("logs", next);
      const got = await Promise.race([
        call,
        whenAborted(AbortSignal.any([stop.signal, io.outClosed])).then(() => null),
      ]);
      if (got === null) {
        // Interrupted: the pending poll's outcome no longer matters, and the client is closed below.
        call.catch(() => {});
        return 0;
      }
      reply = got;
      const code = print(reply, globals, io);
      if (code !== 0 || io.outClosed.aborted) return code;
      if (wait <= 0 && !(await delay(POLL_MS, stop.signal))) return 0;
    }
  } finally {
    stop?.off();
    await open.close();
  }
}
