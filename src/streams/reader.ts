// Reads one child pipe (a Bun.spawn `stdout: "pipe"` ReadableStream) to EOF: chunks become whole
// lines, which go to the configured stream and the watcher's tail buffer. Reading pauses while the
// stream is behind (the worker then blocks on its own write, as with a slow disk), but never because a
// stream is failing: failed writes are dropped and logged, so a worker cannot hang on a full pipe.

import { getLogger } from "../util/log.ts";
import { LineSplitter } from "./lines.ts";
import type { TailBuffer } from "./tail.ts";
import type { Channel, OutputStream } from "./types.ts";

const log = getLogger("circus.streams");

/** Backlog (bytes) above which the reader waits for the stream before reading on. */
export const HIGH_WATER = 8 << 20;

export interface PipeReaderOptions {
  pid: number;
  channel: Channel;
  /** Where lines go; null = only the tail buffer. */
  stream: OutputStream | null;
  tail: TailBuffer | null;
  highWater?: number;
}

interface ChunkReader {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  cancel(): Promise<void>;
  releaseLock(): void;
}

export class PipeReader {
  /** Resolves once the pipe hit EOF (or was cancelled) and everything read was handed to the stream and flushed. */
  readonly done: Promise<void>;
  /** True once EOF was seen (false after a cancel before EOF). */
  eof = false;
  private readonly reader: ChunkReader;
  private readonly splitter = new LineSplitter();

  constructor(
    source: ReadableStream<Uint8Array>,
    private readonly options: PipeReaderOptions,
  ) {
    this.reader = source.getReader() as unknown as ChunkReader;
    this.done = this.run();
  }

  get channel(): Channel {
    return this.options.channel;
  }

  /** Send what is read from now on to `stream` and `tail` (stream options changed while the worker runs). */
  retarget(stream: OutputStream | null, tail: TailBuffer | null): void {
    this.options.stream = stream;
    this.options.tail = tail;
  }

  /** Stop reading (a grandchild keeps the pipe open after the worker died); what was read is still written. */
  async cancel(): Promise<void> {
    try {
      await this.reader.cancel();
    } catch {
      // Already closed.
    }
    await this.done;
  }

  private async run(): Promise<void> {
    const highWater = this.options.highWater ?? HIGH_WATER;
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) {
          this.eof = true;
          break;
        }
        this.splitter.feed(value, this.emitLines);
        const stream = this.options.stream;
        if (stream && stream.backlog > highWater) await stream.flush();
      }
    } catch (err) {
      log.debug(`reading ${this.options.channel} of ${this.options.pid} stopped: ${(err as Error).message}`);
    }
    const rest = this.splitter.end();
    if (rest) this.emit(rest);
    try {
      this.reader.releaseLock();
    } catch {
      // A pending read after cancel keeps the lock; nothing to release then.
    }
    await this.options.stream?.flush();
  }

  private readonly emitLines = (data: Uint8Array): void => this.emit(data);

  private emit(data: Uint8Array): void {
    const { pid, channel, stream, tail } = this.options;
    const now = Date.now();
    stream?.write({ data, pid, name: channel, timestamp: now / 1000 });
    tail?.push(data, pid, channel, now);
  }
}
