// Bind and connect over Bun's native sockets (tcp and unix), with libzmq-style reconnection.
// Deliberately not node:net: its compatibility layer costs 6-8 MB RSS in the compiled binary.

import type { SocketHandler, SocketListener, TCPSocketListener, UnixSocketListener } from "bun";
import { getLogger } from "../util/log.ts";
import { delay } from "../util/async.ts";
import type { Connection, RawSocket, SocketSlot } from "./connection.ts";
import type { PeerInfo } from "./monitor.ts";
import { endpointAddress, formatEndpoint, parseEndpoint, unixPath, type Endpoint } from "./endpoint.ts";
import { EndpointError } from "./errors.ts";

const log = getLogger("circus.zmtp");

/** How a connection came to be: accepted on a bound endpoint, or made by a `connect`. */
export type ConnectionSide = "accepted" | "connected";

/**
 * Builds the Connection for a freshly opened socket (the owner decides options and events), or null to
 * turn the peer away: the socket is then closed at once.
 */
export type ConnectionFactory = (socket: RawSocket, info: PeerInfo) => Connection | null;

/** The peer's address as monitor events show it: `host:port` (IPv6 in brackets), or our ipc endpoint. */
function peerAddress(s: RawSocket, endpoint: string): string {
  const host = s.remoteAddress;
  if (!host) return endpoint; // unix sockets have no peer address
  return host.includes(":") ? `[${host}]:${s.remotePort}` : `${host}:${s.remotePort}`;
}

function handlers(make: ConnectionFactory, endpoint: () => string, side: ConnectionSide): SocketHandler<SocketSlot> {
  const h: SocketHandler<SocketSlot, "uint8array"> = {
    binaryType: "uint8array",
    open(s) {
      if (!s.data) s.data = { conn: null };
      s.setNoDelay(true);
      const ep = endpoint();
      const info: PeerInfo = {
        endpoint: ep,
        peer: peerAddress(s, ep),
        transport: ep.startsWith("ipc://") ? "ipc" : "tcp",
        side,
        // Bun's sockets expose their descriptor as `fd`, which its type declarations leave out.
        fd: (s as unknown as { fd?: number }).fd ?? -1,
        curveKey: null,
      };
      const conn = make(s, info);
      if (!conn) {
        s.terminate();
        return;
      }
      s.data.conn = conn;
      conn.start();
    },
    data(s, chunk) {
      s.data.conn?.handleData(chunk);
    },
    drain(s) {
      s.data.conn?.handleDrain();
    },
    close(s) {
      if (s.data.conn) s.data.conn.handleClose();
      else if (s.data.onGone) {
        // Closed before a Connection took over (or after it already shut down).
        const gone = s.data.onGone;
        s.data.onGone = undefined;
        gone();
      }
    },
    error(_s, err) {
      log.debug(`${endpoint()}: socket error: ${err.message}`);
    },
    connectError() {
      // Reported through the rejected Bun.connect promise, which the dialer handles.
    },
  };
  // Bun's option types only accept the default "buffer" handler type; plain Uint8Array chunks are
  // cheaper to create and all the decoder needs.
  return h as unknown as SocketHandler<SocketSlot>;
}

/** A bound endpoint; `endpoint` is the resolved address (real port, `ipc://` path as given). */
export interface Binding {
  readonly endpoint: string;
  /** The listening socket's descriptor (what a daemon upgrade hands to its next image). */
  readonly fd: number;
  /** Stop listening; with `closeConnections` false, accepted connections stay open (linger). */
  close(closeConnections?: boolean): void;
}

export interface ListenOptions {
  /**
   * Mode of an ipc socket file from the moment it exists: the umask is set around the bind, so no peer
   * can connect between the bind and a later chmod. Default: whatever the process umask gives.
   */
  ipcMode?: number;
  /**
   * Listen on this already-listening descriptor instead of binding (inherited across a daemon
   * upgrade's exec); `text` must then be the endpoint it was bound as (real port, ipc path).
   */
  fd?: number;
}

