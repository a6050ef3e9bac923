// CurveZMQ (RFC 26) as libzmq's ZMQ_CURVE speaks it: the HELLO / WELCOME / INITIATE / READY handshake
// for either side, and the MESSAGE boxes that carry every frame afterwards.
// Keys: C/c and S/s are the client's and server's long-term pairs, C'/c' and S'/s' the per-connection
// ones. Boxes are crypto_box under a 24-byte nonce: a 16-byte (or 8-byte) prefix naming the step, then
// an 8-byte counter (strictly increasing per direction: client HELLO 1, INITIATE 2; server READY 1)
// or 16 random bytes.

import { ZmtpAuthError, ZmtpProtocolError } from "./errors.ts";
import { encodeCommand, type Command, frameSize, writeFrameHeader } from "./frames.ts";
import { parseProperties } from "./handshake.ts";
import { errorCommand, type HandshakeStep, type Mechanism, type MessageCipher } from "./mechanism.ts";
import { type CurveKeyPair, KEY_SIZE, loadNacl, type Nacl } from "./keys.ts";
import { z85Encode } from "./z85.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const HELLO_PREFIX = ascii("CurveZMQHELLO---");
const WELCOME_PREFIX = ascii("WELCOME-");
const COOKIE_PREFIX = ascii("COOKIE--");
const VOUCH_PREFIX = ascii("VOUCH---");
const INITIATE_PREFIX = ascii("CurveZMQINITIATE");
const READY_PREFIX = ascii("CurveZMQREADY---");
const MESSAGE_FROM_CLIENT = ascii("CurveZMQMESSAGEC");
const MESSAGE_FROM_SERVER = ascii("CurveZMQMESSAGES");
const MESSAGE_NAME = ascii("\x07MESSAGE");

/** Sizes of the command data after the name (RFC 26 §"Command formats"; libzmq checks the same). */
const HELLO_DATA = 194; // version 2, padding 72, C' 32, nonce 8, box 80
const WELCOME_DATA = 160; // nonce 16, box 144
const INITIATE_MIN_DATA = 248; // cookie 96, nonce 8, box ≥ 144
const READY_MIN_DATA = 24; // nonce 8, box ≥ 16
const MAC = 16;
/** MESSAGE body: name 8, nonce 8, MAC 16, flags 1, payload. */
const MESSAGE_OVERHEAD = 8 + 8 + MAC + 1;
const INNER_MORE = 0x01;
const INNER_COMMAND = 0x02;

function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** A 64-bit big-endian counter as two 32-bit halves (a JS number would lose precision above 2^53). */
class Counter {
  constructor(
    public hi = 0,
    public lo = 0,
  ) {}

  static read(bytes: Uint8Array, at: number): Counter {
    const v = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
    return new Counter(v.getUint32(0), v.getUint32(4));
  }

  write(dst: Uint8Array, at: number): void {
    const v = new DataView(dst.buffer, dst.byteOffset + at, 8);
    v.setUint32(0, this.hi);
    v.setUint32(4, this.lo);
  }

  advance(): void {
    this.lo = (this.lo + 1) >>> 0;
    if (this.lo === 0) this.hi = (this.hi + 1) >>> 0;
  }

  /** The counter's bytes, then the counter advanced by one. */
  take(): Uint8Array {
    const out = new Uint8Array(8);
    this.write(out, 0);
    this.advance();
    return out;
  }

  greaterThan(o: Counter): boolean {
    return this.hi > o.hi || (this.hi === o.hi && this.lo > o.lo);
  }
}

/** The 24-byte nonce: `prefix` then `tail` (8 counter bytes or 16 random bytes). */
function nonce(prefix: Uint8Array, tail: Uint8Array): Uint8Array {
  return concat(prefix, tail);
}

/**
 * Seals and opens MESSAGE frames for one established CURVE connection with NaCl's crypto_secretbox
 * (noble's xsalsa20poly1305): every box is made and checked by the audited construction as a whole.
 */
export class CurveCipher implements MessageCipher {
  constructor(
    private readonly nacl: Nacl,
    private readonly key: Uint8Array,
    private readonly sendPrefix: Uint8Array,
    private readonly recvPrefix: Uint8Array,
    private readonly next: Counter,
    private peer: Counter,
  ) {}

  wireSize(size: number): number {
    return frameSize(MESSAGE_OVERHEAD + size);
  }

