// The one doorway to the C library: lazily dlopen()s libc and exposes typed symbols plus errno.
// Everything else in src/os builds on this; nothing outside src/os may import bun:ffi.

import { dlopen, read, ptr, CString, type FFIFunction, type Library, type Pointer } from "bun:ffi";

// Variadic functions (fcntl, prctl) are declared with fixed integer arguments: on x86-64 and aarch64
// Linux, integer varargs travel in the same registers as named ones, so this is call-compatible.
const SYMBOLS = {
  __errno_location: { args: [], returns: "ptr" },
  strerror: { args: ["i32"], returns: "ptr" },
  getpid: { args: [], returns: "i32" },
  getppid: { args: [], returns: "i32" },
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  listen: { args: ["i32", "i32"], returns: "i32" },
  getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  getpeername: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  socketpair: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  shutdown: { args: ["i32", "i32"], returns: "i32" },
  sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64" },
  fcntl: { args: ["i32", "i32", "i64"], returns: "i32" },
  poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
  inet_pton: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  inet_ntop: { args: ["i32", "ptr", "ptr", "u32"], returns: "ptr" },
  if_nametoindex: { args: ["ptr"], returns: "u32" },
  umask: { args: ["u32"], returns: "u32" },
  getrlimit: { args: ["i32", "ptr"], returns: "i32" },
  setrlimit: { args: ["i32", "ptr"], returns: "i32" },
  getpwnam_r: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  getpwuid_r: { args: ["u32", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  getgrnam_r: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  getgrgid_r: { args: ["u32", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  getgrouplist: { args: ["ptr", "u32", "ptr", "ptr"], returns: "i32" },
  setsid: { args: [], returns: "i32" },
  isatty: { args: ["i32"], returns: "i32" },
  prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
  waitpid: { args: ["i32", "ptr", "i32"], returns: "i32" },
  waitid: { args: ["i32", "i32", "ptr", "i32"], returns: "i32" },
  kill: { args: ["i32", "i32"], returns: "i32" },
  setgid: { args: ["u32"], returns: "i32" },
  setuid: { args: ["u32"], returns: "i32" },
  setgroups: { args: ["u64", "ptr"], returns: "i32" },
  access: { args: ["ptr", "i32"], returns: "i32" },
  execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  sigaction: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  sigprocmask: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  signal: { args: ["i32", "u64"], returns: "u64" },
  // Small file operations for src/os/fs.ts (open's mode is its one variadic integer).
  open: { args: ["ptr", "i32", "u32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64" },
  pread: { args: ["i32", "ptr", "u64", "i64"], returns: "i64" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64" },
  writev: { args: ["i32", "ptr", "i32"], returns: "i64" },
  unlink: { args: ["ptr"], returns: "i32" },
  readlink: { args: ["ptr", "ptr", "u64"], returns: "i64" },
  mkdir: { args: ["ptr", "u32"], returns: "i32" },
  chmod: { args: ["ptr", "u32"], returns: "i32" },
  chown: { args: ["ptr", "u32", "u32"], returns: "i32" },
  lchown: { args: ["ptr", "u32", "u32"], returns: "i32" },
  rename: { args: ["ptr", "ptr"], returns: "i32" },
  opendir: { args: ["ptr"], returns: "ptr" },
  readdir: { args: ["ptr"], returns: "ptr" },
  closedir: { args: ["ptr"], returns: "i32" },
  // The launcher's status pipe (src/os/launcher.ts).
  pipe2: { args: ["ptr", "i32"], returns: "i32" },
  // The daemon upgrade's state file (src/os/handover.ts).
  memfd_create: { args: ["ptr", "u32"], returns: "i32" },
  // pidfd_open has no libc wrapper in older glibc, and glibc's sigaction refuses the signals it
  // reserves (32, 33): the raw system call (integer arguments only; pass 0 for unused ones).
  syscall: { args: ["i64", "i64", "i64", "i64", "i64"], returns: "i64" },
  lseek: { args: ["i32", "i64", "i32"], returns: "i64" },
} as const satisfies Record<string, FFIFunction>;

export type LibcSymbols = Library<typeof SYMBOLS>["symbols"];

// glibc first; musl installs its loader-cum-libc under an arch-specific name.
const CANDIDATES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

/** The C library could not be loaded at all (not Linux, or an unusual libc name). */
export class LibcUnavailableError extends Error {
  override name = "LibcUnavailableError";
  constructor(readonly attempts: string[]) {
    super(
      `cannot load the C library (tried ${CANDIDATES.join(", ")}): ${attempts.join("; ")} — circus needs Linux with glibc or musl`,
    );
  }
}

let loaded: LibcSymbols | null = null;

/** The libc symbol table, opened on first use so importing src/os costs nothing. */
export function libc(): LibcSymbols {
  if (loaded) return loaded;
  const attempts: string[] = [];
  for (const name of CANDIDATES) {
    try {
      loaded = dlopen(name, SYMBOLS).symbols;
      return loaded;
    } catch (err) {
      attempts.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new LibcUnavailableError(attempts);
}

/** errno of the last failed libc call on this thread; read it right after the failing call. */
export function errno(): number {
  const location = libc().__errno_location();
  return location === null ? 0 : read.i32(location as Pointer, 0);
}

/** The C library's own description of an errno value ("Address already in use"). */
export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : new CString(p as Pointer).toString();
}

/** A NUL-terminated UTF-8 copy of `text`, suitable for `const char *` arguments. */
export function cstr(text: string): Buffer {
  return Buffer.from(text + "\0", "utf8");
}

/** Read a NUL-terminated string at `address` (a pointer returned inside a C struct). */
export function readCString(address: number | bigint): string {
  if (address === 0 || address === 0n) return "";
  return new CString(Number(address) as Pointer).toString();
}

/** Address of a typed array's bytes, as a 64-bit value to store inside C arrays of pointers. */
export function addressOf(view: NodeJS.TypedArray): bigint {
  return BigInt(ptr(view));
}
