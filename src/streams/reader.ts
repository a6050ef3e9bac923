// Reads one captured channel of a worker (the daemon's end of its stdout or stderr socket pair,
// decisions §3) to EOF: chunks become whole lines, which go to the configured stream and the
// watcher's tail buffer. While the stream is behind, reading pauses and the worker waits on its own
// write, as with a slow disk — for at most `output_block_timeout` per line: past that, whole lines are
// dropped and counted until the stream catches up. Pausing loses nothing: unread bytes stay in the
// socket, which is what lets the fd be handed to another process.

import type { FdSocketOptions, Socket, SocketHandler } from "bun";
import { closeFd } from "../os/capture.ts";
import { timerMs } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import { LineSplitter } from "./lines.ts";
import { countLines } from "./queue.ts";
import type { TailBuffer } from "./tail.ts";
import type { Channel, OutputStream } from "./types.ts";

const log = getLogger("circus.streams");

/** Backlog (bytes) above which the reader pauses until the stream has written what it holds. */
export const HIGH_WATER = 1 << 20;
/** Default of `output_block_timeout`, in seconds. */
export const DEFAULT_BLOCK_TIMEOUT = 5;

export interface CaptureReaderOptions {
  pid: number;
  channel: Channel;
  /** Where lines go; null = only the tail buffer. */
  stream: OutputStream | null;
  tail: TailBuffer | null;
  /** Milliseconds a worker may wait on a slow stream before its lines are dropped (read at each pause). */
  blockTimeoutMs?: () => number;
  highWater?: number;
}

type ReaderSocket = Socket<CaptureReader>;
/**
 * Every chunk Bun reads is a fresh buffer: a flood of output (20 workers writing flat out, 300 MB/s)
 * is garbage at that rate, and the heap grew by 60 MB between the collections the engine chose. A full
 * collection after every few MB read keeps the daemon near its idle size (measured: 108 → 69 MB peak
 * VmRSS, same throughput). It runs from a timer, never inside Bun's socket callback (a collection
 * forced there deadlocked the engine in one of our runs).
 */
const COLLECT_AFTER_BYTES = 4 << 20;
let readSinceCollect = 0;
let collectPending = false;

function countRead(bytes: number): void {
  readSinceCollect += bytes;
  if (readSinceCollect < COLLECT_AFTER_BYTES || collectPending) return;
  readSinceCollect = 0;
  collectPending = true;
  setTimeout(() => {
    collectPending = false;
    Bun.gc(true);
  }, 0);
}
// Bun.connect({fd}) exists at run time (decisions §3); its typings only list the tcp and unix forms.
const connectFd = Bun.connect as unknown as (options: FdSocketOptions<CaptureReader>) => Promise<ReaderSocket>;

// One handler table for every reader: Bun keeps per-socket state in `data`, so a captured worker costs
// a socket and this reader, not a closure set.
const HANDLERS: SocketHandler<CaptureReader> = {
  open(socket) {
    socket.data.opened(socket);
  },
  data(socket, chunk) {
    socket.data.received(socket, chunk);
  },
  end(socket) {
    socket.data.finish(null);
    socket.end();
  },
  close(socket, err) {
    socket.data.finish(err ?? null);
  },
  error(socket, err) {
    socket.data.finish(err);
  },
};

export class CaptureReader {
  /** Resolves once EOF was seen (or reading was cancelled) and everything read was handed to the stream and flushed. */
  readonly done: Promise<void>;
  /** True once EOF was seen (false after a cancel before EOF). */
  eof = false;
  /** Whole lines dropped because the stream stayed blocked past output_block_timeout. */
  readonly dropped = { lines: 0, bytes: 0 };
  private socket: ReaderSocket | null = null;
  private readonly splitter = new LineSplitter();
  private resolveDone!: () => void;
  private finished = false;
  /** Paused by backpressure (the stream is behind) and/or by the owner (hand-over). */
  private heldBack = false;
  private pausedByOwner = false;
  /** Past output_block_timeout: lines are dropped until the stream has caught up. */
  private dropping = false;
  private droppedSinceReport = 0;
  /** The partial line given up by handOver(), kept until the exec happens or takeBack() restores it. */
  private handedPending: Uint8Array | null = null;

  constructor(
    readonly fd: number,
    private readonly options: CaptureReaderOptions,
    /** An unterminated line a previous daemon image read from this fd before handing it over. */
    pending?: Uint8Array,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    if (pending && pending.length > 0) this.splitter.feed(pending, this.emitLines);
    connectFd({ fd, data: this, socket: HANDLERS }).catch((err: unknown) => {
      // Not a socket Bun can watch: nothing will be read from it.
      closeFd(fd);
      this.finish(err instanceof Error ? err : new Error(String(err)));
    });
  }

