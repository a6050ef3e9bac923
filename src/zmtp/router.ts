// ROUTER: addresses each peer by routing id; received messages start with the sender's id.

import type { Connection } from "./connection.ts";
import { PeerUnreachableError, QueueFullError } from "./errors.ts";
import type { SocketType } from "./handshake.ts";
import type { PeerInfo } from "./monitor.ts";
import { type Frame, ReceivingSocket, type Sender, SENT, toBytes } from "./socket.ts";

function idKey(id: Uint8Array): string {
  let s = "";
  for (let i = 0; i < id.length; i++) s += String.fromCharCode(id[i]!);
  return s;
}

/** A routing id for messages: its text when printable, else hex (generated ids are binary). */
function describeId(id: Uint8Array): string {
  const printable = id.length > 0 && id.every((b) => b >= 0x20 && b < 0x7f);
  return printable ? `"${idKey(id)}"` : `0x${Array.from(id, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export class RouterSocket extends ReceivingSocket implements Sender {
  protected readonly type: SocketType = "ROUTER";
  private readonly byId = new Map<string, Connection>();
  // libzmq starts generated ids at a random counter so ids are unlikely to repeat across restarts.
  private counter = (Math.random() * 0x100000000) >>> 0;

  /**
   * Queue `[routingId, ...body]` for the peer with that routing id (the contract is Sender's): rejects
   * with PeerUnreachableError when no such peer is connected — libzmq would drop it silently; a
   * rejection lets the caller log it — and QueueFullError when that peer's queue is full.
   */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return this.rejectClosed();
    if (frames.length < 2) {
      return Promise.reject(new RangeError(`ROUTER send needs [routing id, ...body], got ${frames.length} frame(s)`));
    }
    const id = toBytes(frames[0]!);
    const conn = this.byId.get(idKey(id));
    if (!conn) return Promise.reject(new PeerUnreachableError(`no peer with routing id ${describeId(id)}`));
    const body: Uint8Array[] = new Array(frames.length - 1);
    for (let i = 1; i < frames.length; i++) body[i - 1] = toBytes(frames[i]!);
    return conn.send(body) ? SENT : Promise.reject(new QueueFullError(this.hwm));
  }

  /** The peer a received message came from (its routing id is the message's first frame), while it is connected. */
  peerOf(routingId: Uint8Array): PeerInfo | undefined {
    return this.byId.get(idKey(routingId))?.info;
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
