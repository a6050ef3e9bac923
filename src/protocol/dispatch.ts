// One request body in, one reply out: parse, look the command up, validate, execute, build the
// envelope. Synchronous commands answer synchronously (the `list` round trip stays cheap); nothing a
// client sends can make this throw.

import { getLogger } from "../util/log.ts";
import type { CommandContext, CommandResult, Reply } from "./command.ts";
import { Errno, toCommandError } from "./errors.ts";
import { ServerError } from "./execution.ts";
import { errorReply, isBadRequest, okReply, parseRequest, type Request } from "./messages.ts";
import { readWaiting } from "./props.ts";
import { getCommand } from "./registry.ts";

const log = getLogger("circus.protocol");

/** What to send back: a reply, or null for a cast (never answered). */
export type Outcome = Reply | null;

/**
 * Handle one request body. Returns the reply directly for synchronous commands and a promise for
 * asynchronous ones. The arbiter is called before this returns, so requests reach it in arrival order.
 */
export function dispatch(ctx: CommandContext, body: Uint8Array | string): Outcome | Promise<Outcome> {
  const req = parseRequest(body);
  if (isBadRequest(req)) {
    log.debug(`bad request: ${req.error.reason}`);
    return req.cast ? null : errorReply(req.id, req.error.errno, req.error.reason);
  }
  const cmd = getCommand(req.command);
  if (!cmd) return answer(req, errorReply(req.id, Errno.UNKNOWN_COMMAND, `unknown command: '${req.commandAsSent}'`));
  // Once the daemon is stopping, nothing may start workers it would then leave behind; reads still work.
  if (cmd.async && cmd.name !== "quit" && ctx.shuttingDown?.()) {
    return answer(req, errorReply(req.id, Errno.COMMAND_ERROR, "the daemon is shutting down"));
  }
  if (cmd.async && ctx.upgrading?.()) {
    return answer(
      req,
      errorReply(req.id, Errno.COMMAND_ERROR, "the daemon is upgrading itself: send the command again in a moment"),
    );
  }
  let result: Promise<CommandResult> | CommandResult;
  try {
    const props = cmd.validate(req.properties);
    const waiting = cmd.async ? readWaiting(req.properties) : false;
    result = cmd.execute(ctx, props, waiting);
  } catch (err) {
    return answer(req, failure(req, err));
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => answer(req, okReply(req.id, r)),
      (err) => answer(req, failure(req, err)),
    );
  }
  return answer(req, okReply(req.id, result));
}

function answer(req: Request, reply: Reply): Outcome {
  return req.cast ? null : reply;
}

/** The error envelope for anything a command threw; unexpected ones are errno 5 and logged. */
export function failure(req: Request, err: unknown): Reply {
  if (err instanceof ServerError) return errorReply(req.id, err.errno, err.reason, err.detail);
  const typed = toCommandError(err);
  if (typed) return errorReply(req.id, typed.errno, typed.reason);
  const message = (err as Error)?.message ?? String(err);
  log.error(`command ${req.command} failed: ${(err as Error)?.stack ?? message}`);
  return errorReply(req.id, Errno.COMMAND_ERROR, `command ${req.raw}: ${message}`, (err as Error)?.stack ?? null);
}
