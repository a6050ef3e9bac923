// DEALER: round-robins outgoing messages over peers, queueing them while none is connected.

import type { Connection } from "./connection.ts";
import type { SocketType } from "./handshake.ts";
import { toBytes, ZmtpSocket, type Frame } from "./socket.ts";

export class DealerSocket extends ZmtpSocket {
  protected readonly type: SocketType = "DEALER";
  private readonly outbox: Uint8Array[][] = [];
  private next = 0;

  /** Send a message; false when every peer's queue (or the offline queue) is full. */
  send(frames: readonly Frame[]): boolean {
    if (this.closed) return false;
    const msg = frames.map(toBytes);
    const n = this.active.length;
    for (let tries = 0; tries < n; tries++) {
      const conn = this.active[this.next++ % n]!;
      if (conn.send(msg)) return true;
    }
    if (n > 0 || this.outbox.length >= this.hwm) return false;
    this.outbox.push(msg);
    return true;
  }

  protected peerReady(conn: Connection): void {
    while (this.outbox.length > 0 && conn.send(this.outbox[0]!)) this.outbox.shift();
  }

  protected peerMessage(_conn: Connection, frames: Uint8Array[]): void {
    this.deliver(frames);
  }
}
