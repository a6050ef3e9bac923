// The ordered write queue behind every fd-backed stream: data and control operations (rotate, reopen)
// run strictly in the order they were queued, data is written in large writev batches off the caller's
// path, and a failing write is reported and dropped so the queue always keeps draining.

import { delay } from "../util/async.ts";
import { nodeFs } from "../util/node.ts";
import { getLogger } from "../util/log.ts";

const log = getLogger("circus.streams");

const IOV_MAX = 512;
const BATCH_BYTES = 8 << 20;
/**
 * A non-blocking fd that is full (EAGAIN) is retried after this pause: node:fs offers no "writable"
 * event for a raw fd, and a blocking write would tie up a thread-pool thread for as long as the reader stalls.
 */
const EAGAIN_RETRY_MS = 5;

type Item = Uint8Array | (() => void | Promise<void>);

/** Writes one batch to the current target; must not throw (report failures instead). */
export type BatchWriter = (batch: Uint8Array[], bytes: number) => Promise<void>;

export class WriteQueue {
  private items: (Item | undefined)[] = [];
  private head = 0;
  private pumping: Promise<void> | null = null;
  /** Bytes queued and not yet written. */
  backlog = 0;

  constructor(private readonly writeBatch: BatchWriter) {}

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.items.push(data);
    this.backlog += data.length;
    this.kick();
  }

  /** Queue an operation that runs after everything queued before it has been written. */
  run(op: () => void | Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      this.items.push(async () => {
        try {
          await op();
        } catch (err) {
          log.error(`stream operation failed: ${(err as Error).message}`);
        }
        resolve();
      });
      this.kick();
    });
  }

  /** Resolves once everything queued before this call is written, even while more keeps arriving. */
  barrier(): Promise<void> {
    return this.pumping ? this.run(() => {}) : Promise.resolve();
  }

  /** Resolves when the queue is empty (use after writes have stopped, e.g. in close). */
  idle(): Promise<void> {
    return this.pumping ?? Promise.resolve();
  }

  private kick(): void {
    if (!this.pumping) this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    // Always yield first, so `pumping` is assigned before the loop can finish and clear it.
    await null;
    while (this.head < this.items.length) {
      const first = this.items[this.head]!;
      if (typeof first === "function") {
        this.items[this.head++] = undefined;
        await first();
        continue;
      }
      const batch: Uint8Array[] = [];
      let bytes = 0;
      while (this.head < this.items.length && batch.length < IOV_MAX && bytes < BATCH_BYTES) {
        const item = this.items[this.head]!;
        if (typeof item === "function") break;
        batch.push(item);
        bytes += item.length;
        this.items[this.head++] = undefined;
      }
      await this.writeBatch(batch, bytes);
      this.backlog -= bytes;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
    this.items = [];
    this.head = 0;
    this.pumping = null;
  }
}

/** Write every byte of `batch` to `fd`, following short writes and waiting out EAGAIN on non-blocking fds. */
export async function writeAll(fd: number, batch: Uint8Array[], bytes: number): Promise<void> {
  let rest = batch;
  let left = bytes;
  while (left > 0) {
    let written: number;
    try {
      written = await writevAsync(fd, rest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
        await delay(EAGAIN_RETRY_MS);
        continue;
      }
      throw err;
    }
    left -= written;
    if (left > 0) rest = skip(rest, written);
  }
}

function writevAsync(fd: number, buffers: Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    nodeFs().writev(fd, buffers as NodeJS.ArrayBufferView[], (err, written) => (err ? reject(err) : resolve(written)));
  });
}

function skip(buffers: Uint8Array[], count: number): Uint8Array[] {
  let i = 0;
  while (count >= buffers[i]!.length) count -= buffers[i++]!.length;
  const out = buffers.slice(i);
  out[0] = out[0]!.subarray(count);
  return out;
}

/**
 * Logs write failures without flooding: the first at once, later ones at most every `intervalMs`, with
 * how many failures and bytes were dropped in between.
 */
export class ErrorReporter {
  private lastLog = -Infinity;
  private failures = 0;
  private dropped = 0;

  constructor(
    private readonly what: string,
    private readonly intervalMs = 10_000,
  ) {}

  report(err: unknown, droppedBytes: number): void {
    this.failures++;
    this.dropped += droppedBytes;
    const now = Date.now();
    if (now - this.lastLog < this.intervalMs) return;
    const message = err instanceof Error ? err.message : String(err);
    const extra =
      this.failures > 1
        ? ` (${this.failures} failed writes, ${this.dropped} bytes dropped since the last report)`
        : ` (${droppedBytes} bytes dropped)`;
    log.error(`cannot write ${this.what}: ${message}${extra}`);
    this.lastLog = now;
    this.failures = 0;
    this.dropped = 0;
  }
}
