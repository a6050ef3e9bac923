// NULL-mechanism READY metadata and the socket-type compatibility table (RFC 23/37).

import { ZmtpProtocolError } from "./errors.ts";

export type SocketType =
  | "REQ"
  | "REP"
  | "DEALER"
  | "ROUTER"
  | "PUB"
  | "SUB"
  | "XPUB"
  | "XSUB"
  | "PUSH"
  | "PULL"
  | "PAIR";

const COMPATIBLE: Record<SocketType, readonly SocketType[]> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  XPUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XSUB: ["PUB", "XPUB"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
  PAIR: ["PAIR"],
};

/** Whether a socket of type `ours` may talk to a peer announcing `theirs`. */
export function compatible(ours: SocketType, theirs: string): boolean {
  return (COMPATIBLE[ours] as readonly string[]).includes(theirs);
}

/** Socket types that announce an Identity property (libzmq sends it for these only). */
export function sendsIdentity(type: SocketType): boolean {
  return type === "REQ" || type === "DEALER" || type === "ROUTER";
}

const ascii = new TextEncoder();

/** READY metadata: each property as 1-byte name length, name, 4-byte value length, value. */
export function encodeProperties(props: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  let size = 0;
  for (const [name, value] of props) size += 1 + name.length + 4 + value.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const [name, value] of props) {
    out[off++] = name.length;
    out.set(ascii.encode(name), off);
    off += name.length;
    view.setUint32(off, value.length);
    off += 4;
    out.set(value, off);
    off += value.length;
  }
  return out;
}

/** Parse READY properties (the command data after its name) into a name → value map. */
export function parseProperties(data: Uint8Array): Map<string, Uint8Array> {
  const props = new Map<string, Uint8Array>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  while (off < data.length) {
    const nameLen = data[off++]!;
    if (nameLen === 0 || off + nameLen + 4 > data.length) throw new ZmtpProtocolError("malformed READY metadata");
    const name = String.fromCharCode(...data.subarray(off, off + nameLen));
    off += nameLen;
    const valueLen = view.getUint32(off);
    off += 4;
    if (off + valueLen > data.length) throw new ZmtpProtocolError("malformed READY metadata");
    props.set(name, data.subarray(off, off + valueLen));
    off += valueLen;
  }
  return props;
}