  writeFrame(dst: Uint8Array, off: number, payload: Uint8Array, more: boolean, command: boolean): number {
    const bodySize = MESSAGE_OVERHEAD + payload.length;
    // libzmq sends MESSAGE in an ordinary data frame without MORE: each part's flags travel in its box.
    const at = writeFrameHeader(dst, off, bodySize, 0);
    dst.set(MESSAGE_NAME, at);
    this.next.write(dst, at + 8);
    this.next.advance();
    const plain = new Uint8Array(1 + payload.length);
    plain[0] = (more ? INNER_MORE : 0) | (command ? INNER_COMMAND : 0);
    plain.set(payload, 1);
    const boxed = this.nacl.seal(this.key, nonce(this.sendPrefix, dst.subarray(at + 8, at + 16)), plain);
    dst.set(boxed, at + 16);
    return at + bodySize;
  }

  open(body: Uint8Array): { payload: Uint8Array; more: boolean; command: boolean } {
    if (body.length < MESSAGE_OVERHEAD || !equal(body.subarray(0, 8), MESSAGE_NAME)) {
      throw new ZmtpProtocolError("expected a CURVE MESSAGE after the handshake");
    }
    const n = Counter.read(body, 8);
    if (!n.greaterThan(this.peer)) throw new ZmtpProtocolError("CURVE MESSAGE nonce did not increase (replayed?)");
    const plain = this.nacl.open(this.key, nonce(this.recvPrefix, body.subarray(8, 16)), body.subarray(16));
    if (!plain || plain.length < 1) throw new ZmtpProtocolError("CURVE MESSAGE box does not open (tampered?)");
    this.peer = n;
    const flags = plain[0]!;
    return { payload: plain.subarray(1), more: (flags & INNER_MORE) !== 0, command: (flags & INNER_COMMAND) !== 0 };
  }
}

/** The client a CURVE server is asked to admit. */
export interface CurvePeer {
  /** The client's long-term public key (C), raw. */
  publicKey: Uint8Array;
  /** The same key as Z85 text, the form `.key` files hold. */
  z85: string;
  /** Our endpoint the client came in on. */
  endpoint: string;
  /** The client's address (`host:port`, or the ipc path). */
  peer: string;
}

/**
 * Decides whether a client may talk to a CURVE server (ZAP-like). false, or a throw, refuses: the
 * client gets an ERROR command with ZAP status 400 (500 after a throw), as libzmq sends.
 */
export type CurveAuthorizer = (client: CurvePeer) => boolean | Promise<boolean>;

const PROTOCOL_VERSION = new Uint8Array([1, 0]);

