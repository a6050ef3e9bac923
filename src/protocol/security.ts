// Who may reach the daemon's endpoints: CURVE with the daemon's certificate and a folder of authorized
// client keys (plus the internal key the daemon gives its own watchers), SO_PEERCRED on ipc endpoints,
// a cap on connections per endpoint that keeps half the fd table for the workers, and the refusal to
// serve a non-loopback endpoint in the clear unless `insecure` says so.

import type { CircusOptions } from "../config/types.ts";
import { listDir } from "../os/fs.ts";
import { getRlimit } from "../os/rlimit.ts";
import { peerCredentials } from "../os/sockets.ts";
import { isLoopbackHost, resolveHost } from "../util/host.ts";
import { getLogger } from "../util/log.ts";
import { nodeFs } from "../util/node.ts";
import { join, resolve } from "../util/path.ts";
import {
  type CurveAuthorizer,
  type CurveKeyPair,
  generateKeyPair,
  type PeerInfo,
  parseEndpoint,
  readCertificate,
  readCurveKeyPair,
  z85Decode,
  z85Encode,
} from "../zmtp/index.ts";
import { CURVE_KEY_ENV, CURVE_SERVER_KEY_ENV } from "./client.ts";

const log = getLogger("circus.security");

/** The daemon's security settings cannot be used; the message names the option and the fix. */
export class SecurityError extends Error {
  override readonly name = "SecurityError";
}

/** Most connections one endpoint holds, however large the fd table. */
export const MAX_CONNECTIONS_PER_ENDPOINT = 1024;

/**
 * Connections each of `endpoints` endpoints may hold: together at most half the open-files limit, so
 * the other half stays in reserve for the workers' pipes and log files however many idle connections
 * someone opens (a full fd table would stop the supervision of workers, not just the control channel).
 */
export function connectionCap(endpoints: number): number {
  const limit = getRlimit("nofile").soft ?? 1 << 20;
  return Math.max(8, Math.min(MAX_CONNECTIONS_PER_ENDPOINT, Math.floor(limit / 2 / Math.max(1, endpoints))));
}

/** Whether a file or folder may hold security settings: owned by root or us, writable by nobody else. */
function untrusted(path: string, what: string, privateFile: boolean): string | null {
  const st = nodeFs().statSync(path, { throwIfNoEntry: false });
  if (!st) return `${what} ${path} does not exist`;
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) return `${what} ${path} belongs to uid ${st.uid}, expected root or uid ${me}`;
  if (privateFile && (st.mode & 0o077) !== 0) {
    return `${what} ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}), expected mode 600 (chmod 600)`;
  }
  if ((st.mode & 0o022) !== 0) {
    return `${what} ${path} is writable by others (mode ${(st.mode & 0o777).toString(8)}): anyone who can change it controls the daemon; chmod go-w`;
  }
  return null;
}

/**
 * Why a file the daemon runs code from (its config, a hook or stream module, a plugin module) could be
 * changed by someone other than root or the daemon's user — the file or its directory writable by them
 * — or null. Under endpoint_owner such a file would let the owner past the boundary.
 */
export function whyUntrustedSource(path: string, what: string): string | null {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const problem = untrusted(path, what, false);
  if (problem) return problem;
  // In a sticky directory (/tmp) only a file's owner may replace it.
  const st = nodeFs().statSync(dir, { throwIfNoEntry: false });
  if (st && (st.mode & 0o1000) !== 0 && (st.uid === 0 || st.uid === process.geteuid?.())) return null;
  return untrusted(dir, `the directory of ${what}`, false);
}

/** The clients' public keys a CURVE daemon admits: every `*.key` certificate in one folder. */
export class AuthorizedKeys {
  private keys = new Set<string>();
  /** The folder's modification time at the last load (a file added or removed changes it). */
  private loadedAt = -1;

  constructor(readonly dir: string) {}

  /** Load again if a file was added to the folder or removed since the last load. */
  async refresh(): Promise<void> {
    const st = nodeFs().statSync(this.dir, { throwIfNoEntry: false });
    if (st && st.mtimeMs !== this.loadedAt) await this.load();
  }

  /** How many keys are authorized. */
  get size(): number {
    return this.keys.size;
  }

  has(z85: string): boolean {
    return this.keys.has(z85);
  }

