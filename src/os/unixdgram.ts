// Send-only unix datagram sockets (syslog's /dev/log): Bun's udpSocket speaks only UDP, so this is
// socket(AF_UNIX, SOCK_DGRAM) + sendto through libc. Sends never block: a full receiver drops the datagram.

import { dlopen, type Library } from "bun:ffi";
import { errno, libc } from "./libc.ts";
import { OsError } from "./errors.ts";
import { sockaddrUn, UNIX_PATH_MAX } from "./sockets.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

const EXTRA = { sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64" } } as const;
let extra: Library<typeof EXTRA>["symbols"] | null = null;

// sendto is not in libc.ts's table (owned by another module); open it alongside, same candidates.
function sendto(): Library<typeof EXTRA>["symbols"]["sendto"] {
  if (!extra) {
    libc();
    for (const name of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"]) {
      try {
        extra = dlopen(name, EXTRA).symbols;
        break;
      } catch {
        // Try the next name; libc() above already proved one of them loads.
      }
    }
    if (!extra) throw new Error("cannot load sendto from the C library");
  }
  return extra.sendto;
}

export class UnixDatagramSender {
  private readonly fd: number;
  private readonly addr: Uint8Array;
  private readonly addrLength: number;

  /** Open a socket that sends to `path`; throws OsError when the socket cannot be created. */
  constructor(readonly path: string) {
    if (Buffer.byteLength(path) >= UNIX_PATH_MAX) throw new OsError("sendto", 36, path);
    ({ addr: this.addr, length: this.addrLength } = sockaddrUn(path));
    const fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new OsError("socket", errno(), "AF_UNIX SOCK_DGRAM");
    this.fd = fd;
  }

  /** Send one datagram; throws OsError (ENOENT, ECONNREFUSED, EAGAIN when the receiver is full, …). */
  send(data: Uint8Array): void {
    const sent = sendto()(this.fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL, this.addr, this.addrLength);
    if (sent < 0) throw new OsError("sendto", errno(), this.path);
  }

  close(): void {
    libc().close(this.fd);
  }
}
