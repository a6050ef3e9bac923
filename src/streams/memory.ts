// In-memory streams: QueueStream (Circus's, entries kept for whoever reads them) and NullStream (discard).

import type { OutputEntry, OutputStream } from "./types.ts";

/** Every entry, unchanged, in arrival order; the reader takes them with `shift()` or `drain()`. */
export class QueueStream implements OutputStream {
  readonly kind = "QueueStream";
  readonly backlog = 0;
  private items: OutputEntry[] = [];
  private waiters: (() => void)[] = [];

  write(entry: OutputEntry): void {
    this.items.push(entry);
    for (const wake of this.waiters.splice(0)) wake();
  }

  get size(): number {
    return this.items.length;
  }

  shift(): OutputEntry | undefined {
    return this.items.shift();
  }

  /** Take everything queued. */
  drain(): OutputEntry[] {
    return this.items.splice(0);
  }

  /** Resolves when at least one entry is queued. */
  async next(): Promise<OutputEntry> {
    while (this.items.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.items.shift()!;
  }

  async flush(): Promise<void> {}
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Discards everything (beyond Circus, which has close_child_stdout for that). */
export class NullStream implements OutputStream {
  readonly kind = "NullStream";
  readonly backlog = 0;
  write(): void {}
  async flush(): Promise<void> {}
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}