  /**
   * (Re-)read the folder; returns the keys no longer authorized. A file that is not a certificate is
   * skipped with a warning (its client cannot connect); a folder that cannot be used is a
   * SecurityError, and the keys read before stay in force.
   */
  async load(): Promise<string[]> {
    const problem = untrusted(this.dir, "[circus] curve_authorized_keys folder", false);
    if (problem) throw new SecurityError(problem);
    const mtime = nodeFs().statSync(this.dir).mtimeMs; // before listing: a file added meanwhile is seen next time
    let names: string[];
    try {
      names = listDir(this.dir);
    } catch (err) {
      throw new SecurityError(`[circus] curve_authorized_keys: ${(err as Error).message}`, { cause: err });
    }
    const next = new Set<string>();
    for (const name of names.filter((n) => n.endsWith(".key")).sort()) {
      const file = join(this.dir, name);
      try {
        next.add(z85Encode((await readCertificate(file)).publicKey));
      } catch (err) {
        log.warning(`[circus] curve_authorized_keys: ${file} skipped: ${(err as Error).message}`);
      }
    }
    const removed = [...this.keys].filter((k) => !next.has(k));
    this.keys = next;
    this.loadedAt = mtime;
    return removed;
  }
}

/** CURVE as the daemon serves it: its key pair, who may connect, and the pair of its own watchers. */
export interface DaemonCurve {
  serverKeys: CurveKeyPair;
  /** The certificate file, which circusd-stats reads to serve the stats endpoint with the same key. */
  serverKeyFile: string;
  /** The client pair the daemon makes at every start for the watchers it spawns itself; always admitted. */
  internal: CurveKeyPair;
  /** Null: every client key is admitted (only with `insecure`). */
  authorized: AuthorizedKeys | null;
  authorize: CurveAuthorizer;
}

export interface DaemonSecurity {
  curve: DaemonCurve | null;
  /** Logged at every start: the risks `insecure` accepted. */
  warnings: string[];
}

/** An endpoint other hosts can reach: tcp on anything but a loopback address (names are resolved). */
export async function reachableFromOtherHosts(endpoint: string): Promise<boolean> {
  const ep = parseEndpoint(endpoint);
  if (ep.transport === "ipc") return false;
  if (ep.host === "*") return true;
  if (isLoopbackHost(ep.host)) return false;
  try {
    return !isLoopbackHost(await resolveHost(ep.host, "any"));
  } catch {
    return true; // it cannot be told: treat it as exposed (binding will say what is wrong with it)
  }
}

/** The endpoints the daemon and its stats watcher serve, by the names their options have. */
function servedEndpoints(circus: CircusOptions): [string, string][] {
  const served: [string, string][] = [
    ["endpoint", circus.endpoint],
    ["pubsub_endpoint", circus.pubsub_endpoint],
  ];
  if (circus.statsd) served.push(["stats_endpoint", circus.stats_endpoint]);
  return served;
}

/**
 * Read the daemon's CURVE settings and check exposure: without CURVE, an endpoint other hosts can
 * reach is refused (SecurityError) unless `insecure` (the option or `--insecure`), which is then
 * warned about at every start. Paths are relative to `configDir`.
 */