/** The client side: HELLO, then INITIATE (vouching for C' with our long-term key), then READY. */
export class CurveClientMechanism implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = false;
  readonly hangupHint = " (a CURVE server hangs up on a HELLO made for another server key: is the server key right?)";
  private state: "start" | "welcome" | "ready" | "done" = "start";
  /** Loaded by `start`: the handshake's first step. */
  private nacl!: Nacl;
  private shortTerm: CurveKeyPair | null = null;
  private readonly nonce = new Counter(0, 1);
  /** crypto_box key of C' and S, for HELLO and WELCOME. */
  private helloKey: Uint8Array | null = null;
  /** crypto_box key of C' and S', for INITIATE, READY and every MESSAGE. */
  private messageKey: Uint8Array | null = null;

  constructor(
    private readonly serverKey: Uint8Array,
    /** Our long-term pair; a promise while a socket's default pair is still being made. */
    private readonly keyPair: CurveKeyPair | Promise<CurveKeyPair>,
    private readonly metadata: Uint8Array,
  ) {}

  async start(): Promise<HandshakeStep> {
    if (this.state !== "start") throw new ZmtpProtocolError("CURVE handshake started twice");
    this.state = "welcome";
    const nacl = await loadNacl();
    this.nacl = nacl;
    const shortTerm = await nacl.generateKeyPairAsync();
    this.shortTerm = shortTerm;
    this.helloKey = await nacl.sharedKeyAsync(this.serverKey, shortTerm.secretKey);
    if (!this.helloKey) throw new ZmtpProtocolError("the CURVE server key is not a usable public key");
    const n = this.nonce.take();
    const signature = nacl.seal(this.helloKey, nonce(HELLO_PREFIX, n), new Uint8Array(64));
    const hello = concat(PROTOCOL_VERSION, new Uint8Array(72), shortTerm.publicKey, n, signature);
    return { send: [encodeCommand("HELLO", hello)] };
  }

  handle(cmd: Command): HandshakeStep | Promise<HandshakeStep> {
    if (this.state === "welcome" && cmd.name === "WELCOME") return this.onWelcome(cmd.data);
    if (this.state === "ready" && cmd.name === "READY") return this.onReady(cmd.data);
    throw new ZmtpProtocolError(`unexpected ${cmd.name || "(empty)"} command in the CURVE handshake`);
  }

  private async onWelcome(data: Uint8Array): Promise<HandshakeStep> {
    if (data.length !== WELCOME_DATA) throw new ZmtpProtocolError("malformed CURVE WELCOME");
    const nacl = this.nacl;
    const plain = nacl.open(this.helloKey!, nonce(WELCOME_PREFIX, data.subarray(0, 16)), data.subarray(16));
    if (!plain) throw new ZmtpProtocolError("CURVE WELCOME does not open: the server does not hold the server key");
    this.state = "ready";
    const shortTerm = this.shortTerm!;
    const keyPair = await this.keyPair;
    const serverShortTerm = plain.subarray(0, KEY_SIZE);
    const cookie = plain.slice(KEY_SIZE, KEY_SIZE + 96);
    const [messageKey, vouchKey] = await Promise.all([
      nacl.sharedKeyAsync(serverShortTerm, shortTerm.secretKey),
      nacl.sharedKeyAsync(serverShortTerm, keyPair.secretKey),
    ]);
    if (!messageKey || !vouchKey) throw new ZmtpProtocolError("CURVE WELCOME carries an unusable short-term key");
    this.messageKey = messageKey;
    const vouchTail = nacl.randomBytes(16);
    const vouch = nacl.seal(vouchKey, nonce(VOUCH_PREFIX, vouchTail), concat(shortTerm.publicKey, this.serverKey));
    const n = this.nonce.take();
    const box = nacl.seal(
      messageKey,
      nonce(INITIATE_PREFIX, n),
      concat(keyPair.publicKey, vouchTail, vouch, this.metadata),
    );
    this.helloKey = null;
    return { send: [encodeCommand("INITIATE", concat(cookie, n, box))] };
  }

  private onReady(data: Uint8Array): HandshakeStep {
    if (data.length < READY_MIN_DATA) throw new ZmtpProtocolError("malformed CURVE READY");
    const peerNonce = Counter.read(data, 0);
    const plain = this.nacl.open(this.messageKey!, nonce(READY_PREFIX, data.subarray(0, 8)), data.subarray(8));
    if (!plain) throw new ZmtpProtocolError("CURVE READY does not open");
    this.state = "done";
    const cipher = new CurveCipher(
      this.nacl,
      this.messageKey!,
      MESSAGE_FROM_CLIENT,
      MESSAGE_FROM_SERVER,
      this.nonce,
      peerNonce,
    );
    return { send: [], done: { properties: parseProperties(plain), cipher } };
  }
}

