// REQ: one request at a time, each prefixed with an empty delimiter frame; replies have it stripped.
// `request()` adds a timeout after which a new request may be sent (like ZMQ_REQ_RELAXED).

import { type Deferred, deadline, deferred } from "../util/async.ts";
import type { Connection } from "./connection.ts";
import { QueueFullError, SocketClosedError, SocketStateError, type ZmtpError, ZmtpTimeoutError } from "./errors.ts";
import type { SocketType } from "./handshake.ts";
import { type Frame, ReceivingSocket, type Sender, SENT, toBytes } from "./socket.ts";

const DELIMITER = new Uint8Array(0);

export class ReqSocket extends ReceivingSocket implements Sender {
  protected readonly type: SocketType = "REQ";
  /** Peer the outstanding request went to; null = none outstanding; "queued" = not yet sent. */
  private expecting: Connection | null | "queued" = null;
  private queued: Uint8Array[] | undefined;
  private next = 0;
  /** The reply `request` awaits, if one does. */
  private pending: Deferred<Uint8Array[]> | undefined;

  /**
   * Queue a request (the contract is Sender's) for the next connected peer in turn, or until one
   * connects; the reply arrives by `receive`/`onMessage`. SocketStateError while a reply is awaited.
   */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return this.rejectClosed();
    const err = this.queue(frames);
    return err ? Promise.reject(err) : SENT;
  }

  /**
   * Send `frames` and resolve with the reply. Rejects at once as `send` would (SocketClosedError on a
   * closed socket), with ZmtpTimeoutError after `timeoutMs` (a new request may then be sent), and
   * with SocketClosedError if the socket closes while waiting.
   */
  request(frames: readonly Frame[], timeoutMs = 5000): Promise<Uint8Array[]> {
    if (this.closed) return this.rejectClosed();
    const err = this.queue(frames);
    if (err) return Promise.reject(err);
    const reply = deferred<Uint8Array[]>();
    this.pending = reply;
    return deadline(reply.promise, timeoutMs, () => {
      // Give up on this request: the next one may be sent (ZMQ_REQ_RELAXED), a late reply is dropped.
      this.pending = undefined;
      this.expecting = null;
      this.queued = undefined;
      return new ZmtpTimeoutError(timeoutMs);
    });
  }

  /** Route a request; the failure, if any, as a value so `request` can reject without a send promise. */
  private queue(frames: readonly Frame[]): ZmtpError | null {
    if (this.expecting !== null) {
      return new SocketStateError("REQ socket must receive the reply before sending another request");
    }
    const msg = [DELIMITER, ...frames.map(toBytes)];
    const n = this.active.length;
    for (let tries = 0; tries < n; tries++) {
      const conn = this.active[this.next++ % n]!;
      if (conn.send(msg)) {
        this.expecting = conn;
        return null;
      }
    }
    if (n > 0) return new QueueFullError(this.hwm);
    this.queued = msg;
    this.expecting = "queued";
    return null;
  }

  protected override closing(): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(new SocketClosedError("REQ socket (closed before the reply arrived)"));
    super.closing();
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
    const p = this.pending;
    this.pending = undefined;
    if (p) p.resolve(reply);
    else this.deliver(reply);
  }
}
