// Web console credentials: a users file (`name:role:hash`, one per line, argon2id or bcrypt hashes
// from Bun.password) and/or a token file (one secret that logs in as admin). Both are checked when
// the console starts; a mistake is a one-line error naming the file, the line and the fix.

import { chmodSync, openSync, closeSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { parseRole, type WebRole } from "./roles.ts";

/** A credentials file that cannot be used; the message names the file (and line) and the fix. */
export class AuthFileError extends Error {
  override readonly name = "AuthFileError";
}

export interface WebUser {
  name: string;
  role: WebRole;
  hash: string;
}

/** User names: no colon (the field separator), no spaces, nothing that needs escaping in a log line. */
const USER_NAME = /^[A-Za-z0-9._@+-]{1,64}$/;
/** Hash prefixes Bun.password.verify understands. */
const HASH_PREFIXES = ["$argon2id$", "$argon2i$", "$argon2d$", "$2a$", "$2b$", "$2y$"];
/** OWASP's argon2id baseline (19 MiB, 2 passes): a login costs ~30 ms and ~20 MB for a moment. */
const HASH_OPTIONS = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;
/** The least token length accepted: 16 characters of a random token resist guessing over HTTP. */
export const MIN_TOKEN_LENGTH = 16;
export const MIN_PASSWORD_LENGTH = 8;

export const USERS_FILE_HEADER =
  "# circus web users: one per line, name:role:hash (role is read, operate or admin).\n" +
  "# Add or change a user with `circus web --auth-file FILE --add-user NAME --role ROLE`.\n";

/** Parse the text of a users file; `file` names it in errors. */
export function parseUsers(text: string, file: string): Map<string, WebUser> {
  const users = new Map<string, WebUser>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${file}:${i + 1}`;
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) throw new AuthFileError(`${where}: expected name:role:hash, got "${clip(line)}"`);
    const name = line.slice(0, first);
    const roleText = line.slice(first + 1, second);
    const hash = line.slice(second + 1);
    if (!USER_NAME.test(name))
      throw new AuthFileError(`${where}: user name "${clip(name)}" may hold only letters, digits and . _ @ + -`);
    const role = parseRole(roleText);
    if (!role) throw new AuthFileError(`${where}: role "${clip(roleText)}" is not read, operate or admin`);
    if (!HASH_PREFIXES.some((p) => hash.startsWith(p)))
      throw new AuthFileError(
        `${where}: the hash of "${name}" is not an argon2 or bcrypt hash; set it with \`circus web --add-user ${name}\``,
      );
    if (users.has(name)) throw new AuthFileError(`${where}: user "${name}" is listed twice`);
    users.set(name, { name, role, hash });
  }
  return users;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function readChecked(file: string, what: string, secret: boolean): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new AuthFileError(`${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Anyone who can write the file can make themselves admin; anyone who can read a token can use it.
  if (mode & 0o002) throw new AuthFileError(`${what} ${file} is writable by every user; run chmod o-w ${file}`);
  if (secret && mode & 0o004)
    throw new AuthFileError(`${what} ${file} is readable by every user; run chmod 600 ${file}`);
  return readFileSync(file, "utf8");
}

/** Read and check a users file. */
export function loadUsers(file: string): Map<string, WebUser> {
  const users = parseUsers(readChecked(file, "users file", false), file);
  if (users.size === 0)
    throw new AuthFileError(
      `users file ${file} lists no user; add one with \`circus web --auth-file ${file} --add-user NAME\``,
    );
  return users;
}

/** Read a token file: its first line that is not empty or a `#` comment. */
export function loadToken(file: string): string {
  const text = readChecked(file, "token file", true);
  const token = text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("#"));
  if (!token || token.length < MIN_TOKEN_LENGTH)
    throw new AuthFileError(
      `token file ${file}: the token must be at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 24 > ${file}\`)`,
    );
  return token;
}

/** Compare two strings in time that depends only on their lengths. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Hash a password for the users file. */
export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, HASH_OPTIONS);
}

/** Who a login is: the user's name (`token` for the token) and role. */
export interface Identity {
  user: string;
  role: WebRole;
}

/** Verifies logins against the configured users and token. */
export class Authenticator {
  /** A hash to verify against for unknown names, so they take as long as known ones. */
  private decoy: Promise<string> | null = null;

  constructor(
    readonly users: ReadonlyMap<string, WebUser>,
    readonly token: string | null,
  ) {}

  /** True when logging in is required (any credential is configured). */
  get required(): boolean {
    return this.users.size > 0 || this.token !== null;
  }

  async checkPassword(name: string, password: string): Promise<Identity | null> {
    const user = this.users.get(name);
    this.decoy ??= hashPassword(crypto.randomUUID());
    const hash = user?.hash ?? (await this.decoy);
    let ok = false;
    try {
      ok = await Bun.password.verify(password, hash);
    } catch {
      ok = false; // an unsupported hash variant: never a login
    }
    return ok && user ? { user: user.name, role: user.role } : null;
  }

  checkToken(token: string): Identity | null {
    return this.token !== null && sameSecret(token, this.token) ? { user: "token", role: "admin" } : null;
  }
}

/**
 * Add or replace `name` in the users file (created mode 0600 with a header when missing); the file
 * is rewritten whole through a temporary file so a reader never sees half of it.
 */
export async function addUser(
  file: string,
  name: string,
  role: WebRole,
  password: string,
): Promise<"added" | "updated"> {
  if (!USER_NAME.test(name))
    throw new AuthFileError(`user name "${clip(name)}" may hold only letters, digits and . _ @ + -`);
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new AuthFileError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  let text = USERS_FILE_HEADER;
  let mode = 0o600;
  try {
    text = readFileSync(file, "utf8");
    mode = statSync(file).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new AuthFileError(`users file ${file}: ${(err as Error).message}`);
  }
  const existing = parseUsers(text, file);
  const line = `${name}:${role}:${await hashPassword(password)}`;
  let replaced = false;
  const lines = text.split("\n").map((l) => {
    if (l.trim().startsWith(`${name}:`) && existing.has(name)) {
      replaced = true;
      return line;
    }
    return l;
  });
  if (!replaced) {
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    lines.push(line, "");
  }
  const temp = `${file}.${process.pid}.tmp`;
  closeSync(openSync(temp, "w", 0o600));
  writeFileSync(temp, lines.join("\n"));
  chmodSync(temp, mode);
  renameSync(temp, file);
  return replaced ? "updated" : "added";
}

/** Failed logins allowed per client address within LOGIN_WINDOW_MS. */
const LOGIN_FAILURES = 10;
const LOGIN_WINDOW_MS = 5 * 60_000;

/** Counts failed logins per client address, to slow down password guessing. */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  blocked(peer: string, now = Date.now()): boolean {
    const f = this.failures.get(peer);
    if (!f || now - f.since > LOGIN_WINDOW_MS) return false;
    return f.count >= LOGIN_FAILURES;
  }
  fail(peer: string, now = Date.now()): void {
    const f = this.failures.get(peer);
    if (!f || now - f.since > LOGIN_WINDOW_MS) this.failures.set(peer, { count: 1, since: now });
    else f.count += 1;
    if (this.failures.size > 10_000) this.failures.clear();
  }
  succeed(peer: string): void {
    this.failures.delete(peer);
  }
}
