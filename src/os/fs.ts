// Small synchronous file operations through libc, for the modules the idle daemon loads (config
// reading, the pidfile, /proc scans, control-socket permissions): node:fs costs ~4.5 MB RSS in the
// compiled daemon, and libc is loaded anyway. Errors are OsErrors carrying errno and the path.

import { Errno, OsError } from "./errors.ts";
import { addressOf, cstr, errno, libc, readCString } from "./libc.ts";
import { nodeFs, nodeOs } from "../util/node.ts";

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_EXCL = 0o200;
const O_NOFOLLOW = 0o400000;
const O_APPEND = 0o2000;
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

/**
 * Put a file with `text` at `path` by writing a fresh file next to it and renaming it into place: whatever
 * was at `path` — a symbolic link another user planted in a directory it may write, say — is replaced,
 * never written through.
 */
export function replaceText(path: string, text: string, mode = 0o644): void {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  const temp = `${path}.${process.pid}-${suffix}.tmp`;
  const fd = openFile(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    writeFd(fd, text, temp);
  } finally {
    libc().close(fd);
  }
  if (libc().rename(cstr(temp), cstr(path)) !== 0) {
    const code = errno();
    libc().unlink(cstr(temp));
    throw new OsError("rename", code, path);
  }
}

/** Write all of `text` to an open descriptor (`subject` names it in errors). */
export function writeFd(fd: number, text: string, subject = `fd ${fd}`): void {
  writeAllFd(fd, new TextEncoder().encode(text), subject);
}

