// Send-only unix datagram sockets (syslog's /dev/log): Bun's udpSocket speaks only UDP, so this is
// socket(AF_UNIX, SOCK_DGRAM) + sendto through libc. Sends never block: a full receiver drops the datagram.

import { errno, libc } from "./libc.ts";
import { Errno, OsError } from "./errors.ts";
import { SUN_PATH_SIZE } from "../util/sockaddr.ts";
import { FAMILY, SOCK_CLOEXEC, sockaddrUn, TYPE } from "./sockets.ts";

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

export class UnixDatagramSender {
  private readonly fd: number;
  private readonly addr: Uint8Array;
  private readonly addrLength: number;

  /** Open a socket that sends to `path`; throws OsError when the socket cannot be created. */
  constructor(readonly path: string) {
    if (Buffer.byteLength(path) >= SUN_PATH_SIZE) throw new OsError("sendto", Errno.ENAMETOOLONG, path);
    ({ addr: this.addr, length: this.addrLength } = sockaddrUn(path));
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
