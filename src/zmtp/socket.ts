// What every socket type shares: options, bind/connect/close, the set of live peers, and delivery
// of received messages to a callback, `receive()` or `for await`.

import { getLogger } from "../util/log.ts";
import { type Deferred, deadline, deferred } from "../util/async.ts";
import { Connection, type ConnectionEvents, type RawSocket } from "./connection.ts";
import { SocketClosedError, ZmtpTimeoutError } from "./errors.ts";
import type { Command } from "./frames.ts";
import type { SocketType } from "./handshake.ts";
import { Dialer, listen, type Binding } from "./transport.ts";

const log = getLogger("circus.zmtp");

/** A frame to send: bytes, or a string sent as UTF-8. */
export type Frame = Uint8Array | string;

export type MessageHandler = (frames: Uint8Array[]) => void;

export interface SocketOptions {
  /** Identity announced to peers (DEALER, REQ, ROUTER); a ROUTER peer uses it as our routing id. */
  identity?: Uint8Array | string;
  /** Messages queued per peer (and received but unread) before dropping; default 1000. */
  hwm?: number;
  /** Largest message accepted; a peer sending more is dropped. Default 64 MiB. */
  maxMessageSize?: number;
  /** A peer that has not completed the handshake in this many ms is dropped. Default 30 000. */
  handshakeTimeout?: number;
  /** Base reconnect delay in ms; each retry waits this plus 0–100% jitter. Default 100. */
  reconnectInterval?: number;
  /** ZMTP version we announce; "3.0" exists to exercise peers' 3.0 code paths. Default "3.1". */
  zmtpVersion?: "3.0" | "3.1";
}

const encoder = new TextEncoder();

/** Frames as bytes (strings become UTF-8). */
export function toBytes(frame: Frame): Uint8Array {
  return typeof frame === "string" ? encoder.encode(frame) : frame;
}

export abstract class ZmtpSocket implements AsyncIterable<Uint8Array[]> {
  protected abstract readonly type: SocketType;
  /** Peers that completed the handshake, in the order they did. */
  protected readonly active: Connection[] = [];
  protected readonly hwm: number;
  protected closed = false;
  private readonly options: SocketOptions;
  private readonly identity: Uint8Array;
  private readonly bindings: Binding[] = [];
  private readonly dialers: Dialer[] = [];
  private readonly all = new Set<Connection>();
  private handler: MessageHandler | undefined;
  private readonly inbox: Uint8Array[][] = [];
  private readonly waiters: Deferred<Uint8Array[]>[] = [];

  /** The resolved endpoint of the most recent `bind` (real port for port 0). */
  endpoint: string | undefined;

  constructor(options: SocketOptions = {}) {
    this.options = options;
    this.hwm = options.hwm ?? 1000;
    this.identity = options.identity === undefined ? new Uint8Array(0) : toBytes(options.identity);
    if (this.identity.length > 255) throw new RangeError("identity must be at most 255 bytes");
  }

  /** Listen on `endpoint`; resolves to the real endpoint (e.g. with the ephemeral port filled in). */
  async bind(endpoint: string): Promise<string> {
    if (this.closed) throw new SocketClosedError();
    const b = await listen(endpoint, this.makeConnection);
    if (this.closed) {
      b.close();
      throw new SocketClosedError();
    }
    this.bindings.push(b);
    this.endpoint = b.endpoint;
    return b.endpoint;
  }

  /** Connect to `endpoint` in the background, reconnecting whenever the link drops. */
  connect(endpoint: string): void {
    if (this.closed) throw new SocketClosedError();
    this.dialers.push(new Dialer(endpoint, this.makeConnection, this.options.reconnectInterval ?? 100));
  }

  /** Number of peers that completed the handshake. */
  get peerCount(): number {
    return this.active.length;
  }

  /** Handle every received message with `cb` (messages already queued are handed over first). */
  onMessage(cb: MessageHandler): void {
    this.handler = cb;
    while (this.inbox.length > 0 && this.handler === cb) this.callHandler(cb, this.inbox.shift()!);
  }

  /** The next received message (when no `onMessage` handler is set); ZmtpTimeoutError after `timeoutMs`. */
  receive(timeoutMs?: number): Promise<Uint8Array[]> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift()!);
    if (this.closed) return Promise.reject(new SocketClosedError());
    const waiter = deferred<Uint8Array[]>();
    this.waiters.push(waiter);
    if (timeoutMs === undefined) return waiter.promise;
    return deadline(waiter.promise, timeoutMs, () => {
      // A timed-out waiter must leave the queue, or it would swallow the next message.
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      return new ZmtpTimeoutError(timeoutMs);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (e) {
        if (e instanceof SocketClosedError) return;
        throw e;
      }
    }
  }

  /**
   * Stop listening and connecting and drop every peer. Unsent messages are discarded (LINGER 0) unless
   * `lingerMs` is given: then each peer gets up to that long to receive what was already sent.
   */
  async close(options: { lingerMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const linger = options.lingerMs ?? 0;
    for (const b of this.bindings) b.close(linger === 0);
    for (const d of this.dialers) d.close();
    await Promise.all([...this.all].map((c) => (linger > 0 ? c.closeAfterFlush(linger) : c.close())));
    for (const w of this.waiters.splice(0)) w.reject(new SocketClosedError());
    // Let close callbacks run so a following bind to the same address succeeds.
    await Promise.resolve();
  }

  // ---- hooks for socket types ----

  protected abstract peerReady(conn: Connection): void;
  protected abstract peerMessage(conn: Connection, frames: Uint8Array[]): void;
  protected peerCommand(_conn: Connection, _cmd: Command): void {}
  protected peerClosed(_conn: Connection): void {}

  /** Hand a received message to the application. */
  protected deliver(frames: Uint8Array[]): void {
    if (this.handler) {
      this.callHandler(this.handler, frames);
      return;
    }
    const w = this.waiters.shift();
    if (w) {
      w.resolve(frames);
      return;
    }
    if (this.inbox.length >= this.hwm) {
      log.debug(`${this.type}: receive queue full (${this.hwm}); dropping a message`);
      return;
    }
    this.inbox.push(frames);
  }

  private callHandler(cb: MessageHandler, frames: Uint8Array[]): void {
    // A throwing handler is the application's bug, not the peer's: log it, keep the peer.
    try {
      cb(frames);
    } catch (e) {
      log.error(`${this.type}: message handler threw: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private readonly events: ConnectionEvents = {
    ready: (c) => {
      if (this.closed) return c.close();
      this.active.push(c);
      this.peerReady(c);
    },
    message: (c, frames) => this.peerMessage(c, frames),
    command: (c, cmd) => this.peerCommand(c, cmd),
    closed: (c) => {
      this.all.delete(c);
      const i = this.active.indexOf(c);
      if (i >= 0) {
        this.active.splice(i, 1);
        this.peerClosed(c);
      }
    },
  };

  private readonly makeConnection = (socket: RawSocket, label: string): Connection => {
    const o = this.options;
    const c = new Connection(
      socket,
      {
        socketType: this.type,
        identity: this.identity,
        minor: o.zmtpVersion === "3.0" ? 0 : 1,
        maxMessageSize: o.maxMessageSize ?? 64 * 1024 * 1024,
        handshakeTimeout: o.handshakeTimeout ?? 30_000,
        hwm: this.hwm,
      },
      this.events,
      label,
    );
    this.all.add(c);
    return c;
  };
}
