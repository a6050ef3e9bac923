// REP: hands over one request at a time without its envelope; `send` answers it along the same
// envelope, after which the next queued request is delivered.

import type { Connection } from "./connection.ts";
import { PeerUnreachableError, QueueFullError, SocketStateError } from "./errors.ts";
import type { SocketType } from "./handshake.ts";
import { type Frame, ReceivingSocket, type Sender, SENT, toBytes } from "./socket.ts";

interface Request {
  conn: Connection;
  envelope: Uint8Array[];
  body: Uint8Array[];
}

export class RepSocket extends ReceivingSocket implements Sender {
  protected readonly type: SocketType = "REP";
  private readonly requests: Request[] = [];
  private current: Request | undefined;

  /**
   * Answer the request last delivered (the contract is Sender's); the next request is delivered
   * then. SocketStateError with no request to answer; PeerUnreachableError if its sender has gone.
   */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return this.rejectClosed();
    const req = this.current;
    if (!req) return Promise.reject(new SocketStateError("REP socket must receive a request before sending a reply"));
    this.current = undefined;
    const gone = !req.conn.isActive;
    const queued = !gone && req.conn.send([...req.envelope, ...frames.map(toBytes)]);
    this.pump();
    if (gone) return Promise.reject(new PeerUnreachableError("the requester disconnected before the reply"));
    return queued ? SENT : Promise.reject(new QueueFullError(this.hwm));
  }

  protected peerReady(_conn: Connection): void {}

  protected peerMessage(conn: Connection, frames: Uint8Array[]): void {
    const i = frames.findIndex((f) => f.length === 0);
    if (i < 0) return; // no delimiter: not a REQ/DEALER-with-envelope request
    if (this.requests.length >= this.hwm) return;
    this.requests.push({ conn, envelope: frames.slice(0, i + 1), body: frames.slice(i + 1) });
    this.pump();
  }

  protected override peerClosed(conn: Connection): void {
    for (let i = this.requests.length - 1; i >= 0; i--) if (this.requests[i]!.conn === conn) this.requests.splice(i, 1);
  }

  private pump(): void {
    if (this.current || this.requests.length === 0) return;
    this.current = this.requests.shift()!;
    this.deliver(this.current.body);
  }
}