export async function prepareSecurity(
  circus: CircusOptions,
  configDir: string,
  flags: { insecure?: boolean; internal?: InternalCurveKey | null } = {},
): Promise<DaemonSecurity> {
  const insecure = circus.insecure || flags.insecure === true;
  const warnings: string[] = [];
  let curve: DaemonCurve | null = null;
  if (circus.curve_authorized_keys !== null && circus.curve_secret_key === null) {
    throw new SecurityError(
      "[circus] curve_authorized_keys needs the daemon's own CURVE key: set curve_secret_key = <file>.key_secret too (circus keygen makes one)",
    );
  }
  if (circus.curve_secret_key !== null && circus.curve_authorized_keys === null && !insecure) {
    throw new SecurityError(
      "[circus] curve_secret_key without curve_authorized_keys would admit any client key: set curve_authorized_keys = <folder of the clients' .key files> (or insecure = true to accept every key)",
    );
  }
  if (circus.curve_secret_key !== null) {
    const file = resolve(configDir, circus.curve_secret_key);
    const problem = untrusted(file, "[circus] curve_secret_key", true);
    if (problem) throw new SecurityError(problem);
    let serverKeys: CurveKeyPair;
    try {
      serverKeys = await readCurveKeyPair(file);
    } catch (err) {
      throw new SecurityError(`[circus] curve_secret_key: ${(err as Error).message}`, { cause: err });
    }
    let authorized: AuthorizedKeys | null = null;
    if (circus.curve_authorized_keys !== null) {
      authorized = new AuthorizedKeys(resolve(configDir, circus.curve_authorized_keys));
      await authorized.load();
      if (authorized.size === 0) {
        log.warning(
          `[circus] curve_authorized_keys: no .key file in ${authorized.dir}; only the daemon's own watchers can connect`,
        );
      }
    } else {
      warnings.push("insecure: CURVE without curve_authorized_keys encrypts but admits every client key");
    }
    // After an upgrade the adopted plugins, circusd-stats and console still hold the previous image's pair.
    const internal = flags.internal ? decodeInternalKey(flags.internal) : await generateKeyPair();
    const internalKey = z85Encode(internal.publicKey);
    const allowed = authorized;
    curve = {
      serverKeys,
      serverKeyFile: file,
      internal,
      authorized,
      authorize: (peer) => peer.z85 === internalKey || allowed === null || allowed.has(peer.z85),
    };
  }
  if (curve === null) {
    const exposed: string[] = [];
    for (const [key, endpoint] of servedEndpoints(circus)) {
      if (await reachableFromOtherHosts(endpoint)) exposed.push(`${key} = ${endpoint}`);
    }
    if (exposed.length > 0 && !insecure) {
      throw new SecurityError(
        `${exposed.join(", ")} can be reached from other hosts, and without CURVE whoever reaches it controls the daemon; ` +
          "set [circus] curve_secret_key and curve_authorized_keys, bind 127.0.0.1 or ipc://, " +
          "or accept the risk with insecure = true (or --insecure)",
      );
    }
    for (const e of exposed) warnings.push(`insecure: ${e} is reachable from other hosts without CURVE`);
  }
  return { curve, warnings };
}

/** The internal key pair as the upgrade hands it to the next image (Z85 text in its state). */
export interface InternalCurveKey {
  publicKey: string;
  secretKey: string;
}

/** The internal pair to hand over at an upgrade; null without CURVE. */
export function encodeInternalKey(security: DaemonSecurity): InternalCurveKey | null {
  const internal = security.curve?.internal;
  return internal ? { publicKey: z85Encode(internal.publicKey), secretKey: z85Encode(internal.secretKey) } : null;
}

function decodeInternalKey(key: InternalCurveKey): CurveKeyPair {
  const publicKey = z85Decode(key.publicKey);
  const secretKey = z85Decode(key.secretKey);
  if (publicKey === null || secretKey === null)
    throw new SecurityError("the hand-over's internal CURVE key is not Z85");
  return { publicKey, secretKey };
}

/**
 * The environment of the watchers the daemon spawns itself (plugins, circusd-stats, the web console):
 * the daemon's public key and the internal secret key, read by every client as --curve-server-key and
 * --curve-key. Empty without CURVE.
 */
export function internalClientEnv(security: DaemonSecurity): Record<string, string> {
  const curve = security.curve;
  if (!curve) return {};
  return {
    [CURVE_SERVER_KEY_ENV]: z85Encode(curve.serverKeys.publicKey),
    [CURVE_KEY_ENV]: z85Encode(curve.internal.secretKey),
  };
}

/**
 * Admits ipc peers whose uid may use the daemon's sockets (SO_PEERCRED: root, the daemon's user, the
 * endpoint_owner) and remembers each one's uid for its requests. tcp peers pass: CURVE is their check.
 * Abstract ipc names have no file permissions at all, so this is their one access check.
 */
export class IpcGate {
  private readonly uids = new WeakMap<PeerInfo, number>();

  constructor(private readonly allowed: ReadonlySet<number>) {}

  readonly admit = (peer: PeerInfo): boolean => {
    if (peer.transport !== "ipc") return true;
    let uid: number;
    let pid: number;
    try {
      ({ uid, pid } = peerCredentials(peer.fd));
    } catch (err) {
      log.warning(`${peer.endpoint}: connection refused, its credentials cannot be read: ${(err as Error).message}`);
      return false;
    }
    if (!this.allowed.has(uid)) {
      log.warning(`${peer.endpoint}: connection from uid ${uid} (pid ${pid}) refused: not root, us or endpoint_owner`);
      return false;
    }
    this.uids.set(peer, uid);
    return true;
  };

  /** The uid of an admitted ipc peer; null for tcp (or a peer already gone). */
  uidOf(peer: PeerInfo | undefined): number | null {
    return peer ? (this.uids.get(peer) ?? null) : null;
  }
}
