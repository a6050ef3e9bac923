// The last N lines a watcher wrote (both channels, with pid and time), for `circus ctl logs [-f]`.
// Memory is bounded by bytes as well as lines: at most `maxBytes` of kept text (1 MiB by default,
// older lines go first) plus twice that of not-yet-decoded output; lines nobody will see are never
// decoded.

import { getLogger } from "../util/log.ts";
import type { Channel } from "./types.ts";

const log = getLogger("circus.streams");

const NL = 10;
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Longer lines are kept truncated (bytes) in the tail buffer; the stream still gets them whole. */
export const MAX_TAIL_LINE = 8192;
export const DEFAULT_TAIL_LINES = 1000;
/** Text kept per watcher at most, whatever tail_lines says: 50 watchers of 8 KB lines stay at 50 MiB. */
export const DEFAULT_TAIL_BYTES = 1 << 20;

export interface TailLine {
  pid: number;
  stream: Channel;
  /** Epoch milliseconds when the line was read. */
  time: number;
  /** Without its newline. */
  line: string;
}

export type TailListener = (line: TailLine) => void;

/** Lines after a cursor (`logs --since`, `logs -f`). */
export interface TailSince {
  lines: TailLine[];
  /** Pass back to get only what comes after these lines. */
  cursor: number;
  /** Lines between the cursor and the first returned one are gone (the writer outran the buffer). */
  truncated: boolean;
}

/** A tail buffer as plain data (JSON), handed to the next daemon image by an upgrade. */
export interface TailSnapshot {
  cursor: number;
  lines: TailLine[];
}

interface Segment {
  data: Uint8Array;
  pid: number;
  stream: Channel;
  time: number;
}

export class TailBuffer {
  private ring: (TailLine | undefined)[];
  private start = 0;
  private count = 0;
  /** Number of the newest line in the ring (lines are numbered from 1 as they enter it): the cursor. */
  private seq = 0;
  private readonly listeners = new Set<TailListener>();
  /** Output not decoded yet (whole pipe reads), at most `rawBudget` bytes before it is settled. */
  private raw: Segment[] = [];
  private rawBytes = 0;
  private readonly rawBudget: number;
  /** Characters of the lines in the ring (what `maxBytes` bounds). */
  private ringBytes = 0;

  constructor(
    readonly capacity: number = DEFAULT_TAIL_LINES,
    readonly maxBytes: number = DEFAULT_TAIL_BYTES,
  ) {
    this.ring = new Array(Math.max(0, capacity));
    this.rawBudget = 2 * maxBytes;
  }

  /** Characters of text kept (the lines in the ring), at most about `maxBytes`. */
  get bytes(): number {
    this.settle();
    return this.ringBytes;
  }

  get size(): number {
    this.settle();
    return this.count;
  }

  /** Record whole-line data read from one pipe (a final unterminated line counts as a line). */
  push(data: Uint8Array, pid: number, stream: Channel, time: number = Date.now()): void {
    if (data.length === 0 || (this.capacity === 0 && this.listeners.size === 0)) return;
    if (this.listeners.size > 0) {
      this.settle();
      this.decode({ data, pid, stream, time }, Infinity, (line) => this.add(line, true));
      return;
    }
    // Nobody follows live: keep the bytes and decode only the last `capacity` lines when needed, so
    // a fast writer costs a copy-free append here instead of a string per line.
    this.raw.push({ data, pid, stream, time });
    this.rawBytes += data.length;
    if (this.rawBytes > this.rawBudget) this.trim();
  }

  /**
   * Over budget: drop, undecoded, the raw output older than the newest `capacity` lines, and the ring
   * (older still). Lines are decoded only when someone asks for them.
   */
  private trim(): void {
    let need = this.capacity;
    let bytes = 0;
    for (let i = this.raw.length - 1; i >= 0; i--) {
      const seg = this.raw[i]!;
      const { from, lines } = lastLines(seg.data, need);
      need -= lines;
      bytes += seg.data.length - from;
      if (need > 0 && bytes < this.maxBytes) continue;
      if (i === 0 && from === 0) break;
      this.raw = this.raw.slice(i);
      // A copy, so the rest of the chunk this line came in can be freed.
      this.raw[0] = { ...seg, data: seg.data.slice(from) };
      this.rawBytes = this.raw.reduce((n, s) => n + s.data.length, 0);
      // The dropped lines' numbers are skipped, so a follower's cursor shows them as missed.
      this.seq += this.count + 1;
      this.ring.fill(undefined);
      this.start = 0;
      this.count = 0;
      this.ringBytes = 0;
      // Very long lines: what is left is still big, decode it rather than rescan on every push.
      if (this.rawBytes > this.rawBudget / 2) this.settle();
      return;
    }
    this.settle();
  }

