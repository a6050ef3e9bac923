// SUB: tells publishers which topic prefixes it wants (in the form each peer's ZMTP version
// expects), replays them after every reconnect, and filters what arrives. It cannot send.

import type { Connection } from "./connection.ts";
import type { SocketType } from "./handshake.ts";
import { type Frame, ReceivingSocket, toBytes } from "./socket.ts";
import { Subscriptions } from "./subscriptions.ts";

export class SubSocket extends ReceivingSocket {
  protected readonly type: SocketType = "SUB";
  private readonly subs = new Subscriptions();

  /** Receive messages whose first frame starts with `prefix` ("" = everything). Counted. */
  subscribe(prefix: Frame): void {
    const p = toBytes(prefix);
    this.subs.add(p);
    for (const c of this.active) this.tell(c, p, true);
  }

  /** Undo one `subscribe(prefix)`. */
  unsubscribe(prefix: Frame): void {
    const p = toBytes(prefix);
    if (!this.subs.remove(p)) return;
    for (const c of this.active) this.tell(c, p, false);
  }

  private tell(conn: Connection, prefix: Uint8Array, on: boolean): void {
    if (conn.peerMinor >= 1) {
      conn.sendCommand(on ? "SUBSCRIBE" : "CANCEL", prefix);
      return;
    }
    const msg = new Uint8Array(prefix.length + 1);
    msg[0] = on ? 1 : 0;
    msg.set(prefix, 1);
    conn.send([msg]); // a full queue drops it, as libzmq does; the subscription is re-sent on reconnect
  }

  protected peerReady(conn: Connection): void {
    for (const p of this.subs.each()) this.tell(conn, p, true);
  }

  protected peerMessage(_conn: Connection, frames: Uint8Array[]): void {
    if (this.subs.matches(frames[0]!)) this.deliver(frames);
  }
}
