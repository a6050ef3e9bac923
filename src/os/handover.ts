// What a daemon upgrade needs from the kernel: an anonymous file holding the state handed to the next
// image (a memfd, inherited across execve, never argv), the close-on-exec flag of the descriptors
// that must survive the exec, and a non-blocking look at one child's exit for workers the new image
// did not spawn (Bun has no Subprocess for them).

import { OsError, Errno } from "./errors.ts";
import { writeAllFd } from "./fs.ts";
import { cstr, errno, libc } from "./libc.ts";

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const SEEK_SET = 0;
const WNOHANG = 1;

/** Set or clear close-on-exec on `fd`; throws OsError (EBADF: the fd is not open). */
export function setCloseOnExec(fd: number, on: boolean): void {
  const c = libc();
  const flags = c.fcntl(fd, F_GETFD, 0);
  if (flags < 0) throw new OsError("fcntl", errno(), `fd ${fd}`);
  const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (next !== flags && c.fcntl(fd, F_SETFD, next) !== 0) throw new OsError("fcntl", errno(), `fd ${fd}`);
}

/** Whether `fd` is an open descriptor of this process. */
export function isOpenFd(fd: number): boolean {
  return libc().fcntl(fd, F_GETFD, 0) >= 0;
}

/**
 * An anonymous in-memory file holding `bytes`, open without close-on-exec so the next image inherits
 * it; returns its fd (positioned at the start).
 */
export function memoryFileWith(name: string, bytes: Uint8Array): number {
  const c = libc();
  const fd = c.memfd_create(cstr(name), 0);
  if (fd < 0) throw new OsError("memfd_create", errno(), name);
  try {
    writeAllFd(fd, bytes, name);
  } catch (err) {
    c.close(fd);
    throw err;
  }
  if (Number(c.lseek(fd, 0, SEEK_SET)) !== 0) {
    const code = errno();
    c.close(fd);
    throw new OsError("lseek", code, name);
  }
  return fd;
}

/** Everything left to read on `fd` (a regular or memory file), then close it. */
export function readAllAndClose(fd: number): Uint8Array {
  const c = libc();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const chunk = new Uint8Array(1 << 16);
      const n = Number(c.read(fd, chunk, chunk.length));
      if (n < 0) {
        const code = errno();
        if (code === Errno.EINTR) continue;
        throw new OsError("read", code, `fd ${fd}`);
      }
      if (n === 0) break;
      parts.push(chunk.subarray(0, n));
      total += n;
    }
  } finally {
    c.close(fd);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** pidfd_open(2): the same number on x86-64 and aarch64 (the unified syscall table, Linux ≥ 5.3). */
const SYS_PIDFD_OPEN = 434;

/**
 * A pidfd for `pid` (close-on-exec), readable once the process has exited; null when the kernel has no
 * pidfd_open (before 5.3) or the process is gone. Lets one poll(2) watch any number of processes.
 */
export function pidfdOpen(pid: number): number | null {
  const fd = Number(libc().syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0));
  return fd >= 0 ? fd : null;
}

/** One child's state as waitpid(pid, WNOHANG) tells it. */
export type ChildState =
  | { state: "running" }
  | { state: "exited"; status: number }
  /** Not (or no longer) our child: someone else collected it, or it never was one. */
  | { state: "gone" };

/** Look at child `pid` without blocking; collects (reaps) it when it has exited. */
export function pollChild(pid: number): ChildState {
  const status = new Int32Array(1);
  for (;;) {
    const got = libc().waitpid(pid, status, WNOHANG);
    if (got > 0) return { state: "exited", status: status[0]! };
    if (got === 0) return { state: "running" };
    const code = errno();
    if (code === Errno.EINTR) continue;
    if (code === Errno.ECHILD) return { state: "gone" };
    throw new OsError("waitpid", code, `pid ${pid}`);
  }
}
