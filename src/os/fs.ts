// Small synchronous file operations through libc, for the modules the idle daemon loads (config
// reading, the pidfile, /proc scans, control-socket permissions): node:fs costs ~4.5 MB RSS in the
// compiled daemon, and libc is loaded anyway. Errors are OsErrors carrying errno and the path.

import { Errno, OsError } from "./errors.ts";
import { cstr, errno, libc, readCString } from "./libc.ts";
import { nodeFs, nodeOs } from "../util/node.ts";

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

/** Whose permissions a check is about: a user and every group it is in (primary included). */
export interface Credentials {
  uid: number;
  groups: readonly number[];
}

const W_OK = 2;
const X_OK = 1;

/** Whether a file's mode grants `who` the `bits` (W_OK/X_OK), by owner, then group, then others. */
function granted(st: { uid: number; gid: number; mode: number }, who: Credentials, bits: number): boolean {
  if (who.uid === 0) return true; // directories and writes: root is never refused
  const shift = st.uid === who.uid ? 6 : who.groups.includes(st.gid) ? 3 : 0;
  return ((st.mode >> shift) & bits) === bits;
}

/**
 * Why `who` could not create or append to the absolute `path` on its own, or null when it could: each
 * directory on the way must let it search, and the file must let it write (or, when absent, its
 * directory must). A symbolic link in the last place is refused outright: whoever can replace it
 * decides which file gets written. Checked with the daemon's view of the file system, as root sees it.
 */
export function whyCannotWrite(path: string, who: Credentials): string | null {
  if (!path.startsWith("/")) return `${path} is not an absolute path`;
  const fs = nodeFs();
  const parts = path.split("/").filter((p) => p !== "");
  let dir = "/";
  for (let i = 0; i < parts.length - 1; i++) {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st) return `${dir} does not exist`;
    if (!granted(st, who, X_OK)) return `uid ${who.uid} may not enter ${dir}`;
    dir = dir === "/" ? `/${parts[i]}` : `${dir}/${parts[i]}`;
  }
  const parent = fs.statSync(dir, { throwIfNoEntry: false });
  if (!parent?.isDirectory()) return `${dir} is not a directory`;
  if (!granted(parent, who, X_OK)) return `uid ${who.uid} may not enter ${dir}`;
  const st = fs.lstatSync(path, { throwIfNoEntry: false });
  if (!st) return granted(parent, who, W_OK) ? null : `uid ${who.uid} may not create files in ${dir}`;
  if (st.isSymbolicLink()) return `${path} is a symbolic link; give the file itself`;
  if (st.isDirectory()) return `${path} is a directory`;
  return granted(st, who, W_OK) ? null : `uid ${who.uid} may not write ${path}`;
}

/** Why `who` could not enter the directory `path` (search it and every directory above), or null if it could. */
export function whyCannotEnter(path: string, who: Credentials): string | null {
  if (!path.startsWith("/")) return `${path} is not an absolute path`;
  const fs = nodeFs();
  let dir = "";
  for (const part of ["", ...path.split("/").filter((p) => p !== "")]) {
    dir = part === "" ? "/" : dir === "/" ? `/${part}` : `${dir}/${part}`;
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st) return `${dir} does not exist`;
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (!granted(st, who, X_OK)) return `uid ${who.uid} may not enter ${dir}`;
  }
  return null;
}

const ELOOP = 40;

/**
 * A symbolic link the daemon may follow: created by root or by the daemon's own user, in a directory
 * nobody else can change (or a sticky one, where only a link's owner may replace it) — /dev/stdout, or
 * a link the administrator made. Anyone else's link, or one in a directory others may write, could be
 * swapped to point at any file the daemon can write.
 */
function isTrustedLink(path: string): boolean {
  const fs = nodeFs();
  const me = process.geteuid?.() ?? 0;
  const trusted = (uid: number) => uid === 0 || uid === me;
  const link = fs.lstatSync(path, { throwIfNoEntry: false });
  if (!link?.isSymbolicLink() || !trusted(link.uid)) return false;
  const dir = fs.statSync(path.slice(0, path.lastIndexOf("/")) || "/", { throwIfNoEntry: false });
  if (!dir) return false;
  const othersMayWrite = (dir.mode & 0o022) !== 0 || !trusted(dir.uid);
  return !othersMayWrite || (dir.mode & 0o1000) !== 0;
}

/**
 * Open the absolute `path` to append to it, created with `mode` when absent, without following a
 * symbolic link someone else planted there (O_NOFOLLOW): a worker that replaces its own log file with a
 * link to /etc/shadow must not make a root daemon append to /etc/shadow. Trusted links (isTrustedLink)
 * are followed. Throws OsError (ELOOP with the reason) or node's error for anything else.
 */
export function openAppend(path: string, mode = 0o644): number {
  const fs = nodeFs();
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
  try {
    return fs.openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode);
  } catch (err) {
    if ((err as { code?: string }).code !== "ELOOP") throw err;
    if (!isTrustedLink(path)) {
      const why = "it is a symbolic link another user made or could replace, not followed; log to the file itself";
      throw new OsError("open", ELOOP, path, why);
    }
    return fs.openSync(path, O_WRONLY | O_APPEND | O_CREAT, mode);
  }
}

/**
 * Open the absolute `path` for reading without following a symbolic link in its last place; for files
 * the daemon reads back out of directories others write (a rotated log to compress).
 */
export function openReadNoFollow(path: string): number {
  const fs = nodeFs();
  return fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
}

/** Create `path` for writing; fails if anything, a symbolic link included, is already there (O_EXCL). */
export function createExclusive(path: string, mode = 0o644): number {
  const fs = nodeFs();
  const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
  return fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL, mode);
}

/**
 * A new directory only this user may list, `prefix` + random letters under $XDG_RUNTIME_DIR or the
 * temp directory (the shorter, for unix socket paths), mode 0711 so a worker running as another user
 * can reach a socket in it that is its own. Remove with removeDir.
 */
export function makePrivateDir(prefix: string): string {
  const fs = nodeFs();
  const candidates = [process.env.XDG_RUNTIME_DIR, nodeOs().tmpdir(), "/tmp"].filter(
    (d): d is string => typeof d === "string" && d !== "" && fs.existsSync(d),
  );
  const base = candidates.sort((a, b) => a.length - b.length)[0] ?? "/tmp";
  const dir = fs.mkdtempSync(`${base.replace(/\/$/, "")}/${prefix}`);
  fs.chmodSync(dir, 0o711);
  return dir;
}

/** Remove a directory and what it holds (errors ignored: it is ours and temporary). */
export function removeDir(path: string): void {
  try {
    nodeFs().rmSync(path, { recursive: true, force: true });
  } catch {
    // Already gone.
  }
}