  get channel(): Channel {
    return this.options.channel;
  }

  get pid(): number {
    return this.options.pid;
  }

  /** Bytes of an unterminated line read but not passed on yet (handed over with the fd). */
  get pendingBytes(): number {
    return this.splitter.pendingBytes;
  }

  /** Send what is read from now on to `stream` and `tail` (stream options changed while the worker runs). */
  retarget(stream: OutputStream | null, tail: TailBuffer | null): void {
    this.options.stream = stream;
    this.options.tail = tail;
  }

  /** Stop reading without losing anything: unread output stays in the socket until resume(). */
  pause(): void {
    this.pausedByOwner = true;
    this.socket?.pause();
  }

  resume(): void {
    this.pausedByOwner = false;
    if (!this.heldBack) this.socket?.resume();
  }

  /**
   * A daemon upgrade: stop reading for good and give up the fd, left open for the next image, with the
   * unterminated line read so far. Nothing read is lost: unread bytes stay in the socket.
   */
  handOver(): { fd: number; pending: Uint8Array } {
    this.pause();
    this.handedPending = this.splitter.takePending();
    return { fd: this.fd, pending: this.handedPending };
  }

  /** The hand-over was called off (the exec failed): read on from where it stopped, nothing lost. */
  takeBack(): void {
    if (this.handedPending && this.handedPending.length > 0) this.splitter.feed(this.handedPending, this.emitLines);
    this.handedPending = null;
    this.resume();
  }

  /** Stop reading (a grandchild keeps the channel open after the worker died); what was read is still written. */
  async cancel(): Promise<void> {
    if (this.socket) this.socket.terminate();
    else if (!this.finished) this.finish(null);
    await this.done;
  }

  /** @internal Bun's open callback. */
  opened(socket: ReaderSocket): void {
    this.socket = socket;
    if (this.pausedByOwner || this.heldBack) socket.pause();
  }

  /** @internal Bun's data callback. */
  received(socket: ReaderSocket, chunk: Uint8Array): void {
    this.socket ??= socket;
    countRead(chunk.length);
    this.splitter.feed(chunk, this.emitLines);
    const stream = this.options.stream;
    if (stream && !this.dropping && !this.heldBack && stream.backlog > (this.options.highWater ?? HIGH_WATER)) {
      this.holdBack(stream);
    }
  }

  /** @internal EOF, close or error: pass on the rest, flush, resolve `done` (once). */
  finish(err: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    if (err === null) this.eof = true;
    else log.debug(`reading ${this.options.channel} of ${this.options.pid} stopped: ${err.message}`);
    const rest = this.splitter.end();
    if (rest) this.emit(rest);
    this.reportDropped();
    const flushed = this.options.stream?.flush() ?? Promise.resolve();
    void flushed.then(this.resolveDone, this.resolveDone);
  }

  /**
   * The stream is behind: stop reading (the worker then blocks on its write) until the stream has
   * written what it holds, but for no longer than output_block_timeout.
   */
  private holdBack(stream: OutputStream): void {
    this.heldBack = true;
    this.socket?.pause();
    const timeoutMs = this.options.blockTimeoutMs?.() ?? DEFAULT_BLOCK_TIMEOUT * 1000;
    const timer = setTimeout(() => {
      if (!this.heldBack) return;
      // The worker waited long enough: read on, dropping whole lines until the stream caught up.
      this.dropping = true;
      this.release();
    }, timerMs(timeoutMs));
    void stream.flush().then(() => {
      clearTimeout(timer);
      this.release();
      if (this.dropping) {
        this.dropping = false;
        this.reportDropped();
      }
    });
  }

  private release(): void {
    if (!this.heldBack) return;
    this.heldBack = false;
    if (!this.pausedByOwner && !this.finished) this.socket?.resume();
  }

  private readonly emitLines = (data: Uint8Array): void => this.emit(data);

  private emit(data: Uint8Array): void {
    const { pid, channel, stream, tail } = this.options;
    const now = Date.now();
    if (this.dropping) {
      const lines = countLines(data);
      this.dropped.lines += lines;
      this.dropped.bytes += data.length;
      this.droppedSinceReport += lines;
    } else {
      stream?.write({ data, pid, name: channel, timestamp: now / 1000 });
    }
    tail?.push(data, pid, channel, now);
  }

  private reportDropped(): void {
    if (this.droppedSinceReport === 0) return;
    const stream = this.options.stream;
    log.warning(
      `${this.droppedSinceReport} lines of ${this.options.channel} of process ${this.options.pid} dropped: ` +
        `${stream?.kind ?? "its stream"} took longer than output_block_timeout to write them`,
    );
    this.droppedSinceReport = 0;
  }
}
