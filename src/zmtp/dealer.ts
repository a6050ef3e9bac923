// DEALER: round-robins outgoing messages over peers, queueing them while none is connected.

import type { Connection } from "./connection.ts";
import { QueueFullError } from "./errors.ts";
import type { SocketType } from "./handshake.ts";
import { type Frame, ReceivingSocket, type Sender, SENT, toBytes } from "./socket.ts";

export class DealerSocket extends ReceivingSocket implements Sender {
  protected readonly type: SocketType = "DEALER";
  private readonly outbox: Uint8Array[][] = [];
  private next = 0;

  /**
   * Queue a message (the contract is Sender's): to the next connected peer in turn that has room; while
   * no peer is connected, to an offline queue (up to `hwm`) that the first peer to connect receives.
   */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return this.rejectClosed();
    if (frames.length === 0) return Promise.reject(new RangeError("a message needs at least one frame"));
    const msg = frames.map(toBytes);
    const n = this.active.length;
    for (let tries = 0; tries < n; tries++) {
      const conn = this.active[this.next++ % n]!;
      if (conn.send(msg)) return SENT;
    }
    if (n > 0 || this.outbox.length >= this.hwm) return Promise.reject(new QueueFullError(this.hwm));
    this.outbox.push(msg);
    return SENT;
  }

  protected peerReady(conn: Connection): void {
    while (this.outbox.length > 0 && conn.send(this.outbox[0]!)) this.outbox.shift();
  }

  protected peerMessage(_conn: Connection, frames: Uint8Array[]): void {
    this.deliver(frames);
  }
}
