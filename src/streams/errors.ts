// Typed failures of stream configuration, so the config loader and `add` can show an actionable message.

/** A `stdout_stream.*` / `stderr_stream.*` setting that cannot be turned into a stream. */
export class StreamConfigError extends Error {
  override name = "StreamConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `--log-output` / `--logger-config` values the daemon cannot log to. */
export class LogOutputError extends Error {
  override name = "LogOutputError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
