// What every socket type shares: options (security included), bind/connect/close, the set of live
// peers and the event monitor. Receiving is a separate layer (ReceivingSocket), so a type that cannot
// receive (PUB) has no `receive` at all.

import { getLogger } from "../util/log.ts";
import { type Deferred, deadline, deferred } from "../util/async.ts";
import { Connection, type ConnectionEvents, type RawSocket } from "./connection.ts";
import { type CurveAuthorizer, CurveClientMechanism, CurveServerMechanism } from "./curve.ts";
import { CurveKeyError, SocketClosedError, ZmtpTimeoutError } from "./errors.ts";
import type { Command } from "./frames.ts";
import { encodeProperties, sendsIdentity, type SocketType } from "./handshake.ts";
import { type Mechanism, NullMechanism } from "./mechanism.ts";
import {
  type PeerInfo,
  type SocketEventListener,
  type SocketEventMap,
  type SocketEventName,
  SocketMonitor,
} from "./monitor.ts";
import { type CurveKeyPair, generateKeyPair, KEY_SIZE } from "./keys.ts";
import { type Binding, Dialer, listen, type ListenOptions } from "./transport.ts";

const log = getLogger("circus.zmtp");

/** A frame to send: bytes, or a string sent as UTF-8. */
export type Frame = Uint8Array | string;

/** Receives each message; a returned promise that rejects is logged like a throw. */
export type MessageHandler = (frames: Uint8Array[]) => unknown;

/** This socket is the CURVE server of its connections (libzmq's ZMQ_CURVE_SERVER = 1). */
export interface CurveServerOptions {
  role: "server";
  /** Our long-term key pair; clients connect with its public key as their server key. */
  keyPair: CurveKeyPair;
  /** Which client keys may talk to us; default: every key (encryption without authentication). */
  authorize?: CurveAuthorizer;
}

/** This socket is a CURVE client of its connections. */
export interface CurveClientOptions {
  role: "client";
  /** The server's long-term public key (32 bytes). */
  serverKey: Uint8Array;
  /** Our long-term key pair, which the server authorizes; default: a fresh pair for this socket. */
  keyPair?: CurveKeyPair;
}

export type CurveOptions = CurveServerOptions | CurveClientOptions;

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
  /** CURVE encryption and authentication (RFC 26) on every connection; default none (NULL). */
  curve?: CurveOptions;
  /**
   * Most connections each bound endpoint holds at once. A connection beyond it takes the place of the
   * oldest one still in its handshake, or is closed at once when every one has completed it. Default:
   * no limit.
   */
  maxConnections?: number;
  /** Decide, before the handshake, whether an accepted peer may stay (e.g. by its SO_PEERCRED uid); default all. */
  admit?: (peer: PeerInfo) => boolean;
}

/** Options of one `bind`. */
export type BindOptions = ListenOptions;

/**
 * `send` means the same on every socket type that has one:
 * it hands `frames` (one message; strings go as UTF-8) to the socket's routing and resolves as soon
 * as the message is queued for the peer(s) the routing picks — in our write buffer for that
 * connection, written to the kernel at the end of the current tick; it never waits for a peer to
 * read. Routing: DEALER and REQ pick the next connected peer in turn (or keep the message until one
 * connects); ROUTER the peer named by the first frame; REP the peer whose request is being answered;
 * PUB every subscriber whose subscription prefixes the first frame (a subscriber whose queue is full
 * misses it: a PUB never stalls or fails for a slow subscriber).
 * It rejects at once, having sent nothing, with SocketClosedError on a closed socket,
 * SocketStateError when the pattern forbids sending now (REQ awaiting a reply, REP with no request),
 * PeerUnreachableError when the addressed peer is not connected (ROUTER, REP), and QueueFullError
 * when the queue the message would join is at `hwm`.
 */
export interface Sender {
  send(frames: readonly Frame[]): Promise<void>;
}

/** The settled promise every successful `send` returns (no allocation per message). */
export const SENT: Promise<void> = Promise.resolve();

const encoder = new TextEncoder();

/** Frames as bytes (strings become UTF-8). */
export function toBytes(frame: Frame): Uint8Array {
  return typeof frame === "string" ? encoder.encode(frame) : frame;
}

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== KEY_SIZE) throw new CurveKeyError(`${what} must be ${KEY_SIZE} bytes, got ${key.length}`);
}

export abstract class ZmtpSocket {
  protected abstract readonly type: SocketType;
  /** Peers that completed the handshake, in the order they did. */
  protected readonly active: Connection[] = [];
  protected readonly hwm: number;
  protected closed = false;
  private readonly options: SocketOptions;
  private readonly identity: Uint8Array;
  /** A CURVE client's long-term pair: given, or made once (asynchronously) for all its connections. */
  private clientKeyPair: CurveKeyPair | Promise<CurveKeyPair> | undefined;
  private metadata: Uint8Array | undefined;
  private readonly bindings: Binding[] = [];
  private readonly dialers: Dialer[] = [];
  private readonly all = new Set<Connection>();
  /** Accepted connections per bound endpoint, oldest first (Set keeps insertion order). */
  private readonly accepted = new Map<string, Set<Connection>>();
  private readonly monitor = new SocketMonitor();

