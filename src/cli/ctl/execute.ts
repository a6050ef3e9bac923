// Run one circusctl command line (already split into words): parse it against the command's spec,
// send it, print the reply the way circusctl does, and return the exit status.

import { ConnectionLostError, DEFAULT_PUBSUB_ENDPOINT, TimeoutError } from "../../protocol/client.ts";
import type { JsonObject, Reply } from "../../protocol/command.ts";
import { whenAborted } from "../../util/async.ts";
import { resolve } from "../../util/path.ts";
import { interruptOn } from "../shared/interrupt.ts";
import { parseCommandArgs, UsageError, type GlobalOptions } from "./args.ts";
import { commandHint, findCommand } from "./commands.ts";
import { isConnectionFailure, openSubscription, type OpenClient } from "./connect.ts";
import { commandHelp } from "./help.ts";
import { runLogs } from "./logs.ts";
import { EXIT_ERROR_REPLY, isErrorReply, renderJson, renderText, TIMEOUT_HINT } from "./output.ts";
import { PROGRESS_COMMANDS, showProgress } from "./progress.ts";
import { stderr, stdout } from "../shared/output.ts";
import { CurveFlagError } from "../shared/curve.ts";

/** Where output goes (the process's stdout/stderr; tests and the shell may swap them). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (progress lines are shown only then). */
  isTTY: boolean;
  /** Aborted once stdout takes no more (its reader left, the disk is full): following commands end. */
  readonly outClosed: AbortSignal;
}

export const processIo: Io = {
  out: (t) => stdout.write(t),
  err: (t) => stderr.write(t),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
  get outClosed() {
    return stdout.signal;
  },
};

/** Supplies the control client (the shell keeps one open; a one-shot run opens and closes it). */
export type ClientSource = (globals: GlobalOptions) => Promise<OpenClient>;

