// Typed failures of libc calls: errno + syscall + what it was applied to + a hint a user can act on.

import { strerror } from "./libc.ts";

// Linux errno values shared by x86-64 and aarch64 (asm-generic), with lower-cased descriptions so
// messages read as one sentence. Unlisted values fall back to libc's strerror().
const ERRNOS: Record<number, [code: string, description: string]> = {
  1: ["EPERM", "operation not permitted"],
  2: ["ENOENT", "no such file or directory"],
  3: ["ESRCH", "no such process"],
  4: ["EINTR", "interrupted system call"],
  5: ["EIO", "input/output error"],
  7: ["E2BIG", "argument list too long"],
  8: ["ENOEXEC", "exec format error"],
  9: ["EBADF", "bad file descriptor"],
  10: ["ECHILD", "no child processes"],
  11: ["EAGAIN", "resource temporarily unavailable"],
  12: ["ENOMEM", "cannot allocate memory"],
  13: ["EACCES", "permission denied"],
  14: ["EFAULT", "bad address"],
  16: ["EBUSY", "device or resource busy"],
  17: ["EEXIST", "file exists"],
  19: ["ENODEV", "no such device"],
  20: ["ENOTDIR", "not a directory"],
  21: ["EISDIR", "is a directory"],
  22: ["EINVAL", "invalid argument"],
  23: ["ENFILE", "too many open files in system"],
  24: ["EMFILE", "too many open files"],
  26: ["ETXTBSY", "text file busy"],
  28: ["ENOSPC", "no space left on device"],
  30: ["EROFS", "read-only file system"],
  32: ["EPIPE", "broken pipe"],
  34: ["ERANGE", "numerical result out of range"],
  36: ["ENAMETOOLONG", "file name too long"],
  38: ["ENOSYS", "function not implemented"],
  40: ["ELOOP", "too many levels of symbolic links"],
  88: ["ENOTSOCK", "socket operation on non-socket"],
  91: ["EPROTOTYPE", "protocol wrong type for socket"],
  92: ["ENOPROTOOPT", "protocol not available"],
  93: ["EPROTONOSUPPORT", "protocol not supported"],
  94: ["ESOCKTNOSUPPORT", "socket type not supported"],
  95: ["EOPNOTSUPP", "operation not supported"],
  97: ["EAFNOSUPPORT", "address family not supported by protocol"],
  98: ["EADDRINUSE", "address already in use"],
  99: ["EADDRNOTAVAIL", "cannot assign requested address"],
  100: ["ENETDOWN", "network is down"],
  101: ["ENETUNREACH", "network is unreachable"],
  104: ["ECONNRESET", "connection reset by peer"],
  110: ["ETIMEDOUT", "connection timed out"],
  111: ["ECONNREFUSED", "connection refused"],
};

/** Errno numbers this project branches on, named so call sites read as prose. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  ECHILD: 10,
  EAGAIN: 11,
  EACCES: 13,
  EEXIST: 17,
  EINVAL: 22,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  EADDRINUSE: 98,
} as const;

// Hints keyed by "syscall:CODE" (or just "CODE") so the same errno can get call-specific advice.
const HINTS: Record<string, string> = {
  "bind:EADDRINUSE": "another process holds the port; pick another port or stop it",
  "bind:EACCES": "ports below 1024 need root (or CAP_NET_BIND_SERVICE); use a higher port or run as root",
  "bind:EADDRNOTAVAIL": "that address is not configured on any interface of this host; check `host`",
  "bind:ENOENT": "the directory of the unix socket path does not exist; create it first",
  "setsockopt:ENODEV": "no network interface has that name; check `interface` (see `ip link`)",
  "setsockopt:EPERM": "binding to a device needs root (CAP_NET_RAW)",
  "socket:EPROTONOSUPPORT": "this protocol does not fit the socket family/type; check `proto`",
  "socket:ESOCKTNOSUPPORT": "this socket type does not exist for that family; check `type`",
  "socket:EAFNOSUPPORT": "the kernel lacks this address family (IPv6 disabled?); check `family`",
  "socket:EPERM": "raw sockets need root (CAP_NET_RAW)",
  "setrlimit:EPERM": "only root may raise a hard limit; lower the value or run circusd as root",
  "setrlimit:EINVAL": "soft limit above hard limit, or above a kernel maximum (fs.nr_open for nofile)",
  "setuid:EPERM": "only root may switch users; run circusd as root or drop the `uid` option",
  "setgid:EPERM": "only root may switch groups; run circusd as root or drop the `gid` option",
  "setgroups:EPERM": "only root may set supplementary groups; run circusd as root or drop `uid`/`gid`",
  EMFILE: "this process hit its open-file limit; raise rlimit nofile",
  ENFILE: "the whole system ran out of file handles; raise fs.file-max",
  EACCES: "check file permissions and the user circusd runs as",
  ENOENT: "check the path",
  ENOEXEC: "the file is not a valid executable (missing #! line?)",
};

/** Symbolic name of an errno value ("EADDRINUSE"), or "errno N" when unknown. */
export function errnoCode(code: number): string {
  return ERRNOS[code]?.[0] ?? `errno ${code}`;
}

/** Human description of an errno value, lower-cased to fit mid-sentence. */
export function errnoDescription(code: number): string {
  const known = ERRNOS[code];
  if (known) return known[1];
  const text = strerror(code);
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A libc call failed: carries errno, its code name and the syscall, so callers can branch on them. */
export class OsError extends Error {
  override name = "OsError";
  readonly code: string;

  constructor(
    readonly syscall: string,
    readonly errno: number,
    /** What the call was applied to ("127.0.0.1:8080", "/tmp/x.sock", "pid 42"); empty if nothing. */
    readonly subject = "",
    hint?: string,
  ) {
    const code = errnoCode(errno);
    const advice = hint ?? HINTS[`${syscall}:${code}`] ?? HINTS[code];
    const where = subject ? `${syscall} ${subject}` : syscall;
    super(`${where}: ${errnoDescription(errno)} (${code})${advice ? ` — ${advice}` : ""}`);
    this.code = code;
  }
}
