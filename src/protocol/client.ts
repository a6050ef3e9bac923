// CircusClient: the one control-channel client shared by `circus ctl`, top, plugins and the web
// console. A DEALER with a random identity sends JSON requests and matches replies by `id` (§2.1).

import { type Deferred, deadline, deferred } from "../util/async.ts";
import { DealerSocket, SubSocket } from "../zmtp/index.ts";
import type { JsonObject, Reply } from "./command.ts";

/** Default control endpoint (circusd's ROUTER). */
export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";
/** Default pub/sub endpoint (circusd's PUB). */
export const DEFAULT_PUBSUB_ENDPOINT = "tcp://127.0.0.1:5556";

/** No reply arrived within the timeout; the message is the one circusctl prints. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly timeoutMs: number) {
    super("Timed out.");
  }
}

/** The request could not be sent or the reply could not be read (not a server error reply). */
export class CallError extends Error {
  override readonly name = "CallError";
}

export interface CallOptions {
  /** How long to wait for the reply; default: the client's `timeoutMs` (5000). */
  timeoutMs?: number;
}

export interface ClientOptions {
  /** Control endpoint, e.g. `tcp://127.0.0.1:5555` or `ipc:///var/run/circus.sock`. */
  endpoint?: string;
  /** Default reply timeout for `call`, in milliseconds (5000). */
  timeoutMs?: number;
}

/** One event from the pub/sub stream: topic text and the decoded JSON payload (raw text if not JSON). */
export interface CircusEvent {
  topic: string;
  payload: unknown;
  /** The payload frame as text, exactly as published. */
  raw: string;
}

/** A live subscription; `close()` disconnects it. */
export interface Subscription {
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
  /** Calls awaiting their reply, by request id. */
  private readonly pending = new Map<string, Deferred<Reply>>();
  private closed = false;

  /** Create a client and start connecting (ZeroMQ-style: sends queue until the peer is reachable). */
  constructor(options: ClientOptions = {}) {
    this.endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.identity = uuidHex();
    this.socket = new DealerSocket({ identity: encoder.encode(this.identity) });
    this.socket.onMessage((frames) => this.onReply(frames));
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
    this.pending.set(id, reply);
    if (!this.socket.send([body])) {
      this.pending.delete(id);
      throw new CallError(`cannot send to ${this.endpoint}: too many requests queued`);
    }
    return deadline(reply.promise, timeoutMs, () => {
      this.pending.delete(id);
      return new TimeoutError(timeoutMs);
    });
  }

  /** Fire-and-forget: send with `msg_type: "cast"`; circusd never replies, not even on error. */
  cast(command: string, properties: JsonObject = {}): void {
    if (this.closed) throw new CallError("client is closed");
    if (!this.socket.send([encoder.encode(JSON.stringify(makeRequest(command, properties, uuidHex(), true)))])) {
      throw new CallError(`cannot send to ${this.endpoint}: too many requests queued`);
    }
  }

  /**
   * Subscribe to circusd's event stream at `endpoint` (its pubsub_endpoint, not the control one).
   * `topics` are byte prefixes (`watcher.web.`); none means everything. Independent of this
   * client's control connection; close the returned subscription to stop.
   */
  subscribe(endpoint: string, topics: string[], onEvent: (event: CircusEvent) => void): Subscription {
    return subscribe(endpoint, topics, onEvent);
  }

  /** Close the connection (unsent requests are dropped); pending calls reject with CallError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reply of this.pending.values()) reply.reject(new CallError("client closed before the reply arrived"));
    this.pending.clear();
    await this.socket.close();
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
    p.resolve(reply as Reply);
  }
}

/** Subscribe to a circusd PUB endpoint; see CircusClient.subscribe. */
export function subscribe(endpoint: string, topics: string[], onEvent: (event: CircusEvent) => void): Subscription {
  const sub = new SubSocket();
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
  sub.connect(endpoint);
  return { close: () => sub.close() };
}
