// ROUTER: addresses each peer by routing id; received messages start with the sender's id.

import type { Connection } from "./connection.ts";
import type { SocketType } from "./handshake.ts";
import { toBytes, ZmtpSocket, type Frame } from "./socket.ts";

function idKey(id: Uint8Array): string {
  let s = "";
  for (let i = 0; i < id.length; i++) s += String.fromCharCode(id[i]!);
  return s;
}

export class RouterSocket extends ZmtpSocket {
  protected readonly type: SocketType = "ROUTER";
  private readonly byId = new Map<string, Connection>();
  // libzmq starts generated ids at a random counter so ids are unlikely to repeat across restarts.
  private counter = (Math.random() * 0x100000000) >>> 0;

  /** Send `[routingId, ...body]`; false when the id is unknown (dropped silently) or its queue is full. */
  send(frames: readonly Frame[]): boolean {
    if (frames.length < 2) return false;
    const conn = this.byId.get(idKey(toBytes(frames[0]!)));
    if (!conn) return false;
    const body: Uint8Array[] = new Array(frames.length - 1);
    for (let i = 1; i < frames.length; i++) body[i - 1] = toBytes(frames[i]!);
    return conn.send(body);
  }

  protected peerReady(conn: Connection): void {
    let id = conn.peerIdentity;
    if (id.length === 0) {
      id = new Uint8Array(5);
      new DataView(id.buffer).setUint32(1, this.counter);
      this.counter = (this.counter + 1) >>> 0;
    }
    const key = idKey(id);
    if (this.byId.has(key)) {
      // Same rule as libzmq: the first peer keeps the identity, the newcomer is turned away.
      conn.close();
      return;
    }
    conn.routingId = id;
    this.byId.set(key, conn);
  }

  protected peerMessage(conn: Connection, frames: Uint8Array[]): void {
    if (conn.routingId.length === 0) return;
    frames.unshift(conn.routingId);
    this.deliver(frames);
  }

  protected override peerClosed(conn: Connection): void {
    const key = idKey(conn.routingId);
    if (this.byId.get(key) === conn) this.byId.delete(key);
  }
}
