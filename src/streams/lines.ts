// Turns a pipe's arbitrary chunks into whole lines, one splitter per (pid, channel), so rotation,
// prefixes and shared files never cut a line in two.

const NL = 10;

/** A line longer than this is passed on in pieces, so one runaway writer cannot exhaust memory. */
export const MAX_PENDING_LINE = 1 << 20;

export class LineSplitter {
  private pending: Uint8Array | null = null;

  constructor(private readonly maxLine: number = MAX_PENDING_LINE) {}

  /** Bytes held back waiting for their newline. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  /** Give up the unterminated line read so far (a daemon upgrade carries it to the next image). */
  takePending(): Uint8Array {
    const rest = this.pending ?? new Uint8Array(0);
    this.pending = null;
    return rest;
  }

  /** Feed a chunk; returns the complete lines it finishes (ending in "\n"), or null when none. */
  push(chunk: Uint8Array): Uint8Array | null {
    if (chunk.length === 0) return null;
    const last = chunk.lastIndexOf(NL);
    if (last < 0) {
      this.pending = this.pending ? concat(this.pending, chunk) : chunk.slice();
      if (this.pending.length < this.maxLine) return null;
      const overlong = this.pending;
      this.pending = null;
      return overlong;
    }
    const head = chunk.subarray(0, last + 1);
    const out = this.pending ? concat(this.pending, head) : head;
    this.pending = last + 1 < chunk.length ? chunk.slice(last + 1) : null;
    return out;
  }

  /**
   * Like push, but a chunk that completes a held-back line is not copied: that one line goes out on
   * its own (pending + its end), the chunk's other whole lines as a view. `emit` gets 0–2 pieces.
   */
  feed(chunk: Uint8Array, emit: (lines: Uint8Array) => void): void {
    if (this.pending && chunk.length > 0) {
      const first = chunk.indexOf(NL);
      if (first >= 0 && first + 1 < chunk.length) {
        emit(concat(this.pending, chunk.subarray(0, first + 1)));
        this.pending = null;
        chunk = chunk.subarray(first + 1);
      }
    }
    const lines = this.push(chunk);
    if (lines) emit(lines);
  }

  /** The unterminated rest at EOF, or null. */
  end(): Uint8Array | null {
    const rest = this.pending;
    this.pending = null;
    return rest;
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Split whole-line data into strings without their newlines (a trailing "\n" does not add an empty line). */
export function splitLines(text: string): string[] {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return body.split("\n");
}
