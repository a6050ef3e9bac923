// Small synchronous file operations through libc, for the modules the idle daemon loads (config
// reading, the pidfile, /proc scans, control-socket permissions): node:fs costs ~4.5 MB RSS in the
// compiled daemon, and libc is loaded anyway. Errors are OsErrors carrying errno and the path.

import { Errno, OsError } from "./errors.ts";
import { cstr, errno, libc, readCString } from "./libc.ts";

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const F_OK = 0;
const CHUNK = 64 * 1024;
/** struct dirent: d_name follows d_ino (8), d_off (8), d_reclen (2) and d_type (1) on 64-bit glibc and musl. */
const DIRENT_NAME = 19;

function openFile(path: string, flags: number, mode = 0): number {
  for (;;) {
    const fd = libc().open(cstr(path), flags | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    const code = errno();
    if (code !== Errno.EINTR) throw new OsError("open", code, path);
  }
}

/** The whole file as bytes (files of /proc report size 0, so this reads until EOF). */
export function readBytes(path: string): Uint8Array {
  const c = libc();
  const fd = openFile(path, O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      const n = Number(c.read(fd, chunk, CHUNK));
      if (n < 0) {
        const code = errno();
        if (code === Errno.EINTR) continue;
        throw new OsError("read", code, path);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } finally {
    c.close(fd);
  }
}

/** The whole file decoded as UTF-8 (`latin1` for /proc files whose bytes are not text). */
export function readText(path: string, encoding: "utf-8" | "latin1" = "utf-8"): string {
  return new TextDecoder(encoding).decode(readBytes(path));
}

/** Create or truncate `path` (with `mode` when created) and write `text` to it. */
export function writeText(path: string, text: string, mode = 0o666): void {
  const fd = openFile(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    writeFd(fd, text, path);
  } finally {
    libc().close(fd);
  }
}

/** Write all of `text` to an open descriptor (`subject` names it in errors). */
export function writeFd(fd: number, text: string, subject = `fd ${fd}`): void {
  const c = libc();
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  while (at < bytes.length) {
    const n = Number(c.write(fd, bytes.subarray(at), bytes.length - at));
    if (n < 0) {
      const code = errno();
      if (code === Errno.EINTR) continue;
      throw new OsError("write", code, subject);
    }
    at += n;
  }
}

/** Close a descriptor this process was handed (an inherited pipe); errors are of no use here. */
export function closeFd(fd: number): void {
  libc().close(fd);
}

/** Whether `path` exists (following symlinks, as node's existsSync). */
export function exists(path: string): boolean {
  return libc().access(cstr(path), F_OK) === 0;
}

export function unlink(path: string): void {
  if (libc().unlink(cstr(path)) !== 0) throw new OsError("unlink", errno(), path);
}

export function chmod(path: string, mode: number): void {
  if (libc().chmod(cstr(path), mode) !== 0) throw new OsError("chmod", errno(), path);
}

/** chown; -1 leaves the uid or gid as it is. */
export function chown(path: string, uid: number, gid: number): void {
  if (libc().chown(cstr(path), uid >>> 0, gid >>> 0) !== 0) throw new OsError("chown", errno(), path);
}

/** Names in a directory, without "." and "..", in the kernel's order. */
export function listDir(path: string): string[] {
  const c = libc();
  const dir = c.opendir(cstr(path));
  if (dir === null) throw new OsError("opendir", errno(), path);
  const names: string[] = [];
  try {
    for (;;) {
      const entry = c.readdir(dir);
      if (entry === null) break;
      const name = readCString(Number(entry) + DIRENT_NAME);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    c.closedir(dir);
  }
  return names;
}