  /** Decode the pending raw output into the ring (only the lines that can still be seen). */
  private settle(): void {
    if (this.raw.length === 0) return;
    const newest: TailLine[] = [];
    let skipped = false;
    let bytes = 0;
    for (let i = this.raw.length - 1; i >= 0 && newest.length < this.capacity && bytes < this.maxBytes; i--) {
      const seg = this.raw[i]!;
      const lines: TailLine[] = [];
      const from = this.decode(seg, this.capacity - newest.length, (line) => lines.push(line));
      for (const line of lines.reverse()) {
        if (bytes >= this.maxBytes) break;
        bytes += line.line.length;
        newest.push(line);
      }
      skipped = from > 0 || (i > 0 && (newest.length >= this.capacity || bytes >= this.maxBytes));
    }
    this.raw = [];
    this.rawBytes = 0;
    // Older lines never entered the ring: skip a number so a follower's cursor shows the gap.
    if (skipped) this.seq++;
    for (let i = newest.length - 1; i >= 0; i--) this.add(newest[i]!, false);
  }

  /** The last `max` lines of one segment, oldest first; returns where they start. */
  private decode(seg: Segment, max: number, emit: (line: TailLine) => void): number {
    const { data, pid, stream, time } = seg;
    let end = data.length;
    if (data[end - 1] === NL) end--;
    const from = Number.isFinite(max) ? lastLines(data, max).from : 0;
    let pos = from;
    while (pos <= end) {
      let nl = data.indexOf(NL, pos);
      if (nl < 0 || nl > end) nl = end;
      emit({ pid, stream, time, line: decoder.decode(data.subarray(pos, Math.min(nl, pos + MAX_TAIL_LINE))) });
      pos = nl + 1;
    }
    return from;
  }

  private add(line: TailLine, notify: boolean): void {
    this.seq++;
    if (this.capacity > 0) {
      if (this.count === this.capacity) this.dropOldest();
      this.ring[(this.start + this.count++) % this.capacity] = line;
      this.ringBytes += line.line.length;
      while (this.ringBytes > this.maxBytes && this.count > 1) this.dropOldest();
    }
    if (!notify) return;
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch (err) {
        // A broken follower must not stop output capture: it is dropped, once, with the reason.
        this.listeners.delete(listener);
        log.error(
          `a follower of ${line.stream} output failed and was dropped: ${(err as Error)?.message ?? String(err)}`,
        );
      }
    }
  }

  private dropOldest(): void {
    this.ringBytes -= this.ring[this.start]!.line.length;
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  /** The last `n` lines (all by default), oldest first, optionally of one channel only. */
  lines(n: number = this.capacity, stream?: Channel): TailLine[] {
    this.settle();
    const out: TailLine[] = [];
    for (let k = this.count - 1; k >= 0 && out.length < n; k--) {
      const line = this.ring[(this.start + k) % this.capacity]!;
      if (!stream || line.stream === stream) out.push(line);
    }
    return out.reverse();
  }

  /** Cursor of the newest line (0 before any output). */
  get cursor(): number {
    this.settle();
    return this.seq;
  }

  /**
   * Lines that arrived after `cursor` (at most `n`, the newest, optionally of one channel). A cursor from
   * another buffer (ahead of this one) counts as truncated and gives the last `n` lines.
   */
  since(cursor: number, n: number = this.capacity, stream?: Channel): TailSince {
    this.settle();
    const first = this.seq - this.count + 1;
    const from = cursor > this.seq ? first : Math.max(cursor + 1, first);
    const out: TailLine[] = [];
    for (let s = this.seq; s >= from && out.length < n; s--) {
      const line = this.ring[(this.start + (s - first)) % this.capacity]!;
      if (!stream || line.stream === stream) out.push(line);
    }
    const truncated = cursor > this.seq || cursor + 1 < first;
    return { lines: out.reverse(), cursor: this.seq, truncated };
  }

  /** Call `listener` for every new line until the returned function is called. */
  subscribe(listener: TailListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kept lines and the cursor, as plain data for a daemon upgrade. */
  snapshot(): TailSnapshot {
    const lines = this.lines();
    return { cursor: this.seq, lines };
  }

  /** Take the lines of a previous daemon image's buffer; followers' cursors stay valid. */
  restore(snapshot: TailSnapshot): void {
    this.clear();
    for (const line of snapshot.lines.slice(-Math.max(0, this.capacity))) this.add(line, false);
    this.seq = Math.max(this.seq, snapshot.cursor);
  }

  clear(): void {
    this.raw = [];
    this.rawBytes = 0;
    this.ring = new Array(Math.max(0, this.capacity));
    this.start = 0;
    this.count = 0;
    this.seq = 0;
    this.ringBytes = 0;
  }
}

/** Where the last `max` lines of whole-line data start, and how many lines that is (fewer when it has fewer). */
function lastLines(data: Uint8Array, max: number): { from: number; lines: number } {
  let i = data[data.length - 1] === NL ? data.length - 1 : data.length;
  let lines = 0;
  while (lines < max) {
    i = i > 0 ? data.lastIndexOf(NL, i - 1) : -1;
    lines++;
    if (i < 0) break;
  }
  return { from: i + 1, lines };
}
