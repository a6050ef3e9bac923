// The ordered write queue behind every fd-backed stream: data and control operations (rotate, reopen)
// run strictly in the order they were queued, data is written in large writev batches off the caller's
// path, and the queue always keeps draining. A line is written whole or not at all: when a write fails
// part-way through a line (ENOSPC, EPIPE…) or the target stops taking data for `stallMs` (a daemon
// stdout nobody reads), the rest of that one line is kept and written first once the target takes data
// again, and every other line is dropped whole and counted.

import { timerMs } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import { nodeFs } from "../util/node.ts";

const log = getLogger("circus.streams");

const IOV_MAX = 512;
const BATCH_BYTES = 8 << 20;
const NL = 10;
/** A full non-blocking target (EAGAIN) is tried again after this pause. */
const AGAIN_RETRY_MS = 5;
/** How long a target may take no data at all before queued lines are dropped (decisions §3). */
export const DEFAULT_STALL_MS = 5000;

type Operation = (() => void | Promise<void>) & { barrier?: () => void };
type Item = Uint8Array | Operation;

/** Returned by a target that is full for now (a non-blocking fd's EAGAIN). */
export const AGAIN = -1;

/**
 * Writes some of `batch` to the current target: resolves with the bytes written (fewer than asked is
 * fine) or AGAIN, rejects when the target failed (the error is reported and the lines dropped).
 */
export type BatchWriter = (batch: Uint8Array[], bytes: number) => Promise<number> | number;

export interface WriteQueueOptions {
  /** What the queue writes to, for messages ("/var/log/app.log", "to stdout"). */
  what: string;
  /** No progress for this long (EAGAIN, or a write that does not return) drops what is queued. */
  stallMs?: number;
}

export class WriteQueue {
  private items: (Item | undefined)[] = [];
  private head = 0;
  private pumping: Promise<void> | null = null;
  /** Bytes queued and not yet written. */
  backlog = 0;
  /** The rest of a line a failed or stalled write left unfinished: written before anything else. */
  private debt: Uint8Array | null = null;
  /** Set while the target takes nothing: new lines are dropped instead of waiting. */
  private stalledSince: number | null = null;
  /** A write that has not returned for stallMs is still in flight: nothing can be written after it. */
  private stuckWrite = false;
  /** The last write failed or stalled: the next one that works says so in the log. */
  private failing = false;
  private readonly reporter: ErrorReporter;
  private stallMs: number;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly writeBatch: BatchWriter,
    options: WriteQueueOptions,
  ) {
    this.reporter = new ErrorReporter(options.what);
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  }

  /** A user of a shared queue waits at most `ms` (its output_block_timeout): the shortest wins. */
  limitStall(ms: number): void {
    this.stallMs = Math.min(this.stallMs, ms);
  }

  /** Lines dropped so far (for tests and diagnostics), whole lines only. */
  get dropped(): { lines: number; bytes: number } {
    return this.reporter.total;
  }

  /** True while the target takes no data and new lines are dropped. */
  get stalled(): boolean {
    return this.stalledSince !== null;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.stuckWrite) {
      // A write is stuck in flight; nothing can go after it until it returns.
      this.reporter.drop(data);
      return;
    }
    this.items.push(data);
    this.backlog += data.length;
    this.kick();
  }

  /** Queue an operation that runs after everything queued before it has been written (or dropped). */
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

  /**
   * Resolves once everything queued before this call is written or dropped, even while more keeps
   * arriving. A stalled target does not hold it up: what it could not take is dropped.
   */
  barrier(): Promise<void> {
    if (!this.pumping || this.stuckWrite) return Promise.resolve();
    return new Promise((resolve) => {
      const op: Operation = () => resolve();
      op.barrier = () => resolve();
      this.items.push(op);
    });
  }

  /** Resolves when the queue is empty or stuck on a write (use after writes have stopped, e.g. in close). */
  idle(): Promise<void> {
    if (!this.pumping || this.stuckWrite) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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
      await this.writeLines(batch, bytes);
      this.backlog -= bytes;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
    this.items = [];
    this.head = 0;
    this.pumping = null;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Write a batch of whole lines: all of it, or whole lines dropped with at most one line's rest kept. */
  private async writeLines(batch: Uint8Array[], bytes: number): Promise<void> {
    let rest = this.debt ? [this.debt, ...batch] : batch;
    let left = bytes + (this.debt?.length ?? 0);
    // True while the target holds the start of a line whose end is still in `rest`.
    let lineOpen = this.debt !== null;
    let progressAt = Date.now();
    while (left > 0) {
      let written: number;
      try {
        written = await this.attempt(rest, left);
      } catch (err) {
        this.fail(rest, lineOpen, err);
        return;
      }
      if (written === AGAIN) {
        if (this.stalledSince !== null || Date.now() - progressAt >= this.stallMs) {
          this.stalledSince ??= Date.now();
          this.fail(rest, lineOpen, new StallError(this.stallMs));
          // What is queued behind this batch would wait on the same full target: drop it too.
          this.dropQueued();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, AGAIN_RETRY_MS));
        continue;
      }
      if (written <= 0) continue;
      progressAt = Date.now();
      left -= written;
      if (left <= 0) break;
      lineOpen = byteAt(rest, written - 1) !== NL;
      rest = skip(rest, written);
    }
    this.debt = null;
    if (this.failing) this.reporter.recovered();
    this.failing = false;
    this.stalledSince = null;
  }

  /**
   * One writeBatch call, with a write that does not return within `stallMs` (a blocking fd nobody
   * drains) turned into a stall: the queue stops waiting for it and drops what comes next.
   */
  private async attempt(rest: Uint8Array[], left: number): Promise<number> {
    const pending = this.writeBatch(rest, left);
    if (typeof pending === "number") return pending;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stalled = new Promise<"stalled">((resolve) => {
      timer = setTimeout(() => resolve("stalled"), timerMs(this.stallMs));
    });
    const outcome = await Promise.race([pending, stalled]);
    if (timer !== null) clearTimeout(timer);
    if (outcome !== "stalled") return outcome;
    this.stalledSince = Date.now();
    this.stuckWrite = true;
    this.failing = true;
    this.reporter.report(new StallError(this.stallMs));
    this.dropQueued();
    for (const wake of this.idleWaiters.splice(0)) wake();
    // The write still owns its bytes and finishes them whenever the target drains.
    try {
      return await pending;
    } finally {
      this.stuckWrite = false;
    }
  }

  /** The write failed with `rest` unwritten: keep the end of a line cut in two, drop the other lines whole. */
  private fail(rest: Uint8Array[], lineOpen: boolean, err: unknown): void {
    this.failing = true;
    let dropped = rest;
    this.debt = null;
    if (lineOpen) {
      const split = splitFirstLine(rest);
      this.debt = split.line.slice();
      dropped = split.others;
    }
    for (const part of dropped) this.reporter.drop(part);
    this.reporter.report(err);
  }

  /** Log a failure around the writes (a file that cannot be reopened), rate-limited with the others. */
  report(err: unknown): void {
    this.reporter.report(err);
  }

  /** Count `data` as dropped without queueing it (a closed stream), logging `err`. */
  reject(data: Uint8Array, err: unknown): void {
    this.reporter.drop(data);
    this.reporter.report(err);
  }

  private dropQueued(): void {
    const kept: (Item | undefined)[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item instanceof Uint8Array) {
        this.reporter.drop(item);
        this.backlog -= item.length;
      } else if (item?.barrier) {
        // Whoever waits for what was queued before this point need not wait for a stuck target.
        item.barrier();
      } else if (item !== undefined) {
        kept.push(item);
      }
    }
    this.items = kept;
    this.head = 0;
  }
}

