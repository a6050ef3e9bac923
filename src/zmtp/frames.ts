// ZMTP framing: an encoder that writes frames into a caller's buffer, and a decoder that is a pure
// state machine over byte chunks, correct whatever way the stream is split across reads.

import { MessageTooLargeError, ZmtpProtocolError } from "./errors.ts";

export const FLAG_MORE = 0x01;
export const FLAG_LONG = 0x02;
export const FLAG_COMMAND = 0x04;

/** Bytes one frame of `len` body bytes takes on the wire (libzmq uses LONG only above 255). */
export function frameSize(len: number): number {
  return len > 255 ? 9 + len : 2 + len;
}

/** Bytes a whole message takes on the wire. */
export function messageSize(frames: readonly Uint8Array[]): number {
  let n = 0;
  for (const f of frames) n += frameSize(f.length);
  return n;
}

/** Write a frame's flags and size for a body of `len` bytes; returns where the body goes. */
export function writeFrameHeader(dst: Uint8Array, off: number, len: number, flags: number): number {
  if (len > 255) {
    dst[off] = flags | FLAG_LONG;
    const hi = Math.floor(len / 0x100000000);
    const lo = len >>> 0;
    dst[off + 1] = 0;
    dst[off + 2] = 0;
    dst[off + 3] = (hi >>> 8) & 0xff;
    dst[off + 4] = hi & 0xff;
    dst[off + 5] = lo >>> 24;
    dst[off + 6] = (lo >>> 16) & 0xff;
    dst[off + 7] = (lo >>> 8) & 0xff;
    dst[off + 8] = lo & 0xff;
    return off + 9;
  }
  dst[off] = flags;
  dst[off + 1] = len;
  return off + 2;
}

/** Write one frame at `dst[off]` (caller guarantees room); returns the offset after it. */
export function writeFrame(dst: Uint8Array, off: number, body: Uint8Array, flags: number): number {
  const len = body.length;
  off = writeFrameHeader(dst, off, len, flags);
  if (len === 1) dst[off] = body[0]!;
  else if (len > 0) dst.set(body, off);
  return off + len;
}

/** Write a whole message (MORE on all frames but the last); returns the offset after it. */
export function writeMessage(dst: Uint8Array, off: number, frames: readonly Uint8Array[]): number {
  const last = frames.length - 1;
  for (let i = 0; i <= last; i++) off = writeFrame(dst, off, frames[i]!, i < last ? FLAG_MORE : 0);
  return off;
}

/** Encode a message into a fresh buffer. */
export function encodeMessage(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(messageSize(frames));
  writeMessage(out, 0, frames);
  return out;
}

const ascii = new TextEncoder();

/** Encode a command frame: 1-byte name length, name, data. */
export function encodeCommand(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(1 + name.length + data.length);
  body[0] = name.length;
  body.set(ascii.encode(name), 1);
  body.set(data, 1 + name.length);
  const out = new Uint8Array(frameSize(body.length));
  writeFrame(out, 0, body, FLAG_COMMAND);
  return out;
}

/** A decoded command: its name and the bytes after it. */
export interface Command {
  name: string;
  data: Uint8Array;
}

/** Split a command frame body into name and data. */
export function parseCommand(body: Uint8Array): Command {
  const n = body[0];
  if (n === undefined || 1 + n > body.length) throw new ZmtpProtocolError("malformed command frame");
  return { name: String.fromCharCode(...body.subarray(1, 1 + n)), data: body.subarray(1 + n) };
}

/** Receives each frame body with its flags byte. Bodies may be views into the pushed chunk. */
export type FrameSink = (body: Uint8Array, flags: number) => void;

enum State {
  Flags,
  Size,
  Body,
  Failed,
}

/**
 * Most frames one message may have. libzmq sets no limit, but a flood of empty MORE frames would grow
 * memory without touching the byte limit; Circus messages have one to three frames.
 */
export const MAX_FRAMES_PER_MESSAGE = 10_000;

