// What the arbiter plugs into a watcher: the stdio targets for its workers, one capture reader per
// worker channel, the configured streams and the tail buffer. Implements the arbiter's OutputSink seam.

import type {
  CapturedFds,
  HandedChannel,
  HandedChannels,
  OutputSink,
  PendingOutput,
  StdioTarget,
} from "../arbiter/process.ts";
import type { StreamConfig } from "../config/types.ts";
import { settlesWithin } from "../util/async.ts";
import { PassthroughStream } from "./console.ts";
import { createStream } from "./create.ts";
import { StreamConfigError } from "./errors.ts";
import { CaptureReader, DEFAULT_BLOCK_TIMEOUT } from "./reader.ts";
import { DEFAULT_TAIL_LINES, TailBuffer } from "./tail.ts";
import type { Channel, OutputStream } from "./types.ts";

/** The watcher options output depends on (a WatcherConfig fits). */
export interface WatcherOutputConfig {
  name: string;
  stdout_stream: StreamConfig | null;
  stderr_stream: StreamConfig | null;
  close_child_stdout: boolean;
  close_child_stderr: boolean;
  /** A `ready.log` probe reads the lines, so they are captured even with nothing else to keep them. */
  ready?: { log: string | null };
  /** Read at each pause, so `set output_block_timeout` applies to running workers. */
  output_block_timeout?: number;
}

export interface WatcherOutputOptions {
  configDir: string;
  /** Where relative stream filenames resolve (the daemon's working directory by default). */
  cwd?: string;
  /** Lines kept for `logs` (`[circus] tail_lines`); 0 with no stream configured = plain inherit, no capture. */
  tailLines?: number;
  /** Keep this tail buffer (the watcher's output is being replaced, its history stays). */
  tail?: TailBuffer;
  /** Prefix passed-through lines with `name.pid | ` (`[circus] output_prefix`). */
  outputPrefix?: boolean;
  now?: () => number;
}

export class WatcherOutput implements OutputSink {
  readonly stdout: StdioTarget;
  readonly stderr: StdioTarget;
  readonly tail: TailBuffer;
  private readonly readers = new Map<number, CaptureReader[]>();
  /** Readers paused by a daemon upgrade's hand-over, until the exec (or takeBack when it fails). */
  private readonly handed = new Map<number, CaptureReader[]>();
  private readonly blockTimeoutMs = (): number => (this.cfg.output_block_timeout ?? DEFAULT_BLOCK_TIMEOUT) * 1000;

  private constructor(
    private readonly cfg: WatcherOutputConfig,
    private readonly streams: Record<Channel, OutputStream | null>,
    targets: Record<Channel, StdioTarget>,
    tail: TailBuffer,
  ) {
    this.stdout = targets.stdout;
    this.stderr = targets.stderr;
    this.tail = tail;
  }

