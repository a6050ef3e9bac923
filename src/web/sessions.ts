// Browser sessions of the web console: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF
// token every POST must echo, an idle timeout and a hard lifetime. A session without an identity
// exists only to carry the login form's CSRF token.

import type { Identity } from "./auth.ts";

export interface Session {
  readonly id: string;
  /** Null until the login succeeded (or for the login form itself). */
  readonly identity: Identity | null;
  /** What every state-changing request of this session must send back. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  /** A session unused this long is gone (default 1 h). */
  idleMs?: number;
  /** No session lives longer than this, used or not (default 12 h). */
  maxAgeMs?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

export const DEFAULT_IDLE_MS = 3600_000;
export const MAX_SESSION_MS = 12 * 3600_000;
/** More sessions than this (a flood of anonymous visits) evicts the least recently used. */
const MAX_SESSIONS = 10_000;

/** 32 random bytes as base64url: the form of session ids and CSRF tokens. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Buffer.from(bytes).toString("base64url");
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  readonly idleMs: number;
  readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: SessionOptions = {}) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.maxAgeMs = options.maxAgeMs ?? MAX_SESSION_MS;
    this.now = options.now ?? Date.now;
  }

  create(identity: Identity | null): Session {
    if (this.sessions.size >= MAX_SESSIONS) this.evictOldest();
    const t = this.now();
    const session: Session = { id: randomToken(), identity, csrf: randomToken(), createdAt: t, lastSeen: t };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, or null (an expired one is forgotten on the way). */
  get(id: string | null | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (this.expired(s)) {
      this.sessions.delete(id);
      return null;
    }
    return s;
  }

  /** A user request counts as activity; the live stream alone does not keep a session open. */
  touch(session: Session): void {
    session.lastSeen = this.now();
  }

  expired(session: Session): boolean {
    const t = this.now();
    return t - session.lastSeen > this.idleMs || t - session.createdAt > this.maxAgeMs;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Forget every expired session. */
  sweep(): void {
    for (const [id, s] of this.sessions) if (this.expired(s)) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private evictOldest(): void {
    this.sweep();
    if (this.sessions.size < MAX_SESSIONS) return;
    let oldest: Session | null = null;
    for (const s of this.sessions.values()) if (!oldest || s.lastSeen < oldest.lastSeen) oldest = s;
    if (oldest) this.sessions.delete(oldest.id);
  }
}
