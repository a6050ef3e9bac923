// One peer over one Bun socket: greeting, the security handshake (through a Mechanism), framing —
// sealed by the mechanism's cipher under CURVE —, heartbeats and a bounded, backpressure-aware write
// queue. Knows nothing of socket types beyond the compatibility check.

import type { Socket } from "bun";
import { settlesWithin } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import { MessageTooLargeError, ZmtpAuthError, ZmtpError, ZmtpProtocolError } from "./errors.ts";
import {
  encodeCommand,
  encodeMessage,
  FLAG_COMMAND,
  FLAG_MORE,
  FrameDecoder,
  MAX_FRAMES_PER_MESSAGE,
  messageSize,
  parseCommand,
  writeMessage,
  type Command,
} from "./frames.ts";
import { checkGreetingPrefix, encodeGreeting, GREETING_SIZE, parseGreeting } from "./greeting.ts";
import { compatible, type SocketType } from "./handshake.ts";
import {
  errorCommand,
  type HandshakeStep,
  type Mechanism,
  type MessageCipher,
  peerErrorFrom,
  type Properties,
} from "./mechanism.ts";
import type { PeerEvent, PeerInfo } from "./monitor.ts";
import { Outbox } from "./outbox.ts";
import { z85Encode } from "./z85.ts";

/**
 * Bytes of one peer's input handled in one event-loop turn. A peer that sends megabytes at once (a
 * burst of 50 000 SUBSCRIBEs) is read on in later turns, its socket paused meanwhile, so every other
 * peer (a `list` on the control channel) is served in between.
 */
const SLICE_BYTES = 8 * 1024;
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
  /** The security handshake for this connection (a fresh one per connection: it holds state). */
  mechanism: Mechanism;
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
  /** The handshake failed; `closed` follows. */
  /** Returns true when the socket's owner listens for it, and so reports the failure itself. */
  handshakeFailed(conn: Connection, error: ZmtpError): boolean;
  closed(conn: Connection): void;
}

/** A message sent to many peers (PUB): encoded once for every peer without a cipher. */
export interface SharedMessage {
  readonly frames: readonly Uint8Array[];
  wire?: Uint8Array;
}

enum Phase {
  Greeting,
  Handshake, // the mechanism's commands are being exchanged
  Waiting, // an asynchronous handshake step is running (CURVE key agreement, an authorizer)
  Active,
  Closed,
}

const EMPTY = new Uint8Array(0);
const ascii = new TextEncoder();

export class Connection {
  private phase = Phase.Greeting;
  private readonly greeting = new Uint8Array(GREETING_SIZE);
  private greetingHave = 0;
  private readonly decoder: FrameDecoder;
  private parts: Uint8Array[] = [];
  /** Bytes in `parts`: under CURVE every part is its own frame, so the decoder cannot count them. */
  private partsSize = 0;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private cipher: MessageCipher | null = null;
  /** Input received but left for later turns (SLICE_BYTES), oldest first; the socket is paused meanwhile. */
  private unread: Uint8Array[] = [];

  private readonly out: Outbox;

  /** Peer's announced ZMTP minor version (valid once the greeting arrived). */
  peerMinor = 1;
  peerSocketType = "";
  peerIdentity: Uint8Array = EMPTY;
  /** Routing id a ROUTER assigned to this peer. */
  routingId: Uint8Array = EMPTY;
  readonly label: string;
  /** Our endpoint and the peer's address, as the socket's events report them. */
  readonly where: PeerEvent;
  /** When the connection was made (performance.now()), to pick the oldest one to evict. */
  readonly since = performance.now();

  constructor(
    private readonly socket: RawSocket,
    private readonly opts: ConnectionOptions,
    private readonly events: ConnectionEvents,
    /** What the application may know of this peer; `curveKey` is filled in by the handshake. */
    readonly info: PeerInfo,
  ) {
    this.decoder = new FrameDecoder(opts.maxMessageSize);
    this.out = new Outbox(socket);
    this.where = { endpoint: info.endpoint, peer: info.peer };
    this.label = info.peer === info.endpoint ? info.endpoint : `${info.endpoint} peer ${info.peer}`;
  }

