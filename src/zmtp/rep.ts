// REP: hands over one request at a time without its envelope; `send` answers it along the same
// envelope, after which the next queued request is delivered.

import type { Connection } from "./connection.ts";
import { SocketStateError } from "./errors.ts";
import type { SocketType } from "./handshake.ts";
import { toBytes, ZmtpSocket, type Frame } from "./socket.ts";

interface Request {
  conn: Connection;
  envelope: Uint8Array[];
  body: Uint8Array[];
}

export class RepSocket extends ZmtpSocket {
  protected readonly type: SocketType = "REP";
  private readonly requests: Request[] = [];
  private current: Request | undefined;

  /** Reply to the request last delivered; false if its peer has gone or is full. */
  send(frames: readonly Frame[]): boolean {
    const req = this.current;
    if (!req) throw new SocketStateError("REP socket must receive a request before sending a reply");
    this.current = undefined;
    const ok = req.conn.isActive && req.conn.send([...req.envelope, ...frames.map(toBytes)]);
    this.pump();
    return ok;
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