/** Write all of `bytes` to an open descriptor, retrying after EINTR (`subject` names it in errors). */
export function writeAllFd(fd: number, bytes: Uint8Array, subject = `fd ${fd}`): void {
  const c = libc();
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

/** A file appended to with one write(2) per call, so each record lands whole even if we are killed. */
export class AppendFile {
  private fd: number;

  /** Open `path` for appending, created with `mode` if needed; `truncate` empties it first. */
  constructor(
    readonly path: string,
    options: { mode?: number; truncate?: boolean } = {},
  ) {
    const flags = O_WRONLY | O_CREAT | O_APPEND | (options.truncate ? O_TRUNC : 0);
    this.fd = openFile(path, flags, options.mode ?? 0o600);
  }

  append(text: string): void {
    writeFd(this.fd, text, this.path);
  }

  close(): void {
    if (this.fd < 0) return;
    libc().close(this.fd);
    this.fd = -1;
  }
}

/** rename(2): atomically replace `to` with `from`. */
export function rename(from: string, to: string): void {
  if (libc().rename(cstr(from), cstr(to)) !== 0) throw new OsError("rename", errno(), `${from} → ${to}`);
}

/** Create directory `path` (`mode`); one that already exists is fine. */
export function makeDir(path: string, mode = 0o700): void {
  if (libc().mkdir(cstr(path), mode) === 0) return;
  const code = errno();
  if (code !== Errno.EEXIST) throw new OsError("mkdir", code, path);
}

/** Close a descriptor this process owns (Linux releases it even when close reports an error). */
export function closeFd(fd: number): void {
  libc().close(fd);
}

/** Whether `path` exists (following symlinks, as node's existsSync). */
export function exists(path: string): boolean {
  return libc().access(cstr(path), F_OK) === 0;
}

/** The target of symbolic link `path` (the text, not resolved), or null when it is not one or cannot be read. */
export function readLink(path: string): string | null {
  const buffer = new Uint8Array(4096);
  const n = Number(libc().readlink(cstr(path), buffer, buffer.length));
  return n < 0 ? null : new TextDecoder().decode(buffer.subarray(0, n));
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

/** chown of `path` itself: a symbolic link there is changed, not the file it points to. */
export function lchown(path: string, uid: number, gid: number): void {
  if (libc().lchown(cstr(path), uid >>> 0, gid >>> 0) !== 0) throw new OsError("lchown", errno(), path);
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

const O_NONBLOCK = 0o4000;
const IOV_MAX = 1024;

/**
 * A private, non-blocking descriptor for the pipe behind our `fd` (the daemon's stdout when it is a
 * pipe): opening /proc/self/fd/N makes a new open file description, so O_NONBLOCK on it does not
 * reach the workers that inherit `fd` itself. Null when `fd` is not a pipe or cannot be reopened.
 */
export function reopenPipeNonBlocking(fd: number): number | null {
  const target = libc().open(cstr(`/proc/self/fd/${fd}`), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
  return target >= 0 ? target : null;
}

/** Returned by writevNow when a non-blocking fd is full. */
export const WOULD_BLOCK = -1;

/**
 * writev(2) from this thread, for non-blocking descriptors: the bytes written (possibly fewer than
 * given), or WOULD_BLOCK when the fd is full. Throws OsError for any other failure (EPIPE, ENOSPC…).
 */
export function writevNow(fd: number, buffers: Uint8Array[]): number {
  const parts = buffers.filter((b) => b.length > 0).slice(0, IOV_MAX);
  if (parts.length === 0) return 0;
  const iov = new BigUint64Array(parts.length * 2);
  parts.forEach((part, i) => {
    iov[i * 2] = addressOf(part);
    iov[i * 2 + 1] = BigInt(part.length);
  });
  for (;;) {
    const n = Number(libc().writev(fd, iov, parts.length));
    if (n >= 0) return n;
    const code = errno();
    if (code === Errno.EINTR) continue;
    if (code === Errno.EAGAIN) return WOULD_BLOCK;
    throw new OsError("writev", code, `fd ${fd}`);
  }
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
const O_DIRECTORY = 0o200000;

/** Root and the daemon's own user: whose links, and whose directories, the daemon may trust. */
function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === (process.geteuid?.() ?? 0);
}

/**
 * Whether the symbolic link `link` in the directory `dir` may be followed: made by root or by the daemon's
 * own user, in a directory nobody else can change (or a sticky one, where only a link's owner may replace
 * it) — /dev/stdout, /var/run, or a link the administrator made. Anyone else's link, or one in a
 * directory others may write, could be swapped to point at any file the daemon can write.
 */
function trustedLinkIn(dir: { uid: number; mode: number }, link: { uid: number }): boolean {
  if (!trustedOwner(link.uid)) return false;
  const othersMayWrite = (dir.mode & 0o022) !== 0 || !trustedOwner(dir.uid);
  return !othersMayWrite || (dir.mode & 0o1000) !== 0;
}

const NOT_FOLLOWED = "it is a symbolic link another user made or could replace, not followed; log to the file itself";

/**
 * A directory opened one name at a time from "/", never through a symbolic link that someone other than
 * root or the daemon's user made or could replace (trustedLinkIn), at any depth: O_NOFOLLOW guards only
 * the last name of a path, so a worker owning a directory on the way to its log could otherwise swap that
 * directory for a link to /etc. Names inside are reached through the open descriptor
 * (`/proc/self/fd/N/name`), so a swap after the walk changes nothing either. Close it when done.
 */
export class PinnedDirectory {
  private constructor(
    /** The directory as given, for messages. */
    readonly path: string,
    private fd: number,
  ) {}

  /** Open the absolute directory `path`; throws OsError (ELOOP with the reason for a refused link). */
  static open(path: string): PinnedDirectory {
    if (!path.startsWith("/")) throw new OsError("open", Errno.EINVAL, path, "an absolute path is needed");
    const fs = nodeFs();
    let fd = openFile("/", O_RDONLY | O_DIRECTORY);
    let walked = "";
    try {
      for (const part of path.split("/").filter((p) => p !== "" && p !== ".")) {
        walked = `${walked}/${part}`;
        const here = `/proc/self/fd/${fd}/${part}`;
        let next: number;
        try {
          next = openFile(here, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (err) {
          if (!(err instanceof OsError)) throw err;
          // A link there fails as ENOTDIR (O_DIRECTORY is checked first) or ELOOP.
          const link = fs.lstatSync(here, { throwIfNoEntry: false });
          if (!link?.isSymbolicLink()) throw new OsError("open", err.errno, walked);
          if (!trustedLinkIn(fs.fstatSync(fd), link)) throw new OsError("open", ELOOP, walked, NOT_FOLLOWED);
          next = openFile(here, O_RDONLY | O_DIRECTORY);
        }
        fs.closeSync(fd);
        fd = next;
      }
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return new PinnedDirectory(path, fd);
  }

  /** A path naming `name` inside this very directory, whatever happened to its path since it was opened. */
  at(name: string): string {
    if (this.fd < 0) throw new Error(`${this.path} is closed`);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /**
   * Open `name` with `flags` (and O_CREAT's `mode`) without following a symbolic link in its place, unless
   * the link is a trusted one (trustedLinkIn). Errors name `name` under the directory's own path.
   */
  openFile(name: string, flags: number, mode = 0): number {
    const shown = this.path === "/" ? `/${name}` : `${this.path}/${name}`;
    try {
      return openFile(this.at(name), flags | O_NOFOLLOW, mode);
    } catch (err) {
      if (!(err instanceof OsError)) throw err;
      if (err.errno !== ELOOP) throw new OsError("open", err.errno, shown);
      const fs = nodeFs();
      if (!trustedLinkIn(fs.fstatSync(this.fd), fs.lstatSync(this.at(name)))) {
        throw new OsError("open", ELOOP, shown, NOT_FOLLOWED);
      }
      return openFile(this.at(name), flags, mode);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    nodeFs().closeSync(this.fd);
    this.fd = -1;
  }
}

/** Run `use` with the directory `path` pinned (PinnedDirectory), closing it afterwards. */
export function inPinnedDirectory<T>(path: string, use: (dir: PinnedDirectory) => T): T {
  const dir = PinnedDirectory.open(path);
  try {
    return use(dir);
  } finally {
    dir.close();
  }
}

/** The directory part and the last name of an absolute path. */
function splitPath(path: string): [string, string] {
  const cut = path.lastIndexOf("/");
  return [path.slice(0, cut) || "/", path.slice(cut + 1)];
}

/**
 * Open the absolute `path` to append to it, created with `mode` when absent, without following a
 * symbolic link someone else planted there or in place of a directory on the way: a worker that
 * replaces its own log file, or its log directory, with a link to /etc must not make a root daemon
 * append to /etc/shadow. Trusted links (trustedLinkIn) are followed. Throws OsError (ELOOP with the reason).
 */
export function openAppend(path: string, mode = 0o644): number {
  const [dir, name] = splitPath(path);
  return inPinnedDirectory(dir, (d) => d.openFile(name, O_WRONLY | O_APPEND | O_CREAT, mode));
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
