// The shapes every output stream shares: what a worker wrote (an entry) and what a stream must do
// with it. Built-in classes and custom `./module.ts:factory` streams implement the same interface.

export type Channel = "stdout" | "stderr";

/**
 * One piece of a worker's output. From the pipe reader, `data` always holds whole lines (each ending in
 * "\n"), except a last unterminated line flushed at EOF and pieces of a line longer than the splitter's cap.
 */
export interface OutputEntry {
  data: Uint8Array;
  pid: number;
  name: Channel;
  /** Epoch seconds (Circus's unit) when the output was read; streams fall back to now. */
  timestamp?: number;
}

export interface OutputStream {
  /** Class name as shown in messages (`FileStream`, `QueueStream`, or the custom module). */
  readonly kind: string;
  /** Queue an entry; never throws and never waits. Failed writes are logged and dropped, not retried. */
  write(entry: OutputEntry): void;
  /** Bytes queued but not yet written; the pipe reader waits on `flush()` above a high-water mark. */
  readonly backlog: number;
  /** Resolves once everything written so far has reached the file (or failed and been logged). */
  flush(): Promise<void>;
  /** Reopen the underlying file (SIGUSR1 / logrotate's copytruncate-free dance); no-op where meaningless. */
  reopen(): Promise<void>;
  /** Drain everything queued, then release the file. Writes after close are dropped with one warning. */
  close(): Promise<void>;
}

/** What createStream knows besides the `stdout_stream.*` options. */
export interface StreamContext {
  /** Watcher name: default colour of FancyStdoutStream, temp file names, messages. */
  watcher: string;
  /** Directory of the config file; custom stream modules (`./mystream.ts:create`) resolve against it. */
  configDir: string;
  /**
   * Where relative `filename`s resolve: the daemon's working directory, as in Circus (Python opens them
   * relative to circusd's cwd). Defaults to process.cwd().
   */
  cwd?: string;
  /** Clock in epoch milliseconds, for tests of time-based rotation; defaults to Date.now. */
  now?: () => number;
  /**
   * The watcher's output_block_timeout in ms: a shared target (the daemon's stdout) that takes nothing
   * for this long drops what is queued for it (the shortest of its users' timeouts wins).
   */
  blockTimeoutMs?: number;
}

/** A custom stream module exports `(config, ctx) => OutputStream | Promise<OutputStream>`. */
export type StreamFactory = (
  config: Record<string, string>,
  ctx: StreamContext,
) => OutputStream | Promise<OutputStream>;
