// The last N lines a watcher wrote (both channels, with pid and time), for `circus ctl logs [-f]`.
// Memory is bounded by lines × MAX_TAIL_LINE; lines nobody will see are never decoded.

import type { Channel } from "./types.ts";

const NL = 10;
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Longer lines are kept truncated (bytes) in the tail buffer; the stream still gets them whole. */
export const MAX_TAIL_LINE = 8192;
export const DEFAULT_TAIL_LINES = 1000;

export interface TailLine {
  pid: number;
  stream: Channel;
  /** Epoch milliseconds when the line was read. */
  time: number;
  /** Without its newline. */
  line: string;
}

export type TailListener = (line: TailLine) => void;

export class TailBuffer {
  private ring: (TailLine | undefined)[];
  private start = 0;
  private count = 0;
  private readonly listeners = new Set<TailListener>();

  constructor(readonly capacity: number = DEFAULT_TAIL_LINES) {
    this.ring = new Array(Math.max(0, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Record whole-line data read from one pipe (a final unterminated line counts as a line). */
  push(data: Uint8Array, pid: number, stream: Channel, time: number = Date.now()): void {
    let end = data.length;
    if (end > 0 && data[end - 1] === NL) end--;
    if (data.length === 0) return;
    // Without listeners only the last `capacity` lines can ever be seen: skip decoding the rest.
    let from = 0;
    if (this.listeners.size === 0) {
      if (this.capacity === 0) return;
      let i = end;
      for (let seen = 0; seen < this.capacity; seen++) {
        i = i > 0 ? data.lastIndexOf(NL, i - 1) : -1;
        if (i < 0) break;
      }
      from = i + 1;
    }
    let pos = from;
    while (pos <= end) {
      let nl = data.indexOf(NL, pos);
      if (nl < 0 || nl > end) nl = end;
      const bytes = data.subarray(pos, Math.min(nl, pos + MAX_TAIL_LINE));
      this.add({ pid, stream, time, line: decoder.decode(bytes) });
      pos = nl + 1;
    }
  }

  private add(line: TailLine): void {
    if (this.capacity > 0) {
      if (this.count < this.capacity) {
        this.ring[(this.start + this.count++) % this.capacity] = line;
      } else {
        this.ring[this.start] = line;
        this.start = (this.start + 1) % this.capacity;
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        // A broken follower must not stop output capture.
      }
    }
  }

  /** The last `n` lines (all by default), oldest first, optionally of one channel only. */
  lines(n: number = this.capacity, stream?: Channel): TailLine[] {
    const out: TailLine[] = [];
    for (let k = this.count - 1; k >= 0 && out.length < n; k--) {
      const line = this.ring[(this.start + k) % this.capacity]!;
      if (!stream || line.stream === stream) out.push(line);
    }
    return out.reverse();
  }

  /** Call `listener` for every new line until the returned function is called. */
  subscribe(listener: TailListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.ring = new Array(Math.max(0, this.capacity));
    this.start = 0;
    this.count = 0;
  }
}