  /** The resolved endpoint of the most recent `bind` (real port for port 0). */
  endpoint: string | undefined;

  constructor(options: SocketOptions = {}) {
    this.options = options;
    this.hwm = options.hwm ?? 1000;
    this.identity = options.identity === undefined ? new Uint8Array(0) : toBytes(options.identity);
    if (this.identity.length > 255) throw new RangeError("identity must be at most 255 bytes");
    const curve = options.curve;
    if (curve?.role === "server") {
      checkKey(curve.keyPair.publicKey, "CURVE server public key");
      checkKey(curve.keyPair.secretKey, "CURVE server secret key");
    } else if (curve?.role === "client") {
      checkKey(curve.serverKey, "CURVE server key");
      if (curve.keyPair) {
        checkKey(curve.keyPair.publicKey, "CURVE client public key");
        checkKey(curve.keyPair.secretKey, "CURVE client secret key");
      }
    }
  }

  /** Listen on `endpoint`; resolves to the real endpoint (e.g. with the ephemeral port filled in). */
  async bind(endpoint: string, options: BindOptions = {}): Promise<string> {
    if (this.closed) throw new SocketClosedError();
    const b = await listen(endpoint, this.makeConnection, options);
    if (this.closed) {
      b.close();
      throw new SocketClosedError();
    }
    this.bindings.push(b);
    this.endpoint = b.endpoint;
    this.monitor.emit("listening", { endpoint: b.endpoint });
    return b.endpoint;
  }

  /** Descriptors of the listening sockets (for a daemon upgrade's hand-over). */
  get listeningFds(): number[] {
    return this.bindings.map((b) => b.fd);
  }

  /** Connect to `endpoint` in the background, reconnecting whenever the link drops. */
  connect(endpoint: string): void {
    if (this.closed) throw new SocketClosedError();
    this.dialers.push(
      new Dialer(endpoint, this.makeConnection, this.options.reconnectInterval ?? 100, (code, reason) =>
        this.monitor.emit("connect_retried", { endpoint, code, reason }),
      ),
    );
  }

  /** Number of peers that completed the handshake. */
  get peerCount(): number {
    return this.active.length;
  }

  /** Every open connection, handshake done or not, as PeerInfo. */
  peers(): PeerInfo[] {
    return [...this.all].map((c) => c.info);
  }

  /** Close every connection whose peer `filter` picks (e.g. a CURVE key no longer authorized); returns how many. */
  disconnect(filter: (peer: PeerInfo) => boolean): number {
    let n = 0;
    for (const c of [...this.all]) {
      if (!filter(c.info)) continue;
      c.close();
      n++;
    }
    return n;
  }

  /** Call `listener` on every `type` event (libzmq's socket monitor); returns a function that removes it. */
  on<K extends SocketEventName>(type: K, listener: SocketEventListener<K>): () => void {
    return this.monitor.on(type, listener);
  }

  /** The next `type` event. */
  once<K extends SocketEventName>(type: K): Promise<SocketEventMap[K]> {
    return this.monitor.once(type);
  }

