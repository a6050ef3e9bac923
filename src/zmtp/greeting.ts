// The 64-byte ZMTP 3.x greeting: build ours, validate the peer's as its bytes arrive.

import { ZmtpProtocolError } from "./errors.ts";

export const GREETING_SIZE = 64;

export interface PeerGreeting {
  major: number;
  minor: number;
  mechanism: string;
}

/** Our greeting for `mechanism`, announcing ZMTP 3.`minor` (`asServer`: byte 32, set by a CURVE server). */
export function encodeGreeting(minor: 0 | 1 = 1, mechanism = "NULL", asServer = false): Uint8Array {
  const g = new Uint8Array(GREETING_SIZE);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = minor;
  for (let i = 0; i < mechanism.length; i++) g[12 + i] = mechanism.charCodeAt(i);
  g[32] = asServer ? 1 : 0;
  return g;
}

/**
 * Check the peer's greeting so far (`have` bytes of `buf`). Fails as early as the evidence allows,
 * so a non-ZMTP peer is dropped after its first byte rather than after 64.
 */
export function checkGreetingPrefix(buf: Uint8Array, have: number): void {
  if (have > 0 && buf[0] !== 0xff) throw new ZmtpProtocolError("bad greeting signature: not a ZMTP peer");
  if (have > 9 && (buf[9]! & 1) === 0)
    throw new ZmtpProtocolError("bad greeting signature byte 9: ZMTP 1.0 peers are not supported");
  if (have > 10 && buf[10]! < 3) throw new ZmtpProtocolError(`peer speaks ZMTP ${buf[10]}.x; 3.0 or later is required`);
}

/** Parse a complete 64-byte greeting; throws unless it is ZMTP ≥ 3.0 with `expectMechanism`. */
export function parseGreeting(buf: Uint8Array, expectMechanism = "NULL"): PeerGreeting {
  checkGreetingPrefix(buf, GREETING_SIZE);
  let end = 12;
  while (end < 32 && buf[end] !== 0) end++;
  const mechanism = String.fromCharCode(...buf.subarray(12, end));
  if (mechanism !== expectMechanism) {
    throw new ZmtpProtocolError(`peer uses security mechanism "${mechanism}", we use "${expectMechanism}"`);
  }
  return { major: buf[10]!, minor: buf[11]!, mechanism };
}