  /** Open the watcher's streams (files are created now, as in Circus); throws StreamConfigError. */
  static async open(cfg: WatcherOutputConfig, options: WatcherOutputOptions): Promise<WatcherOutput> {
    const tailLines = options.tailLines ?? DEFAULT_TAIL_LINES;
    const blockTimeoutMs = (cfg.output_block_timeout ?? DEFAULT_BLOCK_TIMEOUT) * 1000;
    const ctx = { watcher: cfg.name, configDir: options.configDir, cwd: options.cwd, now: options.now, blockTimeoutMs };
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
        } else if (tailLines > 0 || (cfg.ready?.log ?? "").trim() !== "") {
          // Circus leaves such output on the daemon's own fds; we pass it through and keep a tail.
          streams[channel] = passthrough ??= new PassthroughStream({
            prefix: options.outputPrefix ? cfg.name : null,
            stallMs: blockTimeoutMs,
          });
        } else {
          continue;
        }
        targets[channel] = "capture";
      }
    } catch (err) {
      await Promise.all(Object.values(streams).map((s) => s?.close()));
      if (err instanceof StreamConfigError) {
        throw new StreamConfigError(`watcher ${cfg.name}: ${channel}_stream: ${err.message}`, { cause: err });
      }
      throw err;
    }
    const tail = options.tail?.capacity === tailLines ? options.tail : new TailBuffer(tailLines);
    return new WatcherOutput(cfg, streams, targets, tail);
  }

  get watcher(): string {
    return this.cfg.name;
  }

  /** The stream a channel writes to (null when discarded or inherited). */
  streamOf(channel: Channel): OutputStream | null {
    return this.streams[channel];
  }

  /** OutputSink seam: called by WorkerProcess.spawn with the daemon's ends of the worker's channels. */
  attach(pid: number, fds: CapturedFds, pending: PendingOutput = {}): void {
    const readers: CaptureReader[] = [];
    for (const channel of ["stdout", "stderr"] as const) {
      const fd = fds[channel];
      if (fd === null) continue;
      const stream = this.streams[channel];
      readers.push(
        new CaptureReader(
          fd,
          { pid, channel, stream, tail: this.tail, blockTimeoutMs: this.blockTimeoutMs },
          pending[channel],
        ),
      );
    }
    this.track(pid, readers);
  }

  /** OutputSink seam (daemon upgrade): pause `pid`'s readers and give up their fds and partial lines. */
  handOver(pid: number): HandedChannels {
    const handed: HandedChannels = { stdout: null, stderr: null };
    for (const reader of this.readers.get(pid) ?? []) {
      const { fd, pending } = reader.handOver();
      const channel: HandedChannel = { fd, pending: Buffer.from(pending).toString("base64") };
      handed[reader.channel] = channel;
    }
    // Kept (paused, their sockets open) in case the exec fails and takeBack() resumes them.
    const readers = this.readers.get(pid);
    if (readers) this.handed.set(pid, readers);
    this.readers.delete(pid);
    return handed;
  }

  /** OutputSink seam: the exec failed, read `pid`'s channels on with the same readers. */
  takeBack(pid: number): void {
    const readers = this.handed.get(pid);
    this.handed.delete(pid);
    if (!readers) return;
    for (const r of readers) r.takeBack();
    this.track(pid, readers);
  }

  /** Everything written to the streams so far is on disk (before a daemon upgrade's exec). */
  async flush(): Promise<void> {
    await Promise.all(this.distinctStreams().map((s) => s.flush()));
  }

  /** The capture readers of `pid` (to pause them and hand their fds over). */
  readersOf(pid: number): readonly CaptureReader[] {
    return this.readers.get(pid) ?? [];
  }

  /**
   * OutputSink seam: stream options changed. When the workers' stdio targets stay the same, their pipes
   * are switched to this output's streams in place (nothing is restarted or lost) and true is returned.
   */
  adopt(previous: OutputSink): boolean {
    if (!(previous instanceof WatcherOutput)) return false;
    if (previous.stdout !== this.stdout || previous.stderr !== this.stderr) return false;
    for (const [pid, readers] of previous.readers) {
      for (const r of readers) r.retarget(this.streams[r.channel], this.tail);
      this.track(pid, readers);
    }
    previous.readers.clear();
    return true;
  }

  private track(pid: number, readers: CaptureReader[]): void {
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
    if (await settlesWithin(all, timeoutMs)) {
      await all; // a failed final flush is the caller's to hear of
      return true;
    }
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

  /**
   * Drain every reader (waiting up to `timeoutMs` for EOF, or for as long as it takes with `untilEof`:
   * processes left running by `rm --nostop`), then close the streams.
   */
  async close(options: { untilEof?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (options.untilEof) await Promise.all([...this.readers.values()].flat().map((r) => r.done));
    else await Promise.all(this.readingPids.map((pid) => this.drained(pid, options.timeoutMs ?? 2000)));
    await Promise.all(this.distinctStreams().map((s) => s.close()));
  }

  private distinctStreams(): OutputStream[] {
    return [...new Set([this.streams.stdout, this.streams.stderr])].filter((s): s is OutputStream => s !== null);
  }
}
