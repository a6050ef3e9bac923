// User and group lookup through libc's getpwnam_r/getgrnam_r/getgrouplist, so NSS sources
// (LDAP, sssd, systemd-homed) work as they do for Python's pwd/grp modules.

import { libc, cstr, readCString } from "./libc.ts";
import { OsError, Errno } from "./errors.ts";
import { isValidId, MAX_ID } from "../util/ids.ts";

export interface UserInfo {
  uid: number;
  /** Primary group. */
  gid: number;
  name: string;
  home: string;
}

/** A user or group name/id that the user database does not know. */
export class UnknownUserError extends Error {
  override name = "UnknownUserError";
  constructor(
    readonly kind: "user" | "group",
    readonly value: string | number,
  ) {
    const shown = typeof value === "number" ? `id ${value}` : `"${value}"`;
    const file = kind === "user" ? "/etc/passwd" : "/etc/group";
    super(`unknown ${kind} ${shown} (not in ${file}); create it or fix the ${kind === "user" ? "uid" : "gid"} option`);
  }
}

/** A user or group id outside 0…MAX_ID: passed on as 32 bits it would name another id (root). */
export class IdRangeError extends UnknownUserError {
  override name = "IdRangeError";
  constructor(kind: "user" | "group", value: number) {
    super(kind, value);
    this.message = `${kind} id ${value} is out of range: ids go from 0 to ${MAX_ID}`;
  }
}

// struct passwd / struct group field offsets on 64-bit Linux (glibc and musl agree).
const PW_NAME = 0;
const PW_UID = 16;
const PW_GID = 20;
const PW_DIR = 32;
const GR_GID = 16;
const STRUCT_SIZE = 64;

/** Resolve a user by name or numeric id (a numeric string is tried as a name first, like Circus). */
export function resolveUser(nameOrUid: string | number): UserInfo {
  if (typeof nameOrUid === "number") {
    return lookupUserById(nameOrUid) ?? fail("user", nameOrUid);
  }
  const byName = lookupUser((pw, buf, len, out) => libc().getpwnam_r(cstr(nameOrUid), pw, buf, len, out), nameOrUid);
  if (byName) return byName;
  if (/^\d+$/.test(nameOrUid)) return lookupUserById(Number(nameOrUid)) ?? fail("user", nameOrUid);
  return fail("user", nameOrUid);
}

/** Resolve a group name or numeric id to a gid. */
export function resolveGroup(nameOrGid: string | number): number {
  if (typeof nameOrGid === "number") {
    return lookupGroupById(nameOrGid) ?? fail("group", nameOrGid);
  }
  const byName = lookupGroup((gr, buf, len, out) => libc().getgrnam_r(cstr(nameOrGid), gr, buf, len, out), nameOrGid);
  if (byName !== null) return byName;
  if (/^\d+$/.test(nameOrGid)) return lookupGroupById(Number(nameOrGid)) ?? fail("group", nameOrGid);
  return fail("group", nameOrGid);
}

/** All groups `userName` belongs to, `gid` included (what initgroups() would install). */
export function supplementaryGroups(userName: string, gid: number): number[] {
  const name = cstr(userName);
  let capacity = 64;
  for (;;) {
    const groups = new Uint32Array(capacity);
    const count = new Int32Array([capacity]);
    // glibc returns -1 and the needed size when the array is too small.
    if (libc().getgrouplist(name, gid, groups, count) >= 0) return Array.from(groups.subarray(0, count[0]!));
    capacity = Math.max(count[0]!, capacity * 2);
    if (capacity > 65536) throw new OsError("getgrouplist", Errno.ERANGE, `"${userName}"`);
  }
}

type PwCall = (pw: Uint8Array, buf: Uint8Array, len: number, out: BigUint64Array) => number;
type GrCall = (gr: Uint8Array, buf: Uint8Array, len: number, out: BigUint64Array) => number;

function lookupUserById(uid: number): UserInfo | null {
  if (!isValidId(uid)) throw new IdRangeError("user", uid);
  return lookupUser((pw, buf, len, out) => libc().getpwuid_r(uid, pw, buf, len, out), uid);
}

function lookupGroupById(gid: number): number | null {
  if (!isValidId(gid)) throw new IdRangeError("group", gid);
  return lookupGroup((gr, buf, len, out) => libc().getgrgid_r(gid, gr, buf, len, out), gid);
}

function lookupUser(call: PwCall, subject: string | number): UserInfo | null {
  return withBuffer(typeof subject === "number" ? "getpwuid_r" : "getpwnam_r", subject, (buf, out) => {
    const pw = new Uint8Array(STRUCT_SIZE);
    const rc = call(pw, buf, buf.length, out);
    if (rc !== 0 || out[0] === 0n) return rc;
    const view = new DataView(pw.buffer);
    // The strings live inside `buf`, which is still referenced here, so reading them is safe.
    const user: UserInfo = {
      name: readCString(view.getBigUint64(PW_NAME, true)),
      uid: view.getUint32(PW_UID, true),
      gid: view.getUint32(PW_GID, true),
      home: readCString(view.getBigUint64(PW_DIR, true)),
    };
    return { found: user };
  });
}

function lookupGroup(call: GrCall, subject: string | number): number | null {
  return withBuffer(typeof subject === "number" ? "getgrgid_r" : "getgrnam_r", subject, (buf, out) => {
    const gr = new Uint8Array(STRUCT_SIZE);
    const rc = call(gr, buf, buf.length, out);
    if (rc !== 0 || out[0] === 0n) return rc;
    return { found: new DataView(gr.buffer).getUint32(GR_GID, true) };
  });
}

/**
 * Run a *_r lookup with a scratch buffer, growing it on ERANGE. The callback returns the decoded
 * record as `{ found }`, or the call's return code (0 = not found, else an errno).
 */
function withBuffer<T>(
  syscall: string,
  subject: string | number,
  attempt: (buf: Uint8Array, out: BigUint64Array) => { found: T } | number,
): T | null {
  for (let size = 4096; size <= 1 << 24; size *= 4) {
    const out = new BigUint64Array(1);
    const result = attempt(new Uint8Array(size), out);
    if (typeof result !== "number") return result.found;
    if (result === Errno.ERANGE) continue;
    // "Not found" is 0 by POSIX, but some NSS modules report ENOENT/ESRCH/EPERM instead.
    if (result === 0 || result === Errno.ENOENT || result === Errno.ESRCH || result === Errno.EPERM) return null;
    throw new OsError(syscall, result, String(subject));
  }
  throw new OsError(syscall, Errno.ERANGE, String(subject));
}

function fail(kind: "user" | "group", value: string | number): never {
  throw new UnknownUserError(kind, value);
}