/** The target took no data for `ms`. */
export class StallError extends Error {
  override name = "StallError";
  constructor(readonly ms: number) {
    super(`nothing could be written for ${ms / 1000} s (nobody reads it?)`);
  }
}

/** The byte at offset `at` of the concatenation of `parts`. */
function byteAt(parts: Uint8Array[], at: number): number | undefined {
  for (const part of parts) {
    if (at < part.length) return part[at];
    at -= part.length;
  }
  return undefined;
}

/** The first line of `parts` (up to and including its newline) and the parts after it. */
function splitFirstLine(parts: Uint8Array[]): { line: Uint8Array; others: Uint8Array[] } {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const nl = part.indexOf(NL);
    if (nl < 0) {
      pieces.push(part);
      continue;
    }
    pieces.push(part.subarray(0, nl + 1));
    const tail = part.subarray(nl + 1);
    const others = tail.length > 0 ? [tail, ...parts.slice(i + 1)] : parts.slice(i + 1);
    return { line: join(pieces), others };
  }
  return { line: join(pieces), others: [] };
}

function join(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function skip(buffers: Uint8Array[], count: number): Uint8Array[] {
  let i = 0;
  while (count >= buffers[i]!.length) count -= buffers[i++]!.length;
  const out = buffers.slice(i);
  out[0] = out[0]!.subarray(count);
  return out;
}

/** Lines in `data`: its newlines, plus one for an unterminated end. */
export function countLines(data: Uint8Array): number {
  let lines = 0;
  for (let at = data.indexOf(NL); at >= 0; at = data.indexOf(NL, at + 1)) lines++;
  return data.length > 0 && data[data.length - 1] !== NL ? lines + 1 : lines;
}

/**
 * Counts what could not be written and logs it without flooding: the first failure at once, later
 * ones at most every `intervalMs`, each with the whole lines dropped since the last report, and once
 * more when writing works again.
 */
export class ErrorReporter {
  private lastLog = -Infinity;
  private droppedLines = 0;
  private droppedBytes = 0;
  private lastReason = "";
  readonly total = { lines: 0, bytes: 0 };

  constructor(
    private readonly what: string,
    private readonly intervalMs = 10_000,
  ) {}

  /** Count `data` as dropped (whole lines). */
  drop(data: Uint8Array): void {
    const lines = countLines(data);
    this.droppedLines += lines;
    this.droppedBytes += data.length;
    this.total.lines += lines;
    this.total.bytes += data.length;
  }

  /** A failed write (its lines already counted with `drop`). */
  report(err: unknown): void {
    this.lastReason = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    if (now - this.lastLog < this.intervalMs) return;
    this.log(`cannot write ${this.what}: ${this.lastReason}`);
    this.lastLog = now;
  }

  /** Writing works again: say so, with what was lost since the last report. */
  recovered(): void {
    this.log(`writing ${this.what} works again (last failure: ${this.lastReason})`);
    this.lastLog = -Infinity;
  }

  private log(message: string): void {
    const dropped = this.droppedLines > 0 ? `; ${this.droppedLines} lines (${this.droppedBytes} bytes) dropped` : "";
    log.error(`${message}${dropped}`);
    this.droppedLines = 0;
    this.droppedBytes = 0;
  }
}

/** One writev through the runtime's thread pool (for files, whose writes may wait on the disk). */
export function writevAsync(fd: number, buffers: Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    nodeFs().writev(fd, buffers as NodeJS.ArrayBufferView[], (err, written) => (err ? reject(err) : resolve(written)));
  });
}
