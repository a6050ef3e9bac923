// Listening sockets that children inherit: created with raw libc calls because Bun's socket APIs
// neither expose the fd nor let it survive into a child process.

import { nodeFs } from "../util/node.ts";
import { HostResolutionError, resolveHost } from "../util/host.ts";
import { SUN_PATH_SIZE } from "../util/sockaddr.ts";
import { readText } from "./fs.ts";
import { libc, errno, cstr } from "./libc.ts";
import { OsError, Errno } from "./errors.ts";

/** The address families and socket types this module binds (the `[socket:*]` choices). */
export const SOCKET_FAMILIES = ["AF_INET", "AF_INET6", "AF_UNIX"] as const;
export const SOCKET_TYPES = ["SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"] as const;
export type SocketFamily = (typeof SOCKET_FAMILIES)[number];
export type SocketType = (typeof SOCKET_TYPES)[number];

/** What to bind; mirrors a `[socket:NAME]` section after config normalisation. */
export interface SocketSpec {
  family: SocketFamily;
  type: SocketType;
  proto: number;
  host: string;
  port: number;
  /** Unix socket path; when set the socket is AF_UNIX whatever `family` says. */
  path: string | null;
  backlog: number;
  /** Process umask applied only for the duration of a unix bind (decides the socket file's mode). */
  umask: number;
  /** Delete an existing file at `path` instead of failing. */
  replace: boolean;
  /** Network device to bind to (SO_BINDTODEVICE); null for none. */
  interface: string | null;
  reusePort: boolean;
  blocking: boolean;
}

/** A bound (and, for stream types, listening) socket whose fd children can inherit. */
export interface BoundSocket {
  fd: number;
  family: SocketFamily;
  type: SocketType;
  /** Real address read back after bind (configured host for unix sockets). */
  host: string;
  /** Real port read back after bind, so port 0 becomes the ephemeral port (configured port for unix). */
  port: number;
  path: string | null;
  backlog: number;
}

/** A socket spec that cannot be satisfied for a reason other than a failed syscall. */
export class SocketError extends Error {
  override name = "SocketError";
}

/** Linux address family and socket type numbers, by the names configs use (checked with Object.hasOwn). */
export const FAMILY = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10 } as const satisfies Record<SocketFamily, number>;
export const TYPE = {
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_RDM: 4,
  SOCK_SEQPACKET: 5,
} as const satisfies Record<SocketType, number>;
/** Close-on-exec at creation, for sockets no child may inherit. */
export const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;
const SO_BINDTODEVICE = 25;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;

interface InetAddress {
  family: "AF_INET" | "AF_INET6";
  ip: string;
  scopeId: number;
}

/** Create, configure, bind and (for STREAM/SEQPACKET) listen; async because host names need DNS. */
export async function bindSocket(spec: SocketSpec): Promise<BoundSocket> {
  const family: SocketFamily = spec.path !== null ? "AF_UNIX" : spec.family;
  if (!Object.hasOwn(FAMILY, family))
    throw new SocketError(`unknown socket family "${family}"; use AF_INET, AF_INET6 or AF_UNIX`);
  if (!Object.hasOwn(TYPE, spec.type))
    throw new SocketError(
      `unknown socket type "${spec.type}"; use SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM or SOCK_SEQPACKET`,
    );

  // Resolve before creating the fd so a DNS failure leaves nothing to clean up.
  const inet = family === "AF_UNIX" ? null : await resolveInet(spec.host, family);
  const path = family === "AF_UNIX" ? (spec.path ?? "") : null;
  if (path !== null) prepareUnixPath(path, spec.replace);

  const c = libc();
  const fd = c.socket(FAMILY[family], TYPE[spec.type], spec.proto);
  if (fd < 0) throw new OsError("socket", errno(), `${family}/${spec.type}`);
  try {
    setIntOption(fd, SO_REUSEADDR, 1, "SO_REUSEADDR");
    if (spec.reusePort) setIntOption(fd, SO_REUSEPORT, 1, "SO_REUSEPORT");
    if (inet && spec.interface) {
      const name = cstr(spec.interface);
      if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) !== 0) {
        throw new OsError("setsockopt", errno(), `SO_BINDTODEVICE "${spec.interface}"`);
      }
    }
    if (inet) bindInet(fd, inet, spec.host, spec.port);
    else bindUnix(fd, path ?? "", spec.umask);

    setBlocking(fd, spec.blocking);
    if (spec.type === "SOCK_STREAM" || spec.type === "SOCK_SEQPACKET") {
      if (c.listen(fd, spec.backlog) !== 0) throw new OsError("listen", errno(), describe(spec, inet));
    }
    const real = inet ? localAddress(fd) : { host: spec.host, port: spec.port };
    return { fd, family, type: spec.type, host: real.host, port: real.port, path, backlog: spec.backlog };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

