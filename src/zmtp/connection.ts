// One peer over one Bun socket: greeting, NULL handshake, framing, heartbeats and a bounded,
// backpressure-aware write queue. Knows nothing of socket types beyond the compatibility check.

import type { Socket } from "bun";
import { getLogger } from "../util/log.ts";
import { type Deferred, deferred, settlesWithin } from "../util/async.ts";
import { MessageTooLargeError, ZmtpError, ZmtpProtocolError } from "./errors.ts";
import {
  encodeCommand,
  FLAG_COMMAND,
  FLAG_MORE,
  FrameDecoder,
  messageSize,
  parseCommand,
  writeMessage,
  type Command,
} from "./frames.ts";
import { checkGreetingPrefix, encodeGreeting, GREETING_SIZE, parseGreeting } from "./greeting.ts";
import { compatible, encodeProperties, parseProperties, sendsIdentity, type SocketType } from "./handshake.ts";

/** Longest PING context echoed in a PONG (RFC 37 allows up to 16 bytes). */
const PING_CONTEXT_MAX = 16;
const log = getLogger("circus.zmtp");

/** What a Bun socket carries so the shared handlers can find its connection. */
export interface SocketSlot {
  conn: Connection | null;
  /** Called once the connection is gone (the dialer reconnects from here). */
  onGone?: () => void;
}

export type RawSocket = Socket<SocketSlot>;

export interface ConnectionOptions {
  socketType: SocketType;
  identity: Uint8Array;
  /** ZMTP minor version we announce (1 normally; 0 to test 3.0 peers' behaviour). */
  minor: 0 | 1;
  maxMessageSize: number;
  handshakeTimeout: number;
  /** Most messages queued in user space for this peer before `send` refuses. */
  hwm: number;
}

export interface ConnectionEvents {
  ready(conn: Connection): void;
  message(conn: Connection, frames: Uint8Array[]): void;
  /** Commands other than the ones the connection handles itself (e.g. SUBSCRIBE, CANCEL). */
  command(conn: Connection, cmd: Command): void;
  closed(conn: Connection): void;
}

enum Phase {
  Greeting,
  Ready, // waiting for the peer's READY command
  Active,
  Closed,
}

const CORK_INITIAL = 16 * 1024;
/** A corked batch this big is written at once rather than at the end of the tick. */
const CORK_FLUSH_AT = 64 * 1024;
const EMPTY = new Uint8Array(0);

export class Connection {
  private phase = Phase.Greeting;
  private readonly greeting = new Uint8Array(GREETING_SIZE);
  private greetingHave = 0;
  private readonly decoder: FrameDecoder;
  private parts: Uint8Array[] = [];
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  // Write side: complete frames accumulate in `cork` until the end of the tick; whatever the kernel
  // did not take waits in `pending` for the drain callback. Both count against the HWM.
  private cork = new Uint8Array(CORK_INITIAL);
  private corkLen = 0;
  private corkMsgs = 0;
  private pending: { buf: Uint8Array; msgs: number }[] = [];
  private pendingMsgs = 0;
  private flushScheduled = false;
  /** Resolved once nothing is left to write (or the connection is gone), for closeAfterFlush. */
  private flushed: Deferred<void> | null = null;
  private readonly flushBound = () => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Peer's announced ZMTP minor version (valid once the greeting arrived). */
  peerMinor = 1;
  peerSocketType = "";
  peerIdentity: Uint8Array = EMPTY;
  /** Routing id a ROUTER assigned to this peer. */
  routingId: Uint8Array = EMPTY;

  constructor(
    private readonly socket: RawSocket,
    private readonly opts: ConnectionOptions,
    private readonly events: ConnectionEvents,
    readonly label: string,
  ) {
    this.decoder = new FrameDecoder(opts.maxMessageSize);
  }

  /** Begin the handshake: our whole greeting goes out at once (libzmq waits for it between stages). */
  start(): void {
    this.writeRaw(encodeGreeting(this.opts.minor));
    this.handshakeTimer = setTimeout(() => {
      this.fail(new ZmtpProtocolError(`handshake not completed within ${this.opts.handshakeTimeout} ms`));
    }, this.opts.handshakeTimeout);
  }

  get isActive(): boolean {
    return this.phase === Phase.Active;
  }

  /** Messages waiting in user space for this peer. */
  get queued(): number {
    return this.corkMsgs + this.pendingMsgs;
  }