/** Run `<command> [args]` with the given global options; never throws. */
export async function executeCommand(
  word: string,
  tokens: string[],
  globals: GlobalOptions,
  clients: ClientSource,
  io: Io,
): Promise<number> {
  const cmd = findCommand(word);
  if (!cmd) {
    io.err(`circusctl: unknown command "${word}"${commandHint(word)} (\`circusctl --help\` lists the commands)\n`);
    return 2;
  }
  let properties: JsonObject;
  let positionals: string[];
  try {
    const line = parseCommandArgs(cmd, tokens, globals);
    if (line.help) {
      io.out(commandHelp(cmd) + "\n");
      return 0;
    }
    properties = line.properties;
    positionals = line.positionals;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`circusctl ${cmd.name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    if (cmd.name === "listen") return await listen(globals, positionals, clients, io);
    if (cmd.name === "logs") return await runLogs(properties, globals, clients, io);
    // A binary named relative to where circus ctl runs, not to the daemon's working directory.
    if (cmd.name === "upgrade" && typeof properties.binary === "string") properties.binary = resolve(properties.binary);
    if (cmd.name === "upgrade" && properties.waiting === true)
      return await upgradeAndWait(properties, globals, clients, io);
    const open = await clients(globals);
    try {
      const call = open.client.call(cmd.name, properties);
      const reply =
        io.isTTY && !globals.json && properties.waiting === true && PROGRESS_COMMANDS.has(cmd.name)
          ? await showProgress(open.client, cmd.name, properties, call, { write: io.out })
          : await call;
      const colour = io.isTTY && !process.env.NO_COLOR;
      return printReply(reply, () => renderText(cmd, reply, properties, colour), globals, io);
    } finally {
      await open.close();
    }
  } catch (err) {
    return connectionFailure(err, io);
  }
}

/** How long `upgrade --waiting` waits for the new daemon to answer. */
const UPGRADE_WAIT_MS = 30_000;
/** Each `version` probe's timeout: one sent just before the exec is lost with its connection. */
const UPGRADE_PROBE_MS = 250;

/**
 * `upgrade --waiting`: the daemon answers once its checks passed, just before it re-executes; then ask
 * `version` until the new image answers (it counts one more upgrade) and print its version.
 */
async function upgradeAndWait(
  properties: JsonObject,
  globals: GlobalOptions,
  clients: ClientSource,
  io: Io,
): Promise<number> {
  const open = await clients(globals);
  try {
    const reply = await open.client.call("upgrade", properties);
    if (isErrorReply(reply)) return printReply(reply, () => String(reply.reason), globals, io);
    const deadline = Date.now() + UPGRADE_WAIT_MS;
    while (Date.now() < deadline) {
      const version = await open.client
        .call("version", {}, { timeoutMs: UPGRADE_PROBE_MS })
        .catch((err: unknown) =>
          err instanceof TimeoutError || err instanceof ConnectionLostError ? null : Promise.reject(err),
        );
      // The exec failed after the checks: the old daemon answers, carrying on, and says why.
      if (version !== null && !isErrorReply(version) && typeof version.upgrade_error === "string") {
        io.err(`circusctl upgrade: the upgrade failed, the daemon carries on as it was: ${version.upgrade_error}\n`);
        return EXIT_ERROR_REPLY;
      }
      if (version !== null && !isErrorReply(version) && version.upgrades === reply.upgrades) {
        return printReply(
          version,
          () => `upgraded circus ${String(reply.from)} → ${String(version.version)} (pid ${String(version.pid)})`,
          globals,
          io,
        );
      }
    }
    io.err(
      `circusctl upgrade: the daemon did not answer within ${UPGRADE_WAIT_MS / 1000} s after re-executing; see its log\n`,
    );
    return 1;
  } finally {
    await open.close();
  }
}

function printReply(reply: Reply, text: () => string, globals: GlobalOptions, io: Io): number {
  const failed = isErrorReply(reply);
  if (globals.json) {
    const colour = globals.prettify && process.stdout.isTTY === true && !process.env.NO_COLOR;
    io.out(renderJson(reply, globals.prettify, colour) + "\n");
    return failed ? EXIT_ERROR_REPLY : 0;
  }
  let rendered: string;
  try {
    rendered = text();
  } catch (err) {
    // A reply shape the formatter does not expect (an older or newer daemon): show it raw.
    rendered = renderJson(reply, true);
    io.err(`circusctl: could not format the reply (${(err as Error).message}); raw reply follows\n`);
  }
  if (failed) {
    io.err(rendered + "\n");
    return EXIT_ERROR_REPLY;
  }
  io.out(rendered + "\n");
  return 0;
}

/** Timeouts, unreachable endpoints and tunnel failures: exit 1 with a message on stderr (2 for an unreadable key). */
export function connectionFailure(err: unknown, io: Io): number {
  if (err instanceof CurveFlagError) {
    io.err(`circusctl: ${err.message}\n`);
    return 2;
  }
  if (!isConnectionFailure(err)) throw err;
  io.err(err instanceof TimeoutError ? err.message + TIMEOUT_HINT : `circusctl: ${err.message}\n`);
  return 1;
}

/**
 * `listen [topics…]`: print `<topic>: <payload>` per event until SIGINT/SIGTERM. `--endpoint` names the
 * pub/sub endpoint, as in circusctl; without it the daemon at $CIRCUSCTL_ENDPOINT (or the default control
 * endpoint) is asked for its `pubsub_endpoint`, so `listen` follows the daemon the other commands talk to.
 */
async function listen(globals: GlobalOptions, topics: string[], clients: ClientSource, io: Io): Promise<number> {
  let endpoint = globals.endpoint;
  if (endpoint === null) {
    const open = await clients(globals);
    try {
      const reply = await open.client.call("globaloptions", { option: "pubsub_endpoint" });
      const found = (reply.options as JsonObject | undefined)?.pubsub_endpoint;
      endpoint = typeof found === "string" && found ? found : DEFAULT_PUBSUB_ENDPOINT;
    } finally {
      await open.close();
    }
  }
  const sub = await openSubscription(globals, endpoint, topics, (e) => io.out(`${e.topic}: ${e.raw}\n`));
  const stop = interruptOn(["SIGINT", "SIGTERM"]);
  await whenAborted(AbortSignal.any([stop.signal, io.outClosed]));
  stop.off();
  await sub.close();
  return 0;
}
