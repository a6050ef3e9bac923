// Small helpers for tests using src/zmtp sockets: track them for afterEach cleanup, decode frames.

import type { ReceivingSocket, ZmtpSocket } from "../../src/zmtp/index.ts";

const open = new Set<ZmtpSocket>();

/** Register a socket so `closeSockets()` closes it after the test. */
export function track<T extends ZmtpSocket>(s: T): T {
  open.add(s);
  return s;
}

export async function closeSockets(): Promise<void> {
  await Promise.all([...open].map((s) => s.close()));
  open.clear();
}

const dec = new TextDecoder();
export const text = (frames: Uint8Array[]): string[] => frames.map((f) => dec.decode(f));

/** The next message on `s`, or ZmtpTimeoutError after `timeoutMs`. */
export function recvWithin(s: ReceivingSocket, timeoutMs = 5000): Promise<Uint8Array[]> {
  return s.receive(timeoutMs);
}