/** The server side: WELCOME with a cookie, then check INITIATE's vouch, ask the authorizer, READY or ERROR. */
export class CurveServerMechanism implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = true;
  readonly hangupHint = "";
  private state: "hello" | "initiate" | "checking" | "done" = "hello";
  /** Loaded by the HELLO step, the handshake's first. */
  private nacl!: Nacl;
  private readonly nonce = new Counter(0, 1);
  private peerNonce = new Counter();
  private clientShortTerm: Uint8Array | null = null;
  private shortTerm: CurveKeyPair | null = null;
  /** Cookie key, dropped once INITIATE used it: a replayed cookie cannot open again. */
  private cookieKey: Uint8Array | null = null;

  constructor(
    private readonly keyPair: CurveKeyPair,
    private readonly metadata: Uint8Array,
    private readonly authorize: CurveAuthorizer | undefined,
    private readonly where: { endpoint: string; peer: string },
  ) {}

  start(): HandshakeStep {
    return { send: [] };
  }

  handle(cmd: Command): Promise<HandshakeStep> {
    if (this.state === "hello" && cmd.name === "HELLO") return this.onHello(cmd.data);
    if (this.state === "initiate" && cmd.name === "INITIATE") return this.onInitiate(cmd.data);
    throw new ZmtpProtocolError(`unexpected ${cmd.name || "(empty)"} command in the CURVE handshake`);
  }

  private async onHello(data: Uint8Array): Promise<HandshakeStep> {
    if (data.length !== HELLO_DATA) throw new ZmtpProtocolError("malformed CURVE HELLO");
    if (data[0] !== 1 || data[1] !== 0) throw new ZmtpProtocolError(`CURVE version ${data[0]}.${data[1]} is not 1.0`);
    this.state = "initiate";
    const clientShortTerm = data.slice(74, 106);
    const n = data.subarray(106, 114);
    const nacl = await loadNacl();
    this.nacl = nacl;
    const [helloKey, shortTerm] = await Promise.all([
      nacl.sharedKeyAsync(clientShortTerm, this.keyPair.secretKey),
      nacl.generateKeyPairAsync(),
    ]);
    // Like libzmq, no ERROR here: a client that cannot make a HELLO for our key learns nothing from us.
    if (!helloKey || !nacl.open(helloKey, nonce(HELLO_PREFIX, n), data.subarray(114))) {
      throw new ZmtpProtocolError("CURVE HELLO does not open: the client uses another server key");
    }
    this.peerNonce = Counter.read(n, 0);
    this.clientShortTerm = clientShortTerm;
    this.shortTerm = shortTerm;
    this.cookieKey = nacl.randomBytes(32);
    const cookieTail = nacl.randomBytes(16);
    const cookie = concat(
      cookieTail,
      nacl.seal(this.cookieKey, nonce(COOKIE_PREFIX, cookieTail), concat(clientShortTerm, shortTerm.secretKey)),
    );
    const welcomeTail = nacl.randomBytes(16);
    const box = nacl.seal(helloKey, nonce(WELCOME_PREFIX, welcomeTail), concat(shortTerm.publicKey, cookie));
    return { send: [encodeCommand("WELCOME", concat(welcomeTail, box))] };
  }

  private async onInitiate(data: Uint8Array): Promise<HandshakeStep> {
    if (data.length < INITIATE_MIN_DATA) throw new ZmtpProtocolError("malformed CURVE INITIATE");
    this.state = "checking";
    const nacl = this.nacl;
    const cookieKey = this.cookieKey!;
    this.cookieKey = null;
    const cookie = nacl.open(cookieKey, nonce(COOKIE_PREFIX, data.subarray(0, 16)), data.subarray(16, 96));
    const shortTerm = this.shortTerm!;
    if (
      !cookie ||
      !equal(cookie.subarray(0, KEY_SIZE), this.clientShortTerm!) ||
      !equal(cookie.subarray(KEY_SIZE), shortTerm.secretKey)
    ) {
      throw new ZmtpProtocolError("CURVE INITIATE carries a cookie we did not issue for this connection");
    }
    const n = Counter.read(data, 96);
    if (!n.greaterThan(this.peerNonce)) throw new ZmtpProtocolError("CURVE INITIATE nonce did not increase");
    const messageKey = await nacl.sharedKeyAsync(this.clientShortTerm!, shortTerm.secretKey);
    const plain =
      messageKey && nacl.open(messageKey, nonce(INITIATE_PREFIX, data.subarray(96, 104)), data.subarray(104));
    if (!messageKey || !plain || plain.length < 128) throw new ZmtpProtocolError("CURVE INITIATE does not open");
    const clientKey = plain.slice(0, KEY_SIZE);
    const vouchKey = await nacl.sharedKeyAsync(clientKey, shortTerm.secretKey);
    const vouch = vouchKey && nacl.open(vouchKey, nonce(VOUCH_PREFIX, plain.subarray(32, 48)), plain.subarray(48, 128));
    // The vouch proves the holder of C sent this C' to us (S): both must match, or it is a replay.
    if (
      !vouch ||
      !equal(vouch.subarray(0, KEY_SIZE), this.clientShortTerm!) ||
      !equal(vouch.subarray(KEY_SIZE), this.keyPair.publicKey)
    ) {
      throw new ZmtpProtocolError("CURVE INITIATE vouch does not match this connection");
    }
    const properties = parseProperties(plain.subarray(128));
    this.peerNonce = n;
    shortTerm.secretKey.fill(0);
    if (this.authorize) {
      const client: CurvePeer = { publicKey: clientKey, z85: z85Encode(clientKey), ...this.where };
      const refuse = (status: string, why: string): HandshakeStep => ({
        send: [errorCommand(status)],
        fail: new ZmtpAuthError(`CURVE client key ${client.z85} from ${client.peer} ${why}`),
      });
      try {
        if (!(await this.authorize(client))) return refuse("400", "is not authorized");
      } catch (e) {
        return refuse("500", `could not be checked: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    const r = this.nonce.take();
    const box = nacl.seal(messageKey, nonce(READY_PREFIX, r), this.metadata);
    this.state = "done";
    const cipher = new CurveCipher(
      nacl,
      messageKey,
      MESSAGE_FROM_SERVER,
      MESSAGE_FROM_CLIENT,
      this.nonce,
      this.peerNonce,
    );
    return {
      send: [encodeCommand("READY", concat(r, box))],
      done: { properties, cipher, peerKey: clientKey },
    };
  }
}
