// PUB: sends each message to the peers whose subscriptions prefix its first frame; never blocks,
// drops for a subscriber whose queue is at the high-water mark. It cannot receive (no `receive`).

import { getLogger } from "../util/log.ts";
import type { Connection, SharedMessage } from "./connection.ts";
import type { Command } from "./frames.ts";
import type { SocketType } from "./handshake.ts";
import { type Frame, type Sender, SENT, type SocketOptions, toBytes, ZmtpSocket } from "./socket.ts";
import { type SubscriptionLimits, Subscriptions } from "./subscriptions.ts";

const log = getLogger("circus.zmtp");

export interface PubOptions extends SocketOptions {
  /** Distinct prefixes one subscriber may subscribe to; more are ignored (logged once). Default 10 000. */
  maxSubscriptions?: number;
  /** Bytes of one subscriber's distinct prefixes together; more are ignored. Default 1 MiB. */
  maxSubscriptionBytes?: number;
}

export class PubSocket extends ZmtpSocket implements Sender {
  protected readonly type: SocketType = "PUB";
  private readonly subs = new Map<Connection, Subscriptions>();
  private readonly limits: SubscriptionLimits;
  /** Subscribers already told about in the log for passing the limits. */
  private readonly overLimit = new WeakSet<Connection>();

  constructor(options: PubOptions = {}) {
    super(options);
    this.limits = {
      maxPrefixes: options.maxSubscriptions ?? 10_000,
      maxBytes: options.maxSubscriptionBytes ?? 1024 * 1024,
    };
  }

  /**
   * Publish (the contract is Sender's): queued for every subscriber whose subscription prefixes the
   * first frame; a subscriber whose queue is full misses this message. Rejects only when closed.
   */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return this.rejectClosed();
    if (frames.length === 0) return Promise.reject(new RangeError("a message needs at least one frame"));
    const msg: SharedMessage = { frames: frames.map(toBytes) };
    const topic = msg.frames[0]!;
    for (const conn of this.active) {
      if (this.subs.get(conn)?.matches(topic)) conn.sendShared(msg);
    }
    return SENT;
  }

  /** How many connected subscribers a message whose first frame is `topic` would be queued for. */
  subscribersFor(topic: Frame): number {
    const t = toBytes(topic);
    let n = 0;
    for (const conn of this.active) if (this.subs.get(conn)?.matches(t)) n++;
    return n;
  }

  protected peerReady(conn: Connection): void {
    this.subs.set(conn, new Subscriptions(this.limits));
  }

  private subscribe(conn: Connection, prefix: Uint8Array): void {
    const subs = this.subs.get(conn);
    if (!subs || subs.add(prefix) || this.overLimit.has(conn)) return;
    this.overLimit.add(conn);
    log.warning(
      `${conn.label}: subscriber passed ${this.limits.maxPrefixes} subscriptions or ${this.limits.maxBytes} bytes of them; ignoring the rest`,
    );
  }

  /** ZMTP 3.0 subscribers send subscriptions as messages: 0x01 + prefix, or 0x00 + prefix to cancel. */
  protected peerMessage(conn: Connection, frames: Uint8Array[]): void {
    const f = frames[0];
    if (frames.length !== 1 || !f || f.length === 0) return;
    if (f[0] === 1) this.subscribe(conn, f.subarray(1));
    else if (f[0] === 0) this.subs.get(conn)?.remove(f.subarray(1));
  }

  /** ZMTP 3.1 subscribers send SUBSCRIBE / CANCEL commands. */
  protected override peerCommand(conn: Connection, cmd: Command): void {
    if (cmd.name === "SUBSCRIBE") this.subscribe(conn, cmd.data);
    else if (cmd.name === "CANCEL") this.subs.get(conn)?.remove(cmd.data);
  }

  protected override peerClosed(conn: Connection): void {
    this.subs.delete(conn);
  }
}
