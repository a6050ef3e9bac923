// What the arbiter plugs into a watcher: the stdio targets for its workers, one pipe reader per worker
// channel, the configured streams and the tail buffer. Implements the arbiter's OutputSink seam.

import type { OutputSink, StdioTarget } from "../arbiter/process.ts";
import type { StreamConfig } from "../config/types.ts";
import { PassthroughStream } from "./console.ts";
import { createStream } from "./create.ts";
import { StreamConfigError } from "./errors.ts";
import { PipeReader } from "./reader.ts";
import { DEFAULT_TAIL_LINES, TailBuffer } from "./tail.ts";
import type { Channel, OutputStream } from "./types.ts";

/** The watcher options output depends on (a WatcherConfig fits). */
export interface WatcherOutputConfig {
  name: string;
  stdout_stream: StreamConfig | null;
  stderr_stream: StreamConfig | null;
  close_child_stdout: boolean;
  close_child_stderr: boolean;
}

export interface WatcherOutputOptions {
  configDir: string;
  /** Lines kept for `logs` (`[circus] tail_lines`); 0 with no stream configured = plain inherit, no capture. */
  tailLines?: number;
  now?: () => number;
}

export class WatcherOutput implements OutputSink {
  readonly stdout: StdioTarget;
  readonly stderr: StdioTarget;
  readonly tail: TailBuffer;
  private readonly readers = new Map<number, PipeReader[]>();

  private constructor(
    readonly watcher: string,
    private readonly streams: Record<Channel, OutputStream | null>,
    targets: Record<Channel, StdioTarget>,
    tailLines: number,
  ) {
    this.stdout = targets.stdout;
    this.stderr = targets.stderr;
    this.tail = new TailBuffer(tailLines);
  }

  /** Open the watcher's streams (files are created now, as in Circus); throws StreamConfigError. */
  static async open(cfg: WatcherOutputConfig, options: WatcherOutputOptions): Promise<WatcherOutput> {
    const tailLines = options.tailLines ?? DEFAULT_TAIL_LINES;
    const ctx = { watcher: cfg.name, configDir: options.configDir, now: options.now };
    const streams: Record<Channel, OutputStream | null> = { stdout: null, stderr: null };
    const targets: Record<Channel, StdioTarget> = { stdout: "inherit", stderr: "inherit" };
    let passthrough: PassthroughStream | null = null;
    let channel: Channel = "stdout";
    try {
      for (channel of ["stdout", "stderr"] as const) {
        if (channel === "stdout" ? cfg.close_child_stdout : cfg.close_child_stderr) {
          targets[channel] = "ignore";
          continue;
        }
        const config = channel === "stdout" ? cfg.stdout_stream : cfg.stderr_stream;
        if (config && Object.keys(config).length > 0) {
          streams[channel] = await createStream(config, ctx);
        } else if (tailLines > 0) {
          // Circus leaves such output on the daemon's own fds; we pass it through and keep a tail.
          streams[channel] = passthrough ??= new PassthroughStream();
        } else {
          continue;
        }
        targets[channel] = "pipe";
      }
    } catch (err) {
      await Promise.all(Object.values(streams).map((s) => s?.close()));
      if (err instanceof StreamConfigError) {
        throw new StreamConfigError(`watcher ${cfg.name}: ${channel}_stream: ${err.message}`, { cause: err });
      }
      throw err;
    }
    return new WatcherOutput(cfg.name, streams, targets, tailLines);
  }

  /** The stream a channel writes to (null when discarded or inherited). */
  streamOf(channel: Channel): OutputStream | null {
    return this.streams[channel];
  }

  /** OutputSink seam: called by WorkerProcess.spawn with the readable ends of the pipes. */
  attach(pid: number, stdout: ReadableStream<Uint8Array> | null, stderr: ReadableStream<Uint8Array> | null): void {
    const readers: PipeReader[] = [];
    if (stdout) readers.push(new PipeReader(stdout, { pid, channel: "stdout", stream: this.streams.stdout, tail: this.tail }));
    if (stderr) readers.push(new PipeReader(stderr, { pid, channel: "stderr", stream: this.streams.stderr, tail: this.tail }));
    this.readers.set(pid, readers);
    void Promise.all(readers.map((r) => r.done)).then(() => {
      if (this.readers.get(pid) === readers) this.readers.delete(pid);
    });
  }

  /**
   * Wait until the worker's pipes hit EOF and their output is written (call after it exited). A
   * grandchild holding the pipe keeps it open: after `timeoutMs` the readers are cancelled (what was
   * read is still written) and false is returned.
   */
  async drained(pid: number, timeoutMs = 2000): Promise<boolean> {
    const readers = this.readers.get(pid);
    if (!readers) return true;
    const all = Promise.all(readers.map((r) => r.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return true;
    await Promise.all(readers.map((r) => r.cancel()));
    return false;
  }

  /** Pids whose pipes are still being read. */
  get readingPids(): number[] {
    return [...this.readers.keys()];
  }

  /** Reopen file streams (SIGUSR1 / `reopen`). */
  async reopen(): Promise<void> {
    await Promise.all(this.distinctStreams().map((s) => s.reopen()));
  }

  /** Drain every reader (waiting up to `timeoutMs` for EOF), then close the streams. */
  async close(timeoutMs = 2000): Promise<void> {
    await Promise.all(this.readingPids.map((pid) => this.drained(pid, timeoutMs)));
    await Promise.all(this.distinctStreams().map((s) => s.close()));
  }

  private distinctStreams(): OutputStream[] {
    return [...new Set([this.streams.stdout, this.streams.stderr])].filter((s): s is OutputStream => s !== null);
  }
}