  /** Begin the handshake: our whole greeting goes out at once (libzmq waits for it between stages). */
  start(): void {
    const m = this.opts.mechanism;
    this.out.writeNow(encodeGreeting(this.opts.minor, m.name, m.asServer));
    this.handshakeTimer = setTimeout(() => {
      this.fail(new ZmtpProtocolError(`handshake not completed within ${this.opts.handshakeTimeout} ms`));
    }, this.opts.handshakeTimeout);
  }

  get isActive(): boolean {
    return this.phase === Phase.Active;
  }

  /** Whether the connection has ended (a read, since handlers may close it behind narrowed checks). */
  private get isClosed(): boolean {
    return this.phase === Phase.Closed;
  }

  /** Messages waiting in user space for this peer. */
  get queued(): number {
    return this.out.queued;
  }

  /** Queue a message; false (message dropped) unless the peer is active and below the high-water mark. */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.phase !== Phase.Active || this.queued >= this.opts.hwm) return false;
    const cipher = this.cipher;
    if (cipher) {
      let size = 0;
      for (const f of frames) size += cipher.wireSize(f.length);
      let off = this.out.reserve(size);
      const last = frames.length - 1;
      for (let i = 0; i <= last; i++) off = cipher.writeFrame(this.out.buffer, off, frames[i]!, i < last, false);
      this.out.commit(off, true);
    } else {
      const off = this.out.reserve(messageSize(frames));
      this.out.commit(writeMessage(this.out.buffer, off, frames), true);
    }
    return true;
  }

  /** Queue a message many peers get (PUB): plain peers share one encoding, CURVE peers seal their own. */
  sendShared(msg: SharedMessage): boolean {
    if (this.cipher) return this.send(msg.frames);
    if (this.phase !== Phase.Active || this.queued >= this.opts.hwm) return false;
    msg.wire ??= encodeMessage(msg.frames);
    const off = this.out.reserve(msg.wire.length);
    this.out.buffer.set(msg.wire, off);
    this.out.commit(off + msg.wire.length, true);
    return true;
  }

  /** Send a command once active (e.g. SUBSCRIBE); commands bypass the HWM as they are small and rare. */
  sendCommand(name: string, data: Uint8Array = EMPTY): void {
    if (this.phase !== Phase.Active) return;
    if (this.cipher) {
      const body = new Uint8Array(1 + name.length + data.length);
      body[0] = name.length;
      body.set(ascii.encode(name), 1);
      body.set(data, 1 + name.length);
      const off = this.out.reserve(this.cipher.wireSize(body.length));
      this.out.commit(this.cipher.writeFrame(this.out.buffer, off, body, false, true), false);
    } else {
      const bytes = encodeCommand(name, data);
      const off = this.out.reserve(bytes.length);
      this.out.buffer.set(bytes, off);
      this.out.commit(off + bytes.length, false);
    }
  }

  /**
   * Close once everything queued has reached the kernel, or after `lingerMs` (libzmq's ZMQ_LINGER): a
   * reply sent just before a shutdown still reaches its peer. Resolves on the drain event itself.
   */
  async closeAfterFlush(lingerMs: number): Promise<void> {
    if (this.phase === Phase.Active) await settlesWithin(this.out.whenDrained(), lingerMs);
    this.close();
  }

  /** Close politely (pending output is abandoned, as with LINGER 0). */
  close(): void {
    if (this.phase === Phase.Closed) return;
    this.shutdown(null);
    this.socket.end();
  }

  // ---- Bun socket callbacks ----

  handleData(chunk: Uint8Array): void {
    if (this.phase === Phase.Closed) return;
    if (this.unread.length > 0) {
      this.unread.push(chunk); // already read by the runtime before the pause took effect
      return;
    }
    if (chunk.length <= SLICE_BYTES) {
      this.consume(chunk);
      return;
    }
    this.unread.push(chunk);
    this.socket.pause();
    this.readSlice();
  }

  /** Handle up to SLICE_BYTES of the unread input now, and the rest in a later turn. */
  private readonly readSlice = (): void => {
    if (this.phase === Phase.Closed) {
      this.unread = [];
      return;
    }
    const head = this.unread[0]!;
    if (head.length <= SLICE_BYTES) this.unread.shift();
    else this.unread[0] = head.subarray(SLICE_BYTES);
    this.consume(head.length <= SLICE_BYTES ? head : head.subarray(0, SLICE_BYTES));
    if (this.isClosed) this.unread = [];
    else if (this.unread.length > 0) setImmediate(this.readSlice);
    else this.socket.resume();
  };

  private consume(chunk: Uint8Array): void {
    try {
      let rest = chunk;
      if (this.phase === Phase.Greeting) {
        const take = Math.min(GREETING_SIZE - this.greetingHave, chunk.length);
        this.greeting.set(chunk.subarray(0, take), this.greetingHave);
        this.greetingHave += take;
        checkGreetingPrefix(this.greeting, this.greetingHave);
        if (this.greetingHave < GREETING_SIZE) return;
        const g = parseGreeting(this.greeting, this.opts.mechanism.name);
        this.peerMinor = g.major > 3 ? 1 : g.minor;
        this.phase = Phase.Handshake;
        this.run(this.opts.mechanism.start());
        rest = chunk.subarray(take);
        if (rest.length === 0 || this.isClosed) return;
      }
      this.decoder.push(rest, this.onFrame);
    } catch (e) {
      this.fail(e);
    }
  }

  handleDrain(): void {
    this.out.handleDrain();
  }

  handleClose(): void {
    if (this.phase === Phase.Closed) return;
    if (this.phase !== Phase.Active) {
      // libzmq hangs up on a greeting naming another mechanism, often before sending the rest of its own.
      const err = new ZmtpProtocolError(
        this.phase === Phase.Greeting
          ? "peer closed the connection during the greeting (does only one side use CURVE?)"
          : `peer closed the connection during the handshake${this.opts.mechanism.hangupHint}`,
      );
      const reported = this.shutdown(err);
      (reported ? log.debug : log.info)(`${this.label}: ${err.message}`);
      return;
    }
    log.debug(`${this.label}: peer closed the connection`);
    this.shutdown(null);
  }

  // ---- internals ----

  private readonly onFrame = (body: Uint8Array, flags: number): void => {
    if (this.phase === Phase.Closed) return;
    if (this.cipher) {
      // Under CURVE every frame is a MESSAGE box, whatever its frame flags; MORE and COMMAND are inside.
      const m = this.cipher.open(body);
      if (m.command) this.onCommand(parseCommand(m.payload));
      else this.onPart(m.payload, m.more);
      return;
    }
    if (flags & FLAG_COMMAND) {
      this.onCommand(parseCommand(body));
      return;
    }
    if (this.phase !== Phase.Active) throw new ZmtpProtocolError("message frame before the handshake completed");
    this.parts.push(body);
    if (flags & FLAG_MORE) return;
    const frames = this.parts;
    this.parts = [];
    this.events.message(this, frames);
  };

  /** One decrypted part: the decoder's per-message limits apply to the plaintext message here. */
  private onPart(payload: Uint8Array, more: boolean): void {
    this.partsSize += payload.length;
    if (this.partsSize > this.opts.maxMessageSize) {
      throw new MessageTooLargeError(this.partsSize, this.opts.maxMessageSize);
    }
    if (this.parts.length >= MAX_FRAMES_PER_MESSAGE) {
      throw new ZmtpProtocolError(`message of more than ${MAX_FRAMES_PER_MESSAGE} frames`);
    }
    this.parts.push(payload);
    if (more) return;
    const frames = this.parts;
    this.parts = [];
    this.partsSize = 0;
    this.events.message(this, frames);
  }

  private onCommand(cmd: Command): void {
    if (cmd.name === "ERROR") throw peerErrorFrom(cmd.data);
    if (this.phase === Phase.Handshake) {
      this.run(this.opts.mechanism.handle(cmd));
      return;
    }
    if (this.phase !== Phase.Active) throw new ZmtpProtocolError(`unexpected ${cmd.name} during the handshake`);
    if (cmd.name === "PING") {
      // Answer every ping with its context (bytes after the 2-byte TTL), whatever our own settings; the
      // context is at most 16 bytes (RFC 37), so a peer cannot make us echo megabytes it never reads.
      this.sendCommand(
        "PONG",
        cmd.data.subarray(Math.min(2, cmd.data.length), Math.min(2 + PING_CONTEXT_MAX, cmd.data.length)),
      );
    } else {
      this.events.command(this, cmd); // PONG included: a SUB learns from it that its subscriptions were read
    }
  }

  /** Apply a step now, or once its keys are computed (the peer must wait for our answer meanwhile). */
  private run(step: HandshakeStep | Promise<HandshakeStep>): void {
    if (!(step instanceof Promise)) {
      this.apply(step);
      return;
    }
    this.phase = Phase.Waiting;
    step.then(
      (s) => this.apply(s),
      (e) => this.fail(e),
    );
  }

  /** Carry out one handshake step: write its commands, then fail, finish or keep waiting. */
  private apply(step: HandshakeStep): void {
    if (this.phase === Phase.Closed) return; // an authorizer answered after the peer left
    if (step.fail) {
      for (const bytes of step.send) this.out.writeNow(bytes);
      this.fail(step.fail, true);
      return;
    }
    if (!step.done) {
      for (const bytes of step.send) this.out.writeNow(bytes);
      this.phase = Phase.Handshake;
      return;
    }
    const problem = this.incompatibility(step.done.properties);
    if (problem) {
      // The reason's length is one byte: a long peer Socket-Type must not wrap it into a malformed ERROR.
      this.out.writeNow(errorCommand(problem));
      this.fail(new ZmtpProtocolError(problem), true);
      return;
    }
    for (const bytes of step.send) this.out.writeNow(bytes);
    const props = step.done.properties;
    this.peerSocketType = new TextDecoder().decode(props.get("Socket-Type") ?? EMPTY);
    this.peerIdentity = props.get("Identity")?.slice() ?? EMPTY;
    this.cipher = step.done.cipher;
    if (step.done.peerKey) this.info.curveKey = z85Encode(step.done.peerKey);
    clearTimeout(this.handshakeTimer);
    this.phase = Phase.Active;
    this.events.ready(this);
  }

  private incompatibility(props: Properties): string | null {
    const type = new TextDecoder().decode(props.get("Socket-Type") ?? EMPTY);
    if (compatible(this.opts.socketType, type)) return null;
    return `socket type ${type || "(none)"} cannot talk to ${this.opts.socketType}`;
  }

  /**
   * Drop this peer after a protocol violation or a refused handshake; other peers are unaffected.
   * `graceful` lets an ERROR just written reach the peer before the connection closes.
   */
  private fail(err: unknown, graceful = false): void {
    if (this.phase === Phase.Closed) return;
    const msg = err instanceof ZmtpError ? err.message : String(err);
    const known = err instanceof ZmtpProtocolError || err instanceof ZmtpAuthError;
    const inHandshake = this.phase !== Phase.Active;
    const typed = err instanceof ZmtpError ? err : new ZmtpProtocolError(msg, { cause: err });
    const reported = this.shutdown(inHandshake ? typed : null);
    // A refused handshake whose owner listens for it is the owner's to report (circus ctl prints one
    // line saying why); a second line from here would only repeat it, so it is kept for debugging.
    if (known) (reported ? log.debug : log.warning)(`${this.label}: ${msg}; dropping peer`);
    else log.error(`${this.label}: unexpected error, dropping peer: ${(err as Error)?.stack ?? msg}`);
    if (graceful) this.socket.end();
    else this.socket.terminate();
  }

  /** Close for good; true when a handshake failure was handed to an owner that reports it. */
  private shutdown(handshakeError: ZmtpError | null): boolean {
    this.phase = Phase.Closed;
    this.info.fd = -1;
    clearTimeout(this.handshakeTimer);
    this.out.discard();
    this.cipher = null;
    this.socket.data.conn = null;
    const reported = handshakeError !== null && this.events.handshakeFailed(this, handshakeError);
    this.events.closed(this);
    const gone = this.socket.data.onGone;
    this.socket.data.onGone = undefined;
    gone?.();
    return reported;
  }
}
