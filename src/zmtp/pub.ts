// PUB: sends each message to the peers whose subscriptions prefix its first frame; never blocks,
// drops for a subscriber whose queue is at the high-water mark.

import type { Connection } from "./connection.ts";
import { encodeMessage, type Command } from "./frames.ts";
import type { SocketType } from "./handshake.ts";
import { toBytes, ZmtpSocket, type Frame } from "./socket.ts";
import { Subscriptions } from "./subscriptions.ts";

export class PubSocket extends ZmtpSocket {
  protected readonly type: SocketType = "PUB";
  private readonly subs = new Map<Connection, Subscriptions>();

  /** Publish; returns how many subscribers the message was queued for (0 is not an error). */
  send(frames: readonly Frame[]): number {
    if (this.closed || frames.length === 0) return 0;
    const msg = frames.map(toBytes);
    const topic = msg[0]!;
    let encoded: Uint8Array | undefined;
    let sent = 0;
    for (const conn of this.active) {
      if (!this.subs.get(conn)?.matches(topic)) continue;
      encoded ??= encodeMessage(msg);
      if (conn.sendEncoded(encoded)) sent++;
    }
    return sent;
  }

  protected peerReady(conn: Connection): void {
    this.subs.set(conn, new Subscriptions());
  }

  /** ZMTP 3.0 subscribers send subscriptions as messages: 0x01 + prefix, or 0x00 + prefix to cancel. */
  protected peerMessage(conn: Connection, frames: Uint8Array[]): void {
    const f = frames[0];
    if (frames.length !== 1 || !f || f.length === 0) return;
    if (f[0] === 1) this.subs.get(conn)?.add(f.subarray(1));
    else if (f[0] === 0) this.subs.get(conn)?.remove(f.subarray(1));
  }

  /** ZMTP 3.1 subscribers send SUBSCRIBE / CANCEL commands. */
  protected override peerCommand(conn: Connection, cmd: Command): void {
    if (cmd.name === "SUBSCRIBE") this.subs.get(conn)?.add(cmd.data);
    else if (cmd.name === "CANCEL") this.subs.get(conn)?.remove(cmd.data);
  }

  protected override peerClosed(conn: Connection): void {
    this.subs.delete(conn);
  }
}
