// The security-mechanism seam of a connection (RFC 23 §"Security handshake"): NULL here, CURVE in
// curve.ts. A mechanism is a state machine over handshake commands; it knows no sockets, so the
// handshakes are tested, and fuzzed, without a network.

import { ZmtpAuthError, type ZmtpError, ZmtpProtocolError } from "./errors.ts";
import { encodeCommand, type Command } from "./frames.ts";
import { parseProperties } from "./handshake.ts";

/** The peer's handshake metadata (Socket-Type, Identity, …). */
export type Properties = Map<string, Uint8Array>;

/** Seals and opens message frames once a mechanism that encrypts (CURVE) has completed. */
export interface MessageCipher {
  /** Bytes one message part of `size` bytes takes on the wire once sealed, frame header included. */
  wireSize(size: number): number;
  /** Seal one part into a frame at `dst[off]` (room reserved by the caller); returns the offset after it. */
  writeFrame(dst: Uint8Array, off: number, payload: Uint8Array, more: boolean, command: boolean): number;
  /** Open one received frame; throws ZmtpProtocolError for anything but a valid, in-order MESSAGE. */
  open(body: Uint8Array): { payload: Uint8Array; more: boolean; command: boolean };
}

/** What one handshake step asks the connection to do. */
export interface HandshakeStep {
  /** Encoded command frames to write now, in order. */
  send: Uint8Array[];
  /** The handshake is complete: the peer's metadata and, for CURVE, the cipher for everything after. */
  done?: { properties: Properties; cipher: MessageCipher | null; peerKey?: Uint8Array };
  /** The handshake failed: write `send` (e.g. an ERROR command), then close with this error. */
  fail?: ZmtpError;
}

export interface Mechanism {
  /** Name written into our greeting and expected in the peer's. */
  readonly name: "NULL" | "CURVE";
  /** Greeting byte 32; libzmq writes 0 and never checks it, so it is informational only. */
  readonly asServer: boolean;
  /** Added to the reason when the peer hangs up mid-handshake (e.g. a CURVE server that did not know our key). */
  readonly hangupHint: string;
  /** Commands to send as soon as the peer's greeting is in (a promise when keys must be computed first). */
  start(): HandshakeStep | Promise<HandshakeStep>;
  /** Handle one handshake command; throws or rejects with ZmtpProtocolError / ZmtpAuthError to drop the peer. */
  handle(cmd: Command): HandshakeStep | Promise<HandshakeStep>;
}

/** NULL (RFC 23): both sides send READY with their metadata at once; no encryption. */
export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;
  readonly hangupHint = "";
  private done = false;

  constructor(private readonly metadata: Uint8Array) {}

  start(): HandshakeStep {
    return { send: [encodeCommand("READY", this.metadata)] };
  }

  handle(cmd: Command): HandshakeStep {
    if (this.done || cmd.name !== "READY") throw new ZmtpProtocolError(`expected READY, got ${cmd.name}`);
    this.done = true;
    return { send: [], done: { properties: parseProperties(cmd.data), cipher: null } };
  }
}

/** ZAP status codes (RFC 27) a CURVE server puts in its ERROR, as libzmq does, and what they mean to a client. */
const ZAP_STATUS: ReadonlyMap<string, string> = new Map([
  ["300", "the server could not check our CURVE key right now (ZAP status 300); retry later"],
  ["400", "the server refused our CURVE key (ZAP status 400): add our public key to its authorized keys"],
  ["500", "the server failed while checking our CURVE key (ZAP status 500); see its log"],
]);

/** The error an ERROR command from the peer stands for. */
export function peerErrorFrom(data: Uint8Array): ZmtpError {
  const reason = new TextDecoder().decode(data.subarray(1, 1 + (data[0] ?? 0)));
  const zap = ZAP_STATUS.get(reason);
  if (zap) return new ZmtpAuthError(zap);
  return new ZmtpProtocolError(`peer sent ERROR: ${reason}`);
}

/** An ERROR command with `reason` cut to the one-byte length the wire allows. */
export function errorCommand(reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 255);
  const data = new Uint8Array(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return encodeCommand("ERROR", data);
}
