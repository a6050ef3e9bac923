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

/**
 * Publish until something is received, and return what arrived first. libzmq's PUB answers the PING
 * that follows a subscription from its I/O thread but applies the subscription in its socket thread a
 * moment later, so a message published right after `subscribed()` can still be filtered out.
 */
export async function untilDelivered<T>(publish: () => unknown, received: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 250; i++) {
    publish();
    const got = await received().catch(() => null);
    if (got) return got;
  }
  throw new Error("the subscription never reached the publisher");
}