/**
 * An so_reuseport socket as the daemon holds it between spawns: created with SO_REUSEPORT but never
 * bound, so it takes no share of the port's connections (as Circus's unbound CircusSocket). Its fd
 * number is what `listsockets` shows and where each worker finds its own freshly bound socket.
 */
export async function openUnboundSocket(spec: SocketSpec): Promise<BoundSocket> {
  const family: SocketFamily = spec.path !== null ? "AF_UNIX" : spec.family;
  const inet = family === "AF_UNIX" ? null : await resolveInet(spec.host, family);
  const c = libc();
  const fd = c.socket(FAMILY[family], TYPE[spec.type] | SOCK_CLOEXEC, spec.proto);
  if (fd < 0) throw new OsError("socket", errno(), `${family}/${spec.type}`);
  try {
    setIntOption(fd, SO_REUSEADDR, 1, "SO_REUSEADDR");
    setIntOption(fd, SO_REUSEPORT, 1, "SO_REUSEPORT");
  } catch (err) {
    c.close(fd);
    throw err;
  }
  const host = inet ? inet.ip : spec.host;
  return { fd, family, type: spec.type, host, port: spec.port, path: spec.path, backlog: spec.backlog };
}

const SO_TYPE = 3;

/**
 * A socket this process inherited already bound (systemd socket activation), described as if we had
 * bound it: family and type from the kernel, the real address. Throws OsError when `fd` is no socket.
 */
export function describeSocket(fd: number, backlog: number): BoundSocket {
  const c = libc();
  const typeValue = new Int32Array(1);
  const size = new Uint32Array([4]);
  if (c.getsockopt(fd, SOL_SOCKET, SO_TYPE, typeValue, size) !== 0) {
    throw new OsError("getsockopt", errno(), `SO_TYPE of fd ${fd}`);
  }
  const type = SOCKET_TYPES.find((t) => TYPE[t] === typeValue[0]) ?? "SOCK_STREAM";
  const addr = new Uint8Array(128);
  const length = new Uint32Array([addr.length]);
  if (c.getsockname(fd, addr, length) !== 0) throw new OsError("getsockname", errno(), `fd ${fd}`);
  const familyValue = new DataView(addr.buffer).getUint16(0, true);
  if (familyValue === FAMILY.AF_UNIX) {
    const raw = addr.subarray(2, length[0]!);
    // An abstract name starts with a NUL; a path ends with one.
    const path =
      raw[0] === 0
        ? `\0${Buffer.from(raw.subarray(1)).toString()}`
        : Buffer.from(raw.subarray(0, raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0))).toString();
    return { fd, family: "AF_UNIX", type, host: path, port: 0, path, backlog };
  }
  const family = familyValue === FAMILY.AF_INET6 ? "AF_INET6" : "AF_INET";
  const real = localAddress(fd);
  return { fd, family, type, host: real.host, port: real.port, path: null, backlog };
}

/** Close the fd and, for a unix socket, delete its file (as Circus does on socket close). */
export function closeSocket(bound: BoundSocket): void {
  libc().close(bound.fd);
  if (bound.path && !bound.path.startsWith("\0")) {
    try {
      nodeFs().unlinkSync(bound.path);
    } catch {
      // Already gone (or replaced by someone else's file we must not care about): nothing to undo.
    }
  }
}

/**
 * The subset of `fds` that is readable (pending connection or datagram, or error/hang-up), waiting at
 * most `timeoutMs`. This blocks the event loop for the whole wait, so callers use 0.
 */
export function pollReadable(fds: number[], timeoutMs: number): number[] {
  if (fds.length === 0) return [];
  const table = new DataView(new ArrayBuffer(fds.length * 8));
  fds.forEach((fd, i) => {
    table.setInt32(i * 8, fd, true);
    table.setInt16(i * 8 + 4, POLLIN, true);
  });
  const c = libc();
  for (;;) {
    const n = c.poll(new Uint8Array(table.buffer), fds.length, timeoutMs);
    if (n >= 0) break;
    const code = errno();
    if (code !== Errno.EINTR) throw new OsError("poll", code, `${fds.length} fds`);
  }
  return fds.filter((_, i) => (table.getInt16(i * 8 + 6, true) & (POLLIN | POLLERR | POLLHUP)) !== 0);
}

