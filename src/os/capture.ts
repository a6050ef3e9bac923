// The channel a captured worker writes its stdout or stderr into: a unix socket pair made by the
// daemon. The worker's end becomes its fd 1 or 2 (blocking, as programs expect); the daemon keeps the
// other end, non-blocking, and wraps it with `Bun.connect({fd})` so reading can pause (backpressure)
// and resume without losing a byte, and the fd can be handed to another process as it is.

import { OsError } from "./errors.ts";
import { errno, libc } from "./libc.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SHUT_RD = 0;
const SHUT_WR = 1;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/** Both ends of one output channel; close-on-exec, so no other child ever inherits them. */
export interface OutputPair {
  /** Kept by the daemon: read-only, non-blocking. */
  readonly daemonFd: number;
  /** Given to one worker as its fd 1 or 2 (Bun.spawn dup2s it, which clears close-on-exec there). */
  readonly workerFd: number;
}

/**
 * Create one output channel. Throws OsError (EMFILE, ENFILE, ENOMEM…) when the kernel refuses; the
 * caller treats that as a spawn failure.
 */
export function outputPair(): OutputPair {
  const c = libc();
  const fds = new Int32Array(2);
  if (c.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) !== 0) {
    throw new OsError("socketpair", errno(), "worker output channel");
  }
  const [daemonFd, workerFd] = [fds[0]!, fds[1]!];
  // One direction only: the worker cannot read what nobody writes, the daemon never writes.
  c.shutdown(daemonFd, SHUT_WR);
  c.shutdown(workerFd, SHUT_RD);
  const flags = c.fcntl(daemonFd, F_GETFL, 0);
  if (flags < 0 || c.fcntl(daemonFd, F_SETFL, flags | O_NONBLOCK) !== 0) {
    const code = errno();
    c.close(daemonFd);
    c.close(workerFd);
    throw new OsError("fcntl", code, "worker output channel");
  }
  return { daemonFd, workerFd };
}

export { closeFd } from "./fs.ts";
