// CircusClient: the one control-channel client shared by `circus ctl`, top, plugins and the web
// console. A DEALER with a random identity sends JSON requests and matches replies by `id` (§2.1).

import { type Deferred, deadline, deferred } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import {
  CurveKeyError,
  type CurveKeyPair,
  DealerSocket,
  readCurveKeyPair,
  readCurvePublicKey,
  SubSocket,
} from "../zmtp/index.ts";
import type { JsonObject, Reply } from "./command.ts";

import { DEFAULT_ENDPOINT } from "../config/options/circus.ts";

// The defaults are [circus] facts; the client re-exports them for library users.
export { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT } from "../config/options/circus.ts";

const log = getLogger("circus.zmtp");

/** No reply arrived within the timeout; the message is the one circusctl prints. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly timeoutMs: number) {
    super("Timed out.");
  }
}

/** The request could not be sent or the reply could not be read (not a server error reply). */
export class CallError extends Error {
  override readonly name: string = "CallError";
}

/**
 * Nothing listens at the endpoint (ECONNREFUSED, or ENOENT: no ipc socket file): said at once, not after
 * the timeout, by a client made with `failFast`. Nothing was sent.
 */
export class UnreachableError extends CallError {
  override readonly name = "UnreachableError";
  constructor(
    readonly endpoint: string,
    readonly code: string,
  ) {
    super(
      code === "ENOENT"
        ? `cannot reach the daemon at ${endpoint}: the socket file does not exist (is the daemon running?)`
        : `cannot reach the daemon at ${endpoint}: connection refused (is the daemon running? check the endpoint)`,
    );
  }
}

/**
 * The connection a request went out on closed before its reply came (the daemon re-executed itself in
 * an upgrade, restarted, or the network dropped): said at once rather than after the timeout. The
 * daemon may not have run the command; sending it again is the caller's choice.
 */
export class ConnectionLostError extends CallError {
  override readonly name = "ConnectionLostError";
  constructor(readonly endpoint: string) {
    super(
      `the daemon at ${endpoint} closed the connection before replying (it may be upgrading or restarting); the command may not have run: send it again`,
    );
  }
}

/** Connect failures that mean "no daemon there", as opposed to a slow network. */
const NOBODY_THERE = new Set(["ECONNREFUSED", "ENOENT"]);

export interface CallOptions {
  /** How long to wait for the reply; default: the client's `timeoutMs` (5000). */
  timeoutMs?: number;
}

/** Keys for a daemon whose endpoints require CURVE (ZeroMQ's encryption and authentication). */
export interface ClientCurveKeys {
  /** The daemon's public key, 32 bytes (`readClientCurveKeys` loads it from a file or Z85 text). */
  serverKey: Uint8Array;
  /** Our key pair, which the daemon must authorize; default a fresh pair per connection's socket. */
  keyPair?: CurveKeyPair;
}

/**
 * Load ClientCurveKeys from what a user types: `serverKey` is a `.key` (or `.key_secret`) file path
 * or a Z85 public key; `key`, if given, our `.key_secret` file path or a Z85 secret key. Rejects with
 * CurveKeyError naming the argument and the fix.
 */
export async function readClientCurveKeys(serverKey: string, key?: string): Promise<ClientCurveKeys> {
  const server = await readCurvePublicKey(serverKey);
  return key === undefined ? { serverKey: server } : { serverKey: server, keyPair: await readCurveKeyPair(key) };
}

/** The daemon's public key (a `.key` file or Z85), what every client's --curve-server-key defaults to. */
export const CURVE_SERVER_KEY_ENV = "CIRCUS_CURVE_SERVER_KEY";
/** The client's own secret key (a `.key_secret` file or Z85), what --curve-key defaults to. */
export const CURVE_KEY_ENV = "CIRCUS_CURVE_KEY";

/**
 * The CURVE keys a client tool uses: `--curve-server-key` / `--curve-key` as given, else
 * CIRCUS_CURVE_SERVER_KEY / CIRCUS_CURVE_KEY from `env`; undefined for a plain (NULL) connection.
 * Rejects with CurveKeyError for a key that cannot be read, or a client key without a server key.
 */
export async function clientCurveKeys(
  flags: { serverKey?: string | null; key?: string | null },
  env: Record<string, string | undefined> = process.env,
): Promise<ClientCurveKeys | undefined> {
  const serverKey = flags.serverKey || env[CURVE_SERVER_KEY_ENV] || undefined;
  const key = flags.key || env[CURVE_KEY_ENV] || undefined;
  if (serverKey === undefined) {
    if (key !== undefined) {
      throw new CurveKeyError(
        `a CURVE client key needs the daemon's public key too: give --curve-server-key (or ${CURVE_SERVER_KEY_ENV})`,
      );
    }
    return undefined;
  }
  return readClientCurveKeys(serverKey, key);
}

