// SUB: tells publishers which topic prefixes it wants (in the form each peer's ZMTP version
// expects), replays them after every reconnect, and filters what arrives. It cannot send.

import type { Connection } from "./connection.ts";
import type { Command } from "./frames.ts";
import type { SocketType } from "./handshake.ts";
import { type Frame, ReceivingSocket, toBytes } from "./socket.ts";
import { Subscriptions } from "./subscriptions.ts";

export class SubSocket extends ReceivingSocket {
  protected readonly type: SocketType = "SUB";
  private readonly subs = new Subscriptions();
  /** The PING context each connection's publisher has yet to answer (see `subscribed`). */
  private readonly unconfirmed = new Map<Connection, Uint8Array>();
  private confirmed = false;
  private readonly whenConfirmed = Promise.withResolvers<void>();

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

  /**
   * Resolves once a publisher has read the subscriptions this socket had when it connected, so that what
   * it publishes from then on reaches us (PUB/SUB's "slow joiner"). A PING follows the subscriptions on
   * the connection and the peer reads its connection in order: its PONG proves they were read. Our PUB
   * applies them as it reads them; libzmq's answers the PING from its I/O thread and applies them in the
   * socket's own thread a moment later, so against libzmq this narrows the window but cannot close it. A
   * ZMTP 3.0 peer has no PING; for it the handshake is all there is to wait for.
   */
  subscribed(): Promise<void> {
    return this.whenConfirmed.promise;
  }

  protected peerReady(conn: Connection): void {
    for (const p of this.subs.each()) this.tell(conn, p, true);
    if (this.confirmed) return;
    if (conn.peerMinor < 1) {
      this.confirm();
      return;
    }
    const context = crypto.getRandomValues(new Uint8Array(8));
    this.unconfirmed.set(conn, context);
    const ping = new Uint8Array(2 + context.length); // TTL 0: the peer need not time us out
    ping.set(context, 2);
    conn.sendCommand("PING", ping);
  }

  protected override peerCommand(conn: Connection, cmd: Command): void {
    if (cmd.name !== "PONG") return;
    const context = this.unconfirmed.get(conn);
    if (context === undefined || cmd.data.length !== context.length) return;
    if (!context.every((byte, i) => cmd.data[i] === byte)) return;
    this.unconfirmed.delete(conn);
    this.confirm();
  }

  protected override peerClosed(conn: Connection): void {
    this.unconfirmed.delete(conn);
  }

  private confirm(): void {
    this.confirmed = true;
    this.unconfirmed.clear();
    this.whenConfirmed.resolve();
  }

  protected peerMessage(_conn: Connection, frames: Uint8Array[]): void {
    if (this.subs.matches(frames[0]!)) this.deliver(frames);
  }
}
