// Socket events, as libzmq's zmq_socket_monitor reports them, but typed and delivered in-process:
// `socket.on("handshake_failed", (e) => …)`.

import { getLogger } from "../util/log.ts";
import type { ZmtpError } from "./errors.ts";

const log = getLogger("circus.zmtp");

/** A connection to one peer: our endpoint (bound or connected to) and the peer's address. */
export interface PeerEvent {
  /** The endpoint this connection belongs to: what we bound (resolved) or what we connect to. */
  endpoint: string;
  /** The peer's address: `host:port` for tcp, the socket path for ipc. */
  peer: string;
}

/**
 * A connection as the application may inspect it (`admit`, `RouterSocket.peerOf`, `disconnect`): where
 * it came from and what the transport and the handshake proved. One object per connection.
 */
export interface PeerInfo extends PeerEvent {
  transport: "tcp" | "ipc";
  /** Accepted on a bound endpoint, or made by a `connect`. */
  side: "accepted" | "connected";
  /** The connection's file descriptor while it is open (e.g. for SO_PEERCRED on ipc); -1 if unknown. */
  fd: number;
  /** The CURVE client's long-term public key in Z85, once our CURVE server handshake with it succeeded. */
  curveKey: string | null;
}

/** An accepted connection closed at once: the endpoint is full, or `admit` refused the peer. */
export interface RejectedEvent extends PeerEvent {
  reason: string;
}

export interface HandshakeFailedEvent extends PeerEvent {
  /** What went wrong, for a log line or a user ("the server refused our CURVE key (400)"). */
  reason: string;
  /** The typed failure: ZmtpAuthError for a refused key, ZmtpProtocolError for anything else. */
  error: ZmtpError;
}

/** Event name → payload. */
export interface SocketEventMap {
  /** `bind` succeeded; `endpoint` is the resolved address (real port). */
  listening: { endpoint: string };
  /** A bound endpoint accepted a connection (before the handshake). */
  accepted: PeerEvent;
  /**
   * A `connect` attempt failed and will be retried (libzmq's CONNECT_RETRIED, with the reason): `code` is
   * the errno name (`ECONNREFUSED`: nothing listens; `ENOENT`: no ipc socket file).
   */
  connect_retried: { endpoint: string; code: string; reason: string };
  /** A `connect` established its connection (before the handshake); again after each reconnect. */
  connected: PeerEvent;
  /** An accepted connection was closed before its handshake: over `maxConnections`, or refused by `admit`. */
  rejected: RejectedEvent;
  /** The peer completed the ZMTP handshake (greeting, security mechanism, READY): messages flow. */
  handshake_succeeded: PeerEvent;
  /** The handshake could not complete; the connection is closed (a `connect` retries later). */
  handshake_failed: HandshakeFailedEvent;
  /** A connection ended, for whatever reason (peer gone, dropped for a protocol error, closed by us). */
  disconnected: PeerEvent;
  /** `close()` stopped listening on, or connecting to, `endpoint`. */
  closed: { endpoint: string };
}

export type SocketEventName = keyof SocketEventMap;
export type SocketEventListener<K extends SocketEventName> = (event: SocketEventMap[K]) => void;

/** A small typed emitter; a throwing listener is logged and does not disturb the socket. */
export class SocketMonitor {
  private readonly listeners = new Map<SocketEventName, Set<(event: never) => void>>();

  /** Call `listener` for every `type` event; returns a function that removes it. */
  on<K extends SocketEventName>(type: K, listener: SocketEventListener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The next `type` event. */
  once<K extends SocketEventName>(type: K): Promise<SocketEventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(type, (event) => {
        off();
        resolve(event);
      });
    });
  }

  /** Whether anyone listens for `type` events. */
  listens(type: SocketEventName): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  emit<K extends SocketEventName>(type: K, event: SocketEventMap[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as SocketEventListener<K>)(event);
      } catch (e) {
        log.error(`${type} listener threw: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }
}
