// Unix datagram sockets: send-only ones (syslog's /dev/log, systemd's NOTIFY_SOCKET) — Bun's udpSocket
// speaks only UDP, so this is socket(AF_UNIX, SOCK_DGRAM) + sendto through libc; sends never block, a
// full receiver drops the datagram — and bound ones the daemon reads (a worker's NOTIFY_SOCKET).

import { errno, libc } from "./libc.ts";
import { Errno, OsError } from "./errors.ts";
import { SUN_PATH_SIZE } from "../util/sockaddr.ts";
import { chmod, chown, unlink } from "./fs.ts";
import { FAMILY, SOCK_CLOEXEC, sockaddrUn, TYPE } from "./sockets.ts";

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

export class UnixDatagramSender {
  private readonly fd: number;
  private readonly addr: Uint8Array;
  private readonly addrLength: number;

  /** Open a socket that sends to `path`; throws OsError when the socket cannot be created. */
  /** `path` may name an abstract socket with a leading `@` (systemd's NOTIFY_SOCKET convention). */
  constructor(readonly path: string) {
    if (Buffer.byteLength(path) >= SUN_PATH_SIZE) throw new OsError("sendto", Errno.ENAMETOOLONG, path);
    ({ addr: this.addr, length: this.addrLength } = sockaddrUn(path.startsWith("@") ? `\0${path.slice(1)}` : path));
    const fd = libc().socket(FAMILY.AF_UNIX, TYPE.SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new OsError("socket", errno(), "AF_UNIX SOCK_DGRAM");
    this.fd = fd;
  }

  /** Send one datagram; throws OsError (ENOENT, ECONNREFUSED, EAGAIN when the receiver is full, …). */
  send(data: Uint8Array): void {
    const sent = libc().sendto(this.fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL, this.addr, this.addrLength);
    if (sent < 0) throw new OsError("sendto", errno(), this.path);
  }

  close(): void {
    libc().close(this.fd);
  }
}

const SOCK_NONBLOCK = 0o4000;

// Bun.connect({fd}) watches any socket fd Bun can read (decisions §3); its typings list only tcp and unix.
type FdSocket = { end(): void; terminate?(): void };
type FdConnect = (options: {
  fd: number;
  socket: {
    data(socket: FdSocket, chunk: Uint8Array): void;
    close?(socket: FdSocket): void;
    error?(socket: FdSocket, err: Error): void;
  };
}) => Promise<FdSocket>;

/**
 * A bound unix datagram socket the daemon reads: each datagram reaches `onMessage` whole (Bun reads a
 * datagram per recv). The file is mode 0600 (given to `owner` when set, so a worker running as another
 * user may send), and removed by close().
 */
export class UnixDatagramReceiver {
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly socket: FdSocket,
  ) {}

  /** Bind `path` and start reading; throws OsError when the socket cannot be made. */
  static async open(
    path: string,
    onMessage: (data: Uint8Array) => void,
    owner: { uid: number; gid: number } | null = null,
  ): Promise<UnixDatagramReceiver> {
    if (Buffer.byteLength(path) >= SUN_PATH_SIZE) throw new OsError("bind", Errno.ENAMETOOLONG, path);
    const c = libc();
    const fd = c.socket(FAMILY.AF_UNIX, TYPE.SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw new OsError("socket", errno(), "AF_UNIX SOCK_DGRAM");
    const { addr, length } = sockaddrUn(path);
    try {
      if (c.bind(fd, addr, length) !== 0) throw new OsError("bind", errno(), path);
      chmod(path, 0o600);
      if (owner !== null) chown(path, owner.uid, owner.gid);
    } catch (err) {
      c.close(fd);
      removeQuietly(path);
      throw err;
    }
    const connect = Bun.connect as unknown as FdConnect;
    let socket: FdSocket;
    try {
      socket = await connect({ fd, socket: { data: (_s, chunk) => onMessage(chunk) } });
    } catch (err) {
      c.close(fd);
      removeQuietly(path);
      throw err;
    }
    return new UnixDatagramReceiver(path, socket);
  }

  /** Stop reading, close the socket and remove its file (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    removeQuietly(this.path);
  }
}

function removeQuietly(path: string): void {
  try {
    unlink(path);
  } catch {
    // Already gone: nothing to clean.
  }
}