/**
 * Incremental frame decoder. `push` consumes a chunk and emits every frame it completes; the
 * remainder is kept for the next chunk. Throws only ZmtpProtocolError (incl. MessageTooLargeError),
 * after which the decoder stays failed.
 */
export class FrameDecoder {
  private state = State.Flags;
  private flags = 0;
  private readonly sizeBytes = new Uint8Array(8);
  private sizeHave = 0;
  private sizeNeed = 0;
  private body: Uint8Array = new Uint8Array(0);
  private bodyHave = 0;
  /** Bytes of the message so far, so a limit applies to the whole multi-frame message. */
  private inMessage = 0;
  /** Frames of the message so far: empty frames cost memory too, so their number is capped as well. */
  private framesInMessage = 0;

  constructor(private readonly maxMessageSize: number = 64 * 1024 * 1024) {}

  push(chunk: Uint8Array, emit: FrameSink): void {
    if (this.state === State.Failed) throw new ZmtpProtocolError("decoder already failed");
    try {
      this.run(chunk, emit);
    } catch (e) {
      this.state = State.Failed;
      throw e;
    }
  }

  private run(chunk: Uint8Array, emit: FrameSink): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.Flags: {
          this.flags = chunk[i++]!;
          this.sizeNeed = this.flags & FLAG_LONG ? 8 : 1;
          this.sizeHave = 0;
          this.state = State.Size;
          if ((this.flags & FLAG_COMMAND) !== 0 && (this.flags & FLAG_MORE) !== 0) {
            throw new ZmtpProtocolError("command frame with MORE flag");
          }
          break;
        }
        case State.Size: {
          // Fast path: a short size byte needs no copying.
          if (this.sizeNeed === 1) {
            i = this.startBody(chunk[i]!, chunk, i + 1, emit);
            break;
          }
          while (i < n && this.sizeHave < 8) this.sizeBytes[this.sizeHave++] = chunk[i++]!;
          if (this.sizeHave < 8) return;
          const b = this.sizeBytes;
          const hi = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
          const lo = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
          if (hi >= 0x200000) {
            const big = (BigInt(hi) << 32n) | BigInt(lo);
            throw new MessageTooLargeError(big, this.maxMessageSize);
          }
          i = this.startBody(hi * 0x100000000 + lo, chunk, i, emit);
          break;
        }
        case State.Body: {
          const want = this.body.length - this.bodyHave;
          const take = Math.min(want, n - i);
          this.body.set(chunk.subarray(i, i + take), this.bodyHave);
          this.bodyHave += take;
          i += take;
          if (this.bodyHave === this.body.length) this.finish(this.body, emit);
          break;
        }
        case State.Failed:
          throw new ZmtpProtocolError("decoder already failed");
      }
    }
  }

  /** Size known: emit straight from the chunk when the body is all there, else start buffering. */
  private startBody(size: number, chunk: Uint8Array, i: number, emit: FrameSink): number {
    const isCommand = (this.flags & FLAG_COMMAND) !== 0;
    const total = (isCommand ? 0 : this.inMessage) + size;
    if (total > this.maxMessageSize) throw new MessageTooLargeError(total, this.maxMessageSize);
    if (!isCommand && this.framesInMessage >= MAX_FRAMES_PER_MESSAGE) {
      throw new ZmtpProtocolError(`message of more than ${MAX_FRAMES_PER_MESSAGE} frames`);
    }
    if (chunk.length - i >= size) {
      this.finish(chunk.subarray(i, i + size), emit);
      return i + size;
    }
    this.body = new Uint8Array(size);
    this.bodyHave = 0;
    this.state = State.Body;
    return i;
  }

  private finish(body: Uint8Array, emit: FrameSink): void {
    const flags = this.flags;
    this.state = State.Flags;
    if ((flags & FLAG_COMMAND) === 0) {
      const more = (flags & FLAG_MORE) !== 0;
      this.inMessage = more ? this.inMessage + body.length : 0;
      this.framesInMessage = more ? this.framesInMessage + 1 : 0;
    }
    emit(body, flags);
  }
}