export interface ClientOptions {
  /** Control endpoint, e.g. `tcp://127.0.0.1:5555` or `ipc:///var/run/circus.sock`. */
  endpoint?: string;
  /** Default reply timeout for `call`, in milliseconds (5000). */
  timeoutMs?: number;
  /** Talk CURVE to the daemon (control and, through `subscribe`, pub/sub); default plain (NULL). */
  curve?: ClientCurveKeys;
  /**
   * Fail a call at once with UnreachableError when nothing listens at the endpoint, and send requests only
   * over an established connection (a command line wants that). Default false: requests wait, queued,
   * until the daemon is reachable (a plugin started before the daemon listens).
   */
  failFast?: boolean;
}

export interface SubscribeOptions {
  /** Talk CURVE to the publisher; default plain (NULL). */
  curve?: ClientCurveKeys;
}

/** One event from the pub/sub stream: topic text and the decoded JSON payload (raw text if not JSON). */
export interface CircusEvent {
  topic: string;
  payload: unknown;
  /** The payload frame as text, exactly as published. */
  raw: string;
}

/** A live subscription; `close()` disconnects it (a program with one open keeps running). */
export interface Subscription {
  /**
   * Resolves once the publisher has read our subscriptions (not merely connected: see
   * SubSocket.subscribed), so that events published from then on arrive.
   */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fresh uuid4 as 32 hex characters, the form circusctl uses for identities and request ids. */
export function uuidHex(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** Build the request object exactly as circusctl serializes it (`command`, `properties`, `id`). */
export function makeRequest(command: string, properties: JsonObject, id: string, cast = false): JsonObject {
  return cast ? { command, msg_type: "cast", properties, id } : { command, properties, id };
}

/**
 * The library's public client for a circusd control endpoint. Requests may overlap: each reply is
 * routed to its call by `id`, and replies for unknown ids (late or foreign) are discarded.
 */
export class CircusClient {
  readonly endpoint: string;
  readonly timeoutMs: number;
  /** The DEALER identity (32 hex characters), as circusd sees it. */
  readonly identity: string;
  private readonly socket: DealerSocket;
  private readonly curve: ClientCurveKeys | undefined;
  /** Calls awaiting their reply, by request id. */
  private readonly pending = new Map<string, Deferred<Reply>>();
  private closed = false;
  private readonly failFast: boolean;
  /** Peers that completed the handshake (0 or 1: one endpoint). */
  private connected = 0;
  /** Counts connections made: a request sent on one is lost when that one closes. */
  private connection = 0;
  /** The connection each pending request went out on (absent: queued until one is made). */
  private readonly sentOn = new Map<string, number>();
  /** With failFast: calls waiting for the first connection, told when it comes or is refused. */
  private readonly waitingForPeer = new Set<Deferred<void>>();

  /** Create a client and start connecting (ZeroMQ-style: sends queue until the peer is reachable). */
  constructor(options: ClientOptions = {}) {
    this.endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.identity = uuidHex();
    this.curve = options.curve;
    this.socket = new DealerSocket({ identity: encoder.encode(this.identity), curve: curveClient(this.curve) });
    this.socket.onMessage((frames) => this.onReply(frames));
    // A refused handshake (wrong key, CURVE on one side only) will not fix itself on retry: fail the
    // waiting calls with the reason now rather than let them run into "Timed out.".
    // The socket leaves the reporting to us: a caller is told why; with no caller, the log is.
    this.socket.on("handshake_failed", (e) => {
      const error = new CallError(`cannot talk to ${this.endpoint}: ${e.reason}`, { cause: e.error });
      const told = this.pending.size + this.waitingForPeer.size > 0;
      this.failPending(error);
      this.settleWaiting(error);
      if (!told) log.warning(`${e.endpoint} peer ${e.peer}: ${e.reason}`);
    });
    this.failFast = options.failFast === true;
    this.socket.on("handshake_succeeded", () => {
      this.connected += 1;
      this.connection += 1;
      this.settleWaiting(null);
    });
    this.socket.on("disconnected", () => {
      this.connected = Math.max(0, this.connected - 1);
      // What went out on the closed connection gets no reply: say so now, not at the timeout.
      const lost = new ConnectionLostError(this.endpoint);
      for (const [id, on] of this.sentOn) {
        if (on !== this.connection) continue;
        this.sentOn.delete(id);
        this.pending.get(id)?.reject(lost);
        this.pending.delete(id);
      }
    });
    this.socket.on("connect_retried", (e) => {
      if (this.failFast && NOBODY_THERE.has(e.code)) this.settleWaiting(new UnreachableError(this.endpoint, e.code));
    });
    this.socket.connect(this.endpoint);
  }

  /**
   * Send `command` with `properties` and resolve with the reply envelope, whatever its `status`
   * (an error reply is a normal result; `status <name>` replies carry the watcher state there).
   * Rejects with TimeoutError ("Timed out.") when no matching reply arrives in time.
   */
  async call(command: string, properties: JsonObject = {}, options: CallOptions = {}): Promise<Reply> {
    if (this.closed) throw new CallError("client is closed");
    const id = uuidHex();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const body = encoder.encode(JSON.stringify(makeRequest(command, properties, id)));
    const reply = deferred<Reply>();
    const send = () => {
      if (reply.settled) return;
      this.pending.set(id, reply);
      if (this.connected > 0) this.sentOn.set(id, this.connection);
      this.socket.send([body]).catch((e: Error) => {
        this.pending.delete(id);
        reply.reject(new CallError(`cannot send to ${this.endpoint}: ${e.message}`, { cause: e }));
      });
    };
    if (this.failFast && this.connected === 0) {
      // Nothing is queued for a daemon that is not there: it could run the command long after we gave up.
      const peer = deferred<void>();
      this.waitingForPeer.add(peer);
      peer.promise.then(send, (e: Error) => reply.reject(e));
    } else send();
    return deadline(reply.promise, timeoutMs, () => {
      this.pending.delete(id);
      this.sentOn.delete(id);
      const timedOut = new TimeoutError(timeoutMs);
      reply.reject(timedOut); // settled: a connection made later sends nothing
      return timedOut;
    });
  }

  /** Release calls waiting for a connection: to send (`null`) or to fail with `error`. */
  private settleWaiting(error: Error | null): void {
    for (const peer of this.waitingForPeer) {
      if (error === null) peer.resolve();
      else peer.reject(error);
    }
    this.waitingForPeer.clear();
  }

  /**
   * Fire-and-forget: send with `msg_type: "cast"`; circusd never replies, not even on error. Resolves
   * once the request is queued; rejects with CallError when it cannot be (closed, queue full).
   */
  async cast(command: string, properties: JsonObject = {}): Promise<void> {
    if (this.closed) throw new CallError("client is closed");
    const body = encoder.encode(JSON.stringify(makeRequest(command, properties, uuidHex(), true)));
    await this.socket.send([body]).catch((e: Error) => {
      throw new CallError(`cannot send to ${this.endpoint}: ${e.message}`, { cause: e });
    });
  }

  /**
   * Subscribe to circusd's event stream at `endpoint` (its pubsub_endpoint, not the control one).
   * `topics` are byte prefixes (`watcher.web.`); none means everything. Independent of this
   * client's control connection; close the returned subscription to stop.
   */
  subscribe(endpoint: string, topics: string[], onEvent: (event: CircusEvent) => void): Subscription {
    return subscribe(endpoint, topics, onEvent, { curve: this.curve });
  }

  /** Close the connection (unsent requests are dropped); pending calls reject with CallError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new CallError("client closed before the reply arrived");
    this.failPending(error);
    this.settleWaiting(error);
    await this.socket.close();
  }

  private failPending(error: CallError): void {
    for (const reply of this.pending.values()) reply.reject(error);
    this.pending.clear();
    this.sentOn.clear();
  }

  private onReply(frames: Uint8Array[]): void {
    // circusd replies with one JSON frame; take the last frame so a stray empty delimiter is harmless.
    const body = frames[frames.length - 1];
    if (!body) return;
    let reply: unknown;
    try {
      reply = JSON.parse(decoder.decode(body));
    } catch {
      return; // not ours to interpret; a timeout reports the missing reply
    }
    if (typeof reply !== "object" || reply === null || Array.isArray(reply)) return;
    const id = (reply as { id?: unknown }).id;
    if (typeof id !== "string") return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.sentOn.delete(id);
    p.resolve(reply as Reply);
  }
}

/** The DEALER/SUB socket option for `keys`. */
function curveClient(keys: ClientCurveKeys | undefined) {
  return keys && ({ role: "client", serverKey: keys.serverKey, keyPair: keys.keyPair } as const);
}

/** Subscribe to a circusd PUB endpoint; see CircusClient.subscribe. */
export function subscribe(
  endpoint: string,
  topics: string[],
  onEvent: (event: CircusEvent) => void,
  options: SubscribeOptions = {},
): Subscription {
  const sub = new SubSocket({ curve: curveClient(options.curve) });
  sub.onMessage((frames) => {
    const topic = decoder.decode(frames[0] ?? new Uint8Array(0));
    const raw = decoder.decode(frames[1] ?? new Uint8Array(0));
    let payload: unknown = raw;
    try {
      payload = JSON.parse(raw);
    } catch {
      // keep the text: plugins may publish non-JSON payloads
    }
    onEvent({ topic, payload, raw });
  });
  for (const topic of topics.length ? topics : [""]) sub.subscribe(encoder.encode(topic));
  const ready = sub.subscribed();
  sub.connect(endpoint);
  return { ready, close: () => sub.close() };
}