/** Resolve `host` like Circus: the first getaddrinfo result of the wanted family; "" is the wildcard. */
async function resolveInet(host: string, family: "AF_INET" | "AF_INET6"): Promise<InetAddress> {
  let address: string;
  try {
    address = await resolveHost(host, family === "AF_INET6" ? 6 : 4);
  } catch (err) {
    if (!(err instanceof HostResolutionError)) throw err;
    const advice =
      err.problem === "wrong-version"
        ? `the socket family is ${family}; change host or family`
        : "check host or family";
    throw new SocketError(`${err.message}; ${advice}`, { cause: err });
  }
  const [ip, scope] = splitScope(address);
  return { family, ip, scopeId: scopeIndex(scope, host) };
}

function splitScope(host: string): [string, string] {
  const at = host.indexOf("%");
  return at < 0 ? [host, ""] : [host.slice(0, at), host.slice(at + 1)];
}

function scopeIndex(scope: string, host: string): number {
  if (scope === "") return 0;
  if (/^\d+$/.test(scope)) return Number(scope);
  const index = libc().if_nametoindex(cstr(scope));
  if (index === 0) throw new SocketError(`host "${host}": no network interface named "${scope}"`);
  return index;
}

function prepareUnixPath(path: string, replace: boolean): void {
  if (path === "") throw new SocketError("unix socket path is empty; set `path`");
  const abstract = path.startsWith("\0");
  const size = Buffer.byteLength(path) + (abstract ? 0 : 1);
  if (size > SUN_PATH_SIZE) {
    throw new SocketError(
      `unix socket path "${path}" is ${size} bytes, over the kernel limit of ${SUN_PATH_SIZE}; use a shorter path`,
    );
  }
  if (abstract || !exists(path)) return;
  if (!replace) {
    throw new SocketError(
      `"${path}" already exists. You might want to remove it. If it's a stalled socket file, set replace = true or just restart Circus`,
    );
  }
  nodeFs().unlinkSync(path);
}

function exists(path: string): boolean {
  try {
    nodeFs().lstatSync(path);
    return true;
  } catch {
    return false; // nothing at the path (lstat cannot fail otherwise for a path we may bind)
  }
}

function setIntOption(fd: number, option: number, value: number, label: string): void {
  const v = new Int32Array([value]);
  if (libc().setsockopt(fd, SOL_SOCKET, option, v, 4) !== 0) throw new OsError("setsockopt", errno(), label);
}

function setBlocking(fd: number, blocking: boolean): void {
  const c = libc();
  const flags = c.fcntl(fd, F_GETFL, 0);
  if (flags < 0) throw new OsError("fcntl", errno(), "F_GETFL");
  const next = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (next !== flags && c.fcntl(fd, F_SETFL, next) !== 0) throw new OsError("fcntl", errno(), "F_SETFL");
}

function bindInet(fd: number, inet: InetAddress, host: string, port: number): void {
  const c = libc();
  const v6 = inet.family === "AF_INET6";
  const addr = new Uint8Array(v6 ? 28 : 16);
  const view = new DataView(addr.buffer);
  view.setUint16(0, FAMILY[inet.family], true);
  view.setUint16(2, port, false); // network byte order
  const raw = new Uint8Array(16);
  if (c.inet_pton(FAMILY[inet.family], cstr(inet.ip), raw) !== 1) {
    throw new SocketError(`"${inet.ip}" is not a valid ${inet.family} address`);
  }
  if (v6) {
    addr.set(raw, 8);
    view.setUint32(24, inet.scopeId, true);
  } else {
    addr.set(raw.subarray(0, 4), 4);
  }
  if (c.bind(fd, addr, addr.length) !== 0) {
    throw new OsError("bind", errno(), describe({ host, port }, inet));
  }
}

/** A `struct sockaddr_un` for `path` and its length (paths checked against SUN_PATH_SIZE by the caller). */
export function sockaddrUn(path: string): { addr: Uint8Array; length: number } {
  const bytes = Buffer.from(path, "utf8");
  const addr = new Uint8Array(2 + SUN_PATH_SIZE);
  new DataView(addr.buffer).setUint16(0, FAMILY.AF_UNIX, true);
  addr.set(bytes, 2);
  // Abstract names are length-delimited; filesystem paths include their NUL terminator.
  return { addr, length: 2 + bytes.length + (path.startsWith("\0") ? 0 : 1) };
}

function bindUnix(fd: number, path: string, mask: number): void {
  const c = libc();
  const { addr, length } = sockaddrUn(path);
  const previous = c.umask(mask);
  try {
    if (c.bind(fd, addr, length) !== 0) throw new OsError("bind", errno(), path);
  } finally {
    c.umask(previous);
  }
}

