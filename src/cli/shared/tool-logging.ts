// `--log-level` / `--log-output` of the tools that run beside the daemon (circusd-stats, circus-plugin,
// circushttpd), by hand or as the daemon's watchers: a level name, and the output the daemon's own
// --log-output takes (`-`/`stdout`, a file reopened after logrotate, `syslog://…`).

import { type LogLevel, type LogSink, parseLogLevel, setLogLevel, setLogSink } from "../../util/log.ts";

/** A --log-level or --log-output the tool cannot use; the message names the flag and what it takes. */
export class ToolLoggingError extends Error {
  override readonly name = "ToolLoggingError";
}

/** Where a tool's log lines go; `close()` flushes what is queued (await it before exiting). */
export type ToolLogOutput = LogSink & { close(): Promise<void> };

/** The level `--log-level` names; a ToolLoggingError for anything else. */
export function toolLogLevel(flag: unknown): LogLevel {
  const level = parseLogLevel(String(flag));
  if (!level) throw new ToolLoggingError(`unknown log level "${flag}"; use critical, error, warning, info or debug`);
  return level;
}

/** Lines to stdout (Circus's default `-`) without the file/syslog machinery. */
function stdoutSink(): ToolLogOutput {
  const writer = Bun.stdout.writer();
  return Object.assign(
    (line: string) => {
      writer.write(line + "\n");
      writer.flush();
    },
    { close: async () => void (await writer.flush()) },
  );
}

/**
 * Log at `levelFlag` to `outputFlag`, as cac or a hand parser read them; throws ToolLoggingError.
 * cac reads a lone `-` (`--log-output -`) as `true`: that is stdout too. Stdout loads nothing more; a
 * file or syslog loads src/streams' log outputs (a plugin process, one per plugin, pays only for what
 * it uses).
 */
export async function startToolLogging(levelFlag: unknown, outputFlag: unknown): Promise<ToolLogOutput> {
  const level = toolLogLevel(levelFlag);
  const output = outputFlag === true || outputFlag === undefined ? "-" : String(outputFlag);
  let sink: ToolLogOutput;
  if (output === "-" || output === "stdout") sink = stdoutSink();
  else {
    const { openLogOutput } = await import("../../streams/logoutput.ts");
    try {
      sink = await openLogOutput(output);
    } catch (error) {
      throw new ToolLoggingError(`--log-output ${output}: ${(error as Error).message}`, { cause: error });
    }
  }
  setLogLevel(level);
  setLogSink(sink);
  return sink;
}
