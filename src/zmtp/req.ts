// REQ: one request at a time, each prefixed with an empty delimiter frame; replies have it stripped.
// `request()` adds a timeout after which a new request may be sent (like ZMQ_REQ_RELAXED).

import { deadline } from "../util/async.ts";
import type { Connection } from "./connection.ts";
import { SocketStateError, ZmtpTimeoutError } from "./errors.ts";
import type { SocketType } from "./handshake.ts";
import { toBytes, ZmtpSocket, type Frame } from "./socket.ts";

const DELIMITER = new Uint8Array(0);

export class ReqSocket extends ZmtpSocket {
  protected readonly type: SocketType = "REQ";
  /** Peer the outstanding request went to; null = none outstanding; "queued" = not yet sent. */
  private expecting: Connection | null | "queued" = null;
  private queued: Uint8Array[] | undefined;
  private next = 0;
  private replyWaiter: ((frames: Uint8Array[]) => void) | undefined;

  /** Send a request; throws SocketStateError if the previous one has not been answered. */
  send(frames: readonly Frame[]): boolean {
    if (this.closed) return false;
    if (this.expecting !== null)
      throw new SocketStateError("REQ socket must receive the reply before sending another request");
    const msg = [DELIMITER, ...frames.map(toBytes)];
    const n = this.active.length;
    for (let tries = 0; tries < n; tries++) {
      const conn = this.active[this.next++ % n]!;
      if (conn.send(msg)) {
        this.expecting = conn;
        return true;
      }
    }
    if (n > 0) return false;
    this.queued = msg;
    this.expecting = "queued";
    return true;
  }

  /** Send `frames` and resolve with the reply; rejects with ZmtpTimeoutError after `timeoutMs`. */
  request(frames: readonly Frame[], timeoutMs = 5000): Promise<Uint8Array[]> {
    this.send(frames);
    const reply = new Promise<Uint8Array[]>((resolve) => {
      this.replyWaiter = resolve;
    });
    return deadline(reply, timeoutMs, () => {
      // Give up on this request: the next one may be sent (ZMQ_REQ_RELAXED), a late reply is dropped.
      this.replyWaiter = undefined;
      this.expecting = null;
      this.queued = undefined;
      return new ZmtpTimeoutError(timeoutMs);
    });
  }

  protected peerReady(conn: Connection): void {
    if (this.expecting === "queued" && this.queued && conn.send(this.queued)) {
      this.expecting = conn;
      this.queued = undefined;
    }
  }

  protected peerMessage(conn: Connection, frames: Uint8Array[]): void {
    // Only the peer we asked may answer, and only with the delimiter envelope.
    if (conn !== this.expecting || frames.length < 2 || frames[0]!.length !== 0) return;
    this.expecting = null;
    const reply = frames.slice(1);
    const waiter = this.replyWaiter;
    this.replyWaiter = undefined;
    if (waiter) waiter(reply);
    else this.deliver(reply);
  }
}