  /**
   * Stop listening and connecting and drop every peer. Unsent messages are discarded (LINGER 0) unless
   * `lingerMs` is given: then each peer gets up to that long to receive what was already sent.
   * Anything still waiting on the socket (a `receive`, a `request`) rejects with SocketClosedError.
   */
  async close(options: { lingerMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const linger = options.lingerMs ?? 0;
    for (const b of this.bindings) b.close(linger === 0);
    for (const d of this.dialers) d.close();
    await Promise.all([...this.all].map((c) => (linger > 0 ? c.closeAfterFlush(linger) : c.close())));
    for (const b of this.bindings) this.monitor.emit("closed", { endpoint: b.endpoint });
    for (const d of this.dialers) this.monitor.emit("closed", { endpoint: d.endpoint });
    this.closing();
    // Let close callbacks run so a following bind to the same address succeeds.
    await Promise.resolve();
  }

  // ---- hooks for socket types ----

  protected abstract peerReady(conn: Connection): void;
  protected abstract peerMessage(conn: Connection, frames: Uint8Array[]): void;
  protected peerCommand(_conn: Connection, _cmd: Command): void {}
  protected peerClosed(_conn: Connection): void {}
  /** The socket closed: settle whatever waits on it. */
  protected closing(): void {}

  /** A SocketClosedError rejection, for operations on a closed socket. */
  protected rejectClosed(): Promise<never> {
    return Promise.reject(new SocketClosedError(`${this.type} socket`));
  }

  private readonly events: ConnectionEvents = {
    ready: (c) => {
      if (this.closed) return c.close();
      this.active.push(c);
      this.monitor.emit("handshake_succeeded", c.where);
      this.peerReady(c);
    },
    message: (c, frames) => this.peerMessage(c, frames),
    command: (c, cmd) => this.peerCommand(c, cmd),
    handshakeFailed: (c, error) => {
      this.monitor.emit("handshake_failed", { ...c.where, reason: error.message, error });
      return this.monitor.listens("handshake_failed");
    },
    closed: (c) => {
      this.all.delete(c);
      this.accepted.get(c.info.endpoint)?.delete(c);
      const i = this.active.indexOf(c);
      if (i >= 0) {
        this.active.splice(i, 1);
        this.peerClosed(c);
      }
      this.monitor.emit("disconnected", c.where);
    },
  };

  private mechanismFor(where: PeerInfo): Mechanism {
    if (!this.metadata) {
      const props: [string, Uint8Array][] = [["Socket-Type", encoder.encode(this.type)]];
      if (sendsIdentity(this.type)) props.push(["Identity", this.identity]);
      this.metadata = encodeProperties(props);
    }
    const curve = this.options.curve;
    if (!curve) return new NullMechanism(this.metadata);
    if (curve.role === "server") {
      return new CurveServerMechanism(curve.keyPair, this.metadata, curve.authorize, {
        endpoint: where.endpoint,
        peer: where.peer,
      });
    }
    this.clientKeyPair ??= curve.keyPair ?? generateKeyPair();
    return new CurveClientMechanism(curve.serverKey, this.clientKeyPair, this.metadata);
  }

  /**
   * Whether an accepted peer may stay: `admit` agrees and its endpoint has room (made, if need be, by
   * closing the oldest connection that has not completed its handshake: a peer that never speaks cannot
   * keep out one that does). Turned-away peers are reported as `rejected`.
   */
  private admitAccepted(info: PeerInfo): boolean {
    const o = this.options;
    const reject = (reason: string) => {
      this.monitor.emit("rejected", { endpoint: info.endpoint, peer: info.peer, reason });
      return false;
    };
    if (o.admit) {
      let ok: boolean;
      try {
        ok = o.admit(info);
      } catch (e) {
        log.error(`${info.endpoint}: admit failed for ${info.peer}: ${(e as Error)?.message ?? String(e)}`);
        ok = false;
      }
      if (!ok) return reject("refused by admit");
    }
    const max = o.maxConnections;
    if (max === undefined) return true;
    let set = this.accepted.get(info.endpoint);
    if (!set) {
      set = new Set();
      this.accepted.set(info.endpoint, set);
    }
    if (set.size < max) return true;
    for (const old of set) {
      if (old.isActive) continue;
      log.debug(`${info.endpoint}: ${max} connections; dropping ${old.info.peer}, still in its handshake`);
      this.monitor.emit("rejected", { ...old.where, reason: `evicted: ${max} connections and a newcomer` });
      old.close();
      return set.size < max;
    }
    return reject(`${max} connections, all past their handshake`);
  }

  private readonly makeConnection = (socket: RawSocket, where: PeerInfo): Connection | null => {
    const o = this.options;
    const side = where.side;
    if (side === "accepted" && !this.admitAccepted(where)) return null;
    const c = new Connection(
      socket,
      {
        socketType: this.type,
        mechanism: this.mechanismFor(where),
        minor: o.zmtpVersion === "3.0" ? 0 : 1,
        maxMessageSize: o.maxMessageSize ?? 64 * 1024 * 1024,
        handshakeTimeout: o.handshakeTimeout ?? 30_000,
        hwm: this.hwm,
      },
      this.events,
      where,
    );
    this.all.add(c);
    if (side === "accepted" && o.maxConnections !== undefined) this.accepted.get(where.endpoint)?.add(c);
    this.monitor.emit(side, c.where);
    return c;
  };
}

/** A socket that receives: by callback, by `receive()`, or by `for await`. */
export abstract class ReceivingSocket extends ZmtpSocket implements AsyncIterable<Uint8Array[]> {
  private handler: MessageHandler | undefined;
  private readonly inbox: Uint8Array[][] = [];
  private readonly waiters: Deferred<Uint8Array[]>[] = [];

  /** Handle every received message with `cb` (messages already queued are handed over first). */
  onMessage(cb: MessageHandler): void {
    this.handler = cb;
    while (this.inbox.length > 0 && this.handler === cb) this.callHandler(cb, this.inbox.shift()!);
  }

  /**
   * The next received message (when no `onMessage` handler is set); ZmtpTimeoutError after `timeoutMs`.
   * Messages already received are returned even after close; otherwise a closed socket rejects at once.
   */
  receive(timeoutMs?: number): Promise<Uint8Array[]> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift()!);
    if (this.closed) return this.rejectClosed();
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

  protected override closing(): void {
    for (const w of this.waiters.splice(0)) w.reject(new SocketClosedError(`${this.type} socket`));
  }

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
    const failed = (e: unknown) =>
      log.error(`${this.type}: message handler failed: ${(e as Error)?.stack ?? String(e)}`);
    try {
      const result = cb(frames);
      if (result instanceof Promise) result.catch(failed);
    } catch (e) {
      failed(e);
    }
  }
}