function localAddress(fd: number): { host: string; port: number } {
  const c = libc();
  const addr = new Uint8Array(128);
  const length = new Uint32Array([addr.length]);
  if (c.getsockname(fd, addr, length) !== 0) throw new OsError("getsockname", errno(), `fd ${fd}`);
  const view = new DataView(addr.buffer);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  const raw = family === FAMILY.AF_INET6 ? addr.subarray(8, 24) : addr.subarray(4, 8);
  const text = new Uint8Array(64);
  if (c.inet_ntop(family, raw, text, text.length) === null) throw new OsError("inet_ntop", errno(), `fd ${fd}`);
  return { host: Buffer.from(text.subarray(0, text.indexOf(0))).toString("latin1"), port };
}

function describe(where: { host: string; port: number }, inet: InetAddress | null): string {
  if (!inet) return where.host;
  const ip = inet.family === "AF_INET6" ? `[${inet.ip}]` : inet.ip;
  const shown = `${ip}:${where.port}`;
  return where.host === inet.ip || where.host === "" ? shown : `${shown} (${where.host})`;
}

const SO_PEERCRED = 17;

/** The process at the other end of a connected unix socket, as the kernel recorded it at connect. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * SO_PEERCRED of a connected unix socket: who connected, which no peer can forge (abstract sockets
 * have no file permissions, so this is their only access check). Throws OsError when `fd` is not a
 * socket; call it on unix sockets only (a TCP socket has no peer credentials).
 */
export function peerCredentials(fd: number): PeerCredentials {
  const cred = new Uint32Array(3);
  const size = new Uint32Array([cred.byteLength]);
  if (libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, size) !== 0) {
    throw new OsError("getsockopt", errno(), `SO_PEERCRED of fd ${fd}`);
  }
  return { pid: cred[0]!, uid: cred[1]!, gid: cred[2]! };
}

/**
 * Who owns the other end of a TCP connection made from this host (a loopback client): the uid of the
 * socket whose local address is our peer's and whose remote address is ours, from /proc/net/tcp and
 * tcp6. Null when no such socket is on this host (a remote peer) or `fd` is not a TCP connection. What
 * SO_PEERCRED is to unix sockets, for the one command that needs it (`upgrade`).
 */
export function tcpPeerUid(fd: number): number | null {
  const ours = inetName(fd, "getsockname");
  const theirs = inetName(fd, "getpeername");
  if (ours === null || theirs === null) return null;
  for (const table of ours.v4 ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/tcp6"]) {
    const v4 = table.endsWith("tcp");
    const local = procAddress(theirs, v4);
    const remote = procAddress(ours, v4);
    let text: string;
    try {
      // Read to the end: the table comes in pieces (a page per read), unlike the small files readProcFile holds open.
      text = readText(table, "latin1");
    } catch {
      continue; // no IPv6 on this host
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1] === local && fields[2] === remote) return Number(fields[7]);
    }
  }
  return null;
}

interface InetName {
  /** The 16 bytes of an IPv6 address, or of ::ffff:a.b.c.d for IPv4. */
  address: Uint8Array;
  port: number;
  /** IPv4, or IPv4-mapped IPv6 (a dual-stack socket's IPv4 peer). */
  v4: boolean;
}

function inetName(fd: number, call: "getsockname" | "getpeername"): InetName | null {
  const addr = new Uint8Array(28);
  const length = new Uint32Array([addr.length]);
  if (libc()[call](fd, addr, length) !== 0) return null;
  const view = new DataView(addr.buffer);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  if (family === FAMILY.AF_INET) {
    const address = new Uint8Array(16);
    address.set([0xff, 0xff], 10);
    address.set(addr.subarray(4, 8), 12);
    return { address, port, v4: true };
  }
  if (family !== FAMILY.AF_INET6) return null;
  const address = addr.slice(8, 24);
  const mapped = address.subarray(0, 10).every((b) => b === 0) && address[10] === 0xff && address[11] === 0xff;
  return { address, port, v4: mapped };
}

/** An address as /proc/net/tcp{,6} prints it: each 32-bit word in host (little-endian) order, hex; then the port. */
function procAddress(name: InetName, v4: boolean): string {
  const bytes = v4 ? name.address.subarray(12) : name.address;
  let hex = "";
  for (let i = 0; i < bytes.length; i += 4) {
    for (let j = 3; j >= 0; j--) hex += bytes[i + j]!.toString(16).padStart(2, "0");
  }
  return `${hex.toUpperCase()}:${name.port.toString(16).toUpperCase().padStart(4, "0")}`;
}
