// A connection's outgoing bytes: complete frames accumulate in a cork buffer until the end of the
// tick and go to the kernel in one write; whatever the kernel does not take waits for the drain
// callback. Messages in both places count against the high-water mark.

import type { Socket } from "bun";
import { type Deferred, deferred } from "../util/async.ts";

const CORK_INITIAL = 16 * 1024;
/** A corked batch this big is written at once rather than at the end of the tick. */
const CORK_FLUSH_AT = 64 * 1024;

export class Outbox {
  private cork = new Uint8Array(CORK_INITIAL);
  private corkLen = 0;
  private corkMsgs = 0;
  private pending: { buf: Uint8Array; msgs: number }[] = [];
  private pendingMsgs = 0;
  private flushScheduled = false;
  private closed = false;
  /** Settled once everything queued has reached the kernel (close with linger waits on it). */
  private drained: Deferred<void> | undefined;
  private readonly flushBound = () => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(private readonly socket: Socket<unknown>) {}

  /** Messages waiting in user space. */
  get queued(): number {
    return this.corkMsgs + this.pendingMsgs;
  }

  /** The buffer `reserve` hands out offsets into (valid until the next `reserve`). */
  get buffer(): Uint8Array {
    return this.cork;
  }

  /** Make room for `size` bytes; returns the offset in `buffer` to write them at, then call `commit`. */
  reserve(size: number): number {
    const need = this.corkLen + size;
    if (need > this.cork.length) {
      const grown = new Uint8Array(Math.max(need, this.cork.length * 2));
      grown.set(this.cork.subarray(0, this.corkLen));
      this.cork = grown;
    }
    return this.corkLen;
  }

  /** The bytes up to `end` are written; `message` counts them against the HWM (commands do not). */
  commit(end: number, message: boolean): void {
    if (this.closed) return;
    this.corkLen = end;
    if (message) this.corkMsgs++;
    if (this.corkLen >= CORK_FLUSH_AT) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  /** Write `bytes` now (greeting, handshake commands), in order after anything already pending. */
  writeNow(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.pending.length > 0) {
      this.pending.push({ buf: bytes, msgs: 0 });
      return;
    }
    const n = this.socket.write(bytes);
    if (n >= 0 && n < bytes.length) this.pending.push({ buf: bytes.subarray(n), msgs: 0 });
  }

  /** Write the corked batch in one syscall; the unwritten tail waits for drain. */
  flush(): void {
    if (this.closed) return;
    if (this.corkLen > 0 && this.pending.length === 0) {
      const len = this.corkLen;
      const n = this.socket.write(this.cork, 0, len);
      if (n >= 0 && n < len) {
        this.pending.push({ buf: this.cork.slice(n, len), msgs: this.corkMsgs });
        this.pendingMsgs += this.corkMsgs;
      }
      this.corkLen = 0;
      this.corkMsgs = 0;
      // Do not keep a huge buffer around after one big message.
      if (this.cork.length > 1024 * 1024) this.cork = new Uint8Array(CORK_INITIAL);
    }
    if (this.drained && this.isEmpty()) {
      this.drained.resolve();
      this.drained = undefined;
    }
  }

  /** The socket can take more: write what waited, then the cork. */
  handleDrain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = this.socket.write(head.buf);
      if (n < 0) return;
      if (n < head.buf.length) {
        head.buf = head.buf.subarray(n);
        return;
      }
      this.pending.shift();
      this.pendingMsgs -= head.msgs;
    }
    this.flush();
  }

  /** Resolves once everything queued has reached the kernel (or the outbox is discarded). */
  whenDrained(): Promise<void> {
    this.flush();
    if (this.closed || this.isEmpty()) return Promise.resolve();
    this.drained ??= deferred();
    return this.drained.promise;
  }

  /** Drop everything queued (LINGER 0); later writes are ignored. */
  discard(): void {
    this.closed = true;
    this.pending = [];
    this.pendingMsgs = 0;
    this.corkLen = 0;
    this.corkMsgs = 0;
    this.drained?.resolve();
    this.drained = undefined;
  }

  private isEmpty(): boolean {
    return this.pending.length === 0 && this.corkLen === 0;
  }
}