  /** Queue a message; false (message dropped) when the peer's queue is at the high-water mark. */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.phase === Phase.Closed || this.queued >= this.opts.hwm) return false;
    const off = this.reserve(messageSize(frames));
    this.corkLen = writeMessage(this.cork, off, frames);
    this.afterAppend();
    return true;
  }

  /** Queue an already-encoded message (PUB encodes once for all subscribers). */
  sendEncoded(bytes: Uint8Array): boolean {
    if (this.phase === Phase.Closed || this.queued >= this.opts.hwm) return false;
    const off = this.reserve(bytes.length);
    this.cork.set(bytes, off);
    this.corkLen = off + bytes.length;
    this.afterAppend();
    return true;
  }

  /** Send a command (e.g. SUBSCRIBE); commands bypass the HWM as they are small and rare. */
  sendCommand(name: string, data?: Uint8Array): void {
    if (this.phase === Phase.Closed) return;
    const bytes = encodeCommand(name, data);
    const off = this.reserve(bytes.length);
    this.cork.set(bytes, off);
    this.corkLen = off + bytes.length;
    this.corkMsgs--; // afterAppend counts it; commands are not messages
    this.afterAppend();
  }

  /**
   * Close once everything queued has been written, or after `lingerMs` (libzmq's ZMQ_LINGER): a reply
   * sent just before a shutdown still reaches its peer.
   */
  async closeAfterFlush(lingerMs: number): Promise<void> {
    this.flush();
    if (this.phase === Phase.Active && this.hasUnwritten()) {
      this.flushed ??= deferred();
      await settlesWithin(this.flushed.promise, lingerMs);
    }
    this.close();
  }

  /** Close politely (pending output is abandoned, as with LINGER 0). */
  close(): void {
    if (this.phase === Phase.Closed) return;
    this.shutdown();
    this.socket.end();
  }

  // ---- Bun socket callbacks ----

  handleData(chunk: Uint8Array): void {
    if (this.phase === Phase.Closed) return;
    try {
      let rest = chunk;
      if (this.phase === Phase.Greeting) {
        const take = Math.min(GREETING_SIZE - this.greetingHave, chunk.length);
        this.greeting.set(chunk.subarray(0, take), this.greetingHave);
        this.greetingHave += take;
        checkGreetingPrefix(this.greeting, this.greetingHave);
        if (this.greetingHave < GREETING_SIZE) return;
        const g = parseGreeting(this.greeting);
        this.peerMinor = g.major > 3 ? 1 : g.minor;
        this.phase = Phase.Ready;
        this.sendReady();
        rest = chunk.subarray(take);
        if (rest.length === 0) return;
      }
      this.decoder.push(rest, this.onFrame);
    } catch (e) {
      this.fail(e);
    }
  }

  handleDrain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = this.socket.write(head.buf);
      if (n < 0) return;
      if (n < head.buf.length) {
        head.buf = head.buf.subarray(n);
        return;
      }
      this.pending.shift();
      this.pendingMsgs -= head.msgs;
    }
    this.flush();
    this.noteFlushed();
  }

  handleClose(): void {
    if (this.phase === Phase.Closed) return;
    log.debug(`${this.label}: peer closed the connection`);
    this.shutdown();
  }

  // ---- internals ----

  private readonly onFrame = (body: Uint8Array, flags: number): void => {
    if (flags & FLAG_COMMAND) {
      this.onCommand(parseCommand(body));
      return;
    }
    if (this.phase !== Phase.Active) throw new ZmtpProtocolError("message frame before READY");
    this.parts.push(body);
    if (flags & FLAG_MORE) return;
    const frames = this.parts;
    this.parts = [];
    this.events.message(this, frames);
  };

  private onCommand(cmd: Command): void {
    if (cmd.name === "ERROR") {
      const reason = new TextDecoder().decode(cmd.data.subarray(1, 1 + (cmd.data[0] ?? 0)));
      throw new ZmtpProtocolError(`peer sent ERROR: ${reason}`);
    }
    if (this.phase === Phase.Ready) {
      if (cmd.name !== "READY") throw new ZmtpProtocolError(`expected READY, got ${cmd.name}`);
      this.onReady(parseProperties(cmd.data));
      return;
    }
    if (cmd.name === "PING") {
      // Answer every ping with its context (bytes after the 2-byte TTL), whatever our own settings; the
      // context is at most 16 bytes (RFC 37), so a peer cannot make us echo megabytes it never reads.
      this.sendCommand(
        "PONG",
        cmd.data.subarray(Math.min(2, cmd.data.length), Math.min(2 + PING_CONTEXT_MAX, cmd.data.length)),
      );
    } else if (cmd.name !== "PONG") {
      this.events.command(this, cmd);
    }
  }

  private onReady(props: Map<string, Uint8Array>): void {
    const type = new TextDecoder().decode(props.get("Socket-Type") ?? EMPTY);
    if (!compatible(this.opts.socketType, type)) {
      const reason = `socket type ${type || "(none)"} cannot talk to ${this.opts.socketType}`;
      log.warning(`${this.label}: ${reason}; dropping peer`);
      // The reason's length is one byte: a long peer Socket-Type must not wrap it into a malformed ERROR.
      const text = new TextEncoder().encode(reason).subarray(0, 255);
      this.sendCommand("ERROR", new Uint8Array([text.length, ...text]));
      this.phase = Phase.Active; // let the ERROR out before closing
      this.flush();
      this.close();
      return;
    }
    this.peerSocketType = type;
    this.peerIdentity = props.get("Identity")?.slice() ?? EMPTY;
    clearTimeout(this.handshakeTimer);
    this.phase = Phase.Active;
    this.flush();
    this.events.ready(this);
  }

  private sendReady(): void {
    const props: [string, Uint8Array][] = [["Socket-Type", new TextEncoder().encode(this.opts.socketType)]];
    if (sendsIdentity(this.opts.socketType)) props.push(["Identity", this.opts.identity]);
    this.writeRaw(encodeCommand("READY", encodeProperties(props)));
  }

  /** Drop this peer after a protocol violation; other peers are unaffected. */
  private fail(err: unknown): void {
    if (this.phase === Phase.Closed) return;
    const msg = err instanceof ZmtpError ? err.message : String(err);
    if (err instanceof MessageTooLargeError || err instanceof ZmtpProtocolError)
      log.warning(`${this.label}: ${msg}; dropping peer`);
    else log.error(`${this.label}: unexpected error, dropping peer: ${msg}`);
    this.shutdown();
    this.socket.terminate();
  }

  private shutdown(): void {
    this.phase = Phase.Closed;
    clearTimeout(this.handshakeTimer);
    this.pending = [];
    this.pendingMsgs = 0;
    this.corkLen = 0;
    this.corkMsgs = 0;
    this.noteFlushed();
    this.socket.data.conn = null;
    this.events.closed(this);
    const gone = this.socket.data.onGone;
    this.socket.data.onGone = undefined;
    gone?.();
  }

  /** Make room for `size` bytes at the end of the cork buffer; returns where to write. */
  private reserve(size: number): number {
    const need = this.corkLen + size;
    if (need > this.cork.length) {
      const grown = new Uint8Array(Math.max(need, this.cork.length * 2));
      grown.set(this.cork.subarray(0, this.corkLen));
      this.cork = grown;
    }
    return this.corkLen;
  }

  private afterAppend(): void {
    this.corkMsgs++;
    if (this.corkLen >= CORK_FLUSH_AT) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  /** Write the corked batch in one syscall; the unwritten tail waits for drain. */
  private flush(): void {
    if (this.phase !== Phase.Active || this.corkLen === 0 || this.pending.length > 0) return;
    const len = this.corkLen;
    const n = this.socket.write(this.cork, 0, len);
    if (n >= 0 && n < len) {
      this.pending.push({ buf: this.cork.slice(n, len), msgs: this.corkMsgs });
      this.pendingMsgs += this.corkMsgs;
    }
    this.corkLen = 0;
    this.corkMsgs = 0;
    // Do not keep a huge buffer around after one big message.
    if (this.cork.length > 1024 * 1024) this.cork = new Uint8Array(CORK_INITIAL);
    this.noteFlushed();
  }

  private hasUnwritten(): boolean {
    return this.pending.length > 0 || this.corkLen > 0;
  }

  /** Wake closeAfterFlush once the kernel has taken every byte (or the connection is gone). */
  private noteFlushed(): void {
    if (this.flushed !== null && (this.phase === Phase.Closed || !this.hasUnwritten())) {
      this.flushed.resolve();
      this.flushed = null;
    }
  }

  /** Greeting and READY go out before any message, in order with anything already pending. */
  private writeRaw(bytes: Uint8Array): void {
    if (this.pending.length > 0) {
      this.pending.push({ buf: bytes, msgs: 0 });
      return;
    }
    const n = this.socket.write(bytes);
    if (n >= 0 && n < bytes.length) this.pending.push({ buf: bytes.subarray(n), msgs: 0 });
  }
}