/** Listen on `text`; every accepted socket gets a Connection from `make`. */
export async function listen(text: string, make: ConnectionFactory, options: ListenOptions = {}): Promise<Binding> {
  const ep = parseEndpoint(text);
  let listener: SocketListener<SocketSlot>;
  let resolved: Endpoint;
  const endpointOf = () => formatEndpoint(resolved);
  try {
    if (options.fd !== undefined) {
      // Bun's listen options accept `fd` at run time; its typings list only the tcp and unix forms.
      const listenFd = Bun.listen as unknown as (o: {
        fd: number;
        socket: SocketHandler<SocketSlot>;
      }) => SocketListener<SocketSlot>;
      listener = listenFd({ fd: options.fd, socket: handlers(make, endpointOf, "accepted") });
      resolved = ep;
    } else if (ep.transport === "tcp") {
      const hostname = await endpointAddress(ep, text);
      const l: TCPSocketListener<SocketSlot> = Bun.listen<SocketSlot>({
        hostname,
        port: ep.port,
        socket: handlers(make, endpointOf, "accepted"),
      });
      listener = l;
      resolved = { transport: "tcp", host: hostname, port: l.port };
    } else {
      // libzmq removes a stale socket file left by a crashed owner; so do we. (Bun.file rather than
      // node:fs, whose module costs ~4 MB RSS in the compiled binary.)
      if (!ep.abstract)
        await Bun.file(ep.path)
          .delete()
          .catch(() => {}); // no stale file: nothing to remove (a real problem shows at listen)
      // Nothing else runs between these synchronous calls, so the umask affects this file alone.
      const mask = options.ipcMode === undefined || ep.abstract ? null : process.umask(~options.ipcMode & 0o777);
      let l: UnixSocketListener<SocketSlot>;
      try {
        l = Bun.listen<SocketSlot>({ unix: unixPath(ep), socket: handlers(make, endpointOf, "accepted") });
      } finally {
        if (mask !== null) process.umask(mask);
      }
      listener = l;
      resolved = ep;
    }
  } catch (e) {
    if (e instanceof EndpointError) throw e;
    throw new EndpointError(text, bindFailure(ep, e), { cause: e });
  }
  const endpoint = formatEndpoint(resolved);
  log.debug(`bound ${endpoint}`);
  const fd = options.fd ?? (listener as unknown as { fd?: number }).fd ?? -1;
  return {
    endpoint,
    fd,
    close(closeConnections = true) {
      // For ipc, Bun's stop() also unlinks the socket file, as libzmq does on close — but only for a
      // socket it bound itself: an inherited one's file is removed here. Lingering connections are
      // left open here and closed by their owner once flushed.
      listener.stop(closeConnections);
      if (options.fd !== undefined && ep.transport === "ipc" && !ep.abstract) {
        void Bun.file(ep.path)
          .delete()
          .catch(() => {}); // already gone
      }
    },
  };
}

/** Why a bind failed, in words a user can act on (Bun says only "Failed to listen at <host>"). */
function bindFailure(ep: Endpoint, e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const where = ep.transport === "tcp" ? `port ${ep.port} on ${ep.host}` : ep.path;
  switch (code) {
    case "EADDRINUSE":
      return `address in use: another program (another daemon?) already listens on ${where}; stop it or pick another endpoint`;
    case "EADDRNOTAVAIL":
      return `address not available: ${ep.transport === "tcp" ? ep.host : ep.path} is not an address of this host`;
    case "EACCES":
    case "EPERM":
      return `permission denied for ${where}${ep.transport === "tcp" && ep.port < 1024 ? " (ports below 1024 need root)" : ""}`;
    case "ENOENT":
      return `cannot create ${where}: its directory does not exist`;
    default:
      return `cannot bind: ${(e as Error).message}${typeof code === "string" ? ` (${code})` : ""}`;
  }
}

/**
 * The connecting side: one connection at a time to `text`, re-established `interval` ms plus up to
 * the same again of jitter after every failure or disconnect, as libzmq does (no backoff).
 */
export class Dialer {
  private readonly ep: Endpoint;
  private socket: RawSocket | undefined;
  /** Aborted by close(): a pending reconnect pause ends and no connection is kept. */
  private readonly closing = new AbortController();
  private readonly handler: SocketHandler<SocketSlot>;

  constructor(
    readonly endpoint: string,
    make: ConnectionFactory,
    private readonly interval: number,
    /** Told of every failed attempt, before the retry waits: errno name and message. */
    private readonly onFailure: (code: string, reason: string) => void = () => {},
  ) {
    this.ep = parseEndpoint(endpoint);
    this.handler = handlers(make, () => endpoint, "connected");
    void this.attempt();
  }

  close(): void {
    this.closing.abort();
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      s.data.onGone = undefined;
      if (s.data.conn) s.data.conn.close();
      else s.end();
    }
  }

  private async attempt(): Promise<void> {
    if (this.closing.signal.aborted) return;
    const data: SocketSlot = { conn: null, onGone: () => this.lost() };
    try {
      const s =
        this.ep.transport === "tcp"
          ? await Bun.connect<SocketSlot>({
              hostname: await endpointAddress(this.ep, this.endpoint),
              port: this.ep.port,
              socket: this.handler,
              data,
            })
          : await Bun.connect<SocketSlot>({ unix: unixPath(this.ep), socket: this.handler, data });
      if (this.closing.signal.aborted) {
        data.onGone = undefined;
        s.data.conn?.close();
        s.end();
        return;
      }
      this.socket = s;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      log.debug(`connect ${this.endpoint} failed: ${(e as Error).message}`);
      this.onFailure(typeof code === "string" ? code : "EIO", (e as Error).message);
      void this.reconnectLater();
    }
  }

  private lost(): void {
    this.socket = undefined;
    void this.reconnectLater();
  }

  /** One attempt follows each failure or loss (never two at once), after the pause with its jitter. */
  private async reconnectLater(): Promise<void> {
    if (await delay(this.interval + Math.random() * this.interval, this.closing.signal)) await this.attempt();
  }
}
