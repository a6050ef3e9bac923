// The console's connection to one daemon, through the shared client only: the control channel for
// state and actions, its pub/sub events, and the circusd-stats stream (or `stats` polled over the
// control channel when no stream speaks, as circus top does). Works against ours or a real circusd.

import { getLogger } from "../util/log.ts";
import {
  CircusClient,
  type CircusEvent,
  type ClientCurveKeys,
  subscribe,
  type Subscription,
} from "../protocol/client.ts";
import { delay } from "../util/async.ts";
import type { JsonObject, Reply } from "../protocol/command.ts";
import { LogTail, type LogLine } from "./logs.ts";
import { ConsoleModel, type FeedEvent } from "./model.ts";

const log = getLogger("circus.web");

/** How long the stats stream may stay silent before the console polls `stats` instead. */
const STREAM_GRACE_MS = 3000;
/** Full re-read of every watcher's state, in case an event was missed or there is no event stream. */
const RESYNC_MS = 10_000;
/** Events for one watcher within this window cause one re-read. */
const REFRESH_DEBOUNCE_MS = 80;
/** After the first sample of a round, send what arrived even if the round's end never comes. */
const ROUND_FLUSH_MS = 200;
/** Pause between attempts to reach a daemon that does not answer. */
const RETRY_MS = 2000;

/** Opens an ssh tunnel to an endpoint as seen from the ssh server (given by the CLI for --ssh). */
export type TunnelOpener = (endpoint: string) => Promise<{ endpoint: string; close(): void }>;

export interface LinkOptions {
  /** The daemon's control endpoint. */
  endpoint: string;
  /** Its pub/sub endpoint; default: what `globaloptions` says. */
  pubsub?: string;
  /** Its stats endpoint; default: what `globaloptions` says. */
  statspoint?: string;
  /** Reach every endpoint through this (--ssh). */
  openTunnel?: TunnelOpener;
  /** Reply timeout of control calls (default 5000). */
  timeoutMs?: number;
  /** Poll period when there is no stats stream (default 1000, circusd-stats' period). */
  intervalMs?: number;
  /** Keys for a daemon whose endpoints speak CURVE (control, events and stats alike). */
  curve?: ClientCurveKeys;
}

export type ConnectionState = "connecting" | "connected" | "unreachable";

/** What changed, for the live stream to forward. */
export type LinkChange =
  | { kind: "connection" }
  | { kind: "watcher"; name: string }
  | { kind: "removed"; name: string }
  | { kind: "event"; event: FeedEvent }
  | { kind: "tick" }
  | { kind: "sockets" }
  | { kind: "processes"; name: string }
  | { kind: "logs"; name: string; lines: LogLine[] };

/** What the live stream and the views read of a link (the seam their tests fill with a stand-in). */
export type FollowedDaemon = Pick<
  DaemonLink,
  | "model"
  | "endpoint"
  | "state"
  | "error"
  | "statsSource"
  | "statsEndpoint"
  | "pubsubEndpoint"
  | "onChange"
  | "follow"
  | "tailOf"
>;

export class DaemonLink {
  readonly model = new ConsoleModel();
  readonly endpoint: string;
  state: ConnectionState = "connecting";
  error: string | null = null;
  /** Where the stats come from: the stream, polling, or nothing yet. */
  statsSource: "stream" | "polling" | null = null;
  pubsubEndpoint: string | null = null;
  statsEndpoint: string | null = null;
  private client: CircusClient | null = null;
  private readonly subscriptions: Subscription[] = [];
  private readonly tunnels: { close(): void }[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly listeners = new Set<(change: LinkChange) => void>();
  private readonly refreshQueue = new Set<string>();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private roundTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly followed = new Map<string, { count: number; tail: LogTail }>();
  private lastStat = 0;
  private polling = false;
  private resyncing = false;
  /** Aborted by close(): ends the connect retries and whatever is still in flight. */
  private readonly closing = new AbortController();
  private readonly startedAt = Date.now();

  constructor(private readonly options: LinkOptions) {
    this.endpoint = options.endpoint;
  }

  onChange(listener: (change: LinkChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: LinkChange): void {
    for (const l of this.listeners) l(change);
  }

  /** Connect and keep retrying in the background until the daemon answers; never throws. */
  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    let control = this.options.endpoint;
    try {
      if (this.options.openTunnel) {
        const t = await this.options.openTunnel(control);
        this.tunnels.push(t);
        control = t.endpoint;
      }
      this.client = new CircusClient({
        endpoint: control,
        timeoutMs: this.options.timeoutMs ?? 5000,
        curve: this.options.curve,
      });
    } catch (err) {
      this.setState("unreachable", (err as Error).message);
      return;
    }
    const closing = this.closing.signal;
    while (!closing.aborted) {
      try {
        await this.init();
        break;
      } catch (err) {
        if (closing.aborted) return;
        this.setState("unreachable", (err as Error).message);
        await delay(RETRY_MS, closing);
      }
    }
    if (closing.aborted) return;
    const interval = this.options.intervalMs ?? 1000;
    this.timers.push(setInterval(() => void this.pollIfSilent(), interval));
    this.timers.push(setInterval(() => void this.resync(), RESYNC_MS));
  }

  /** Endpoints, event and stats subscriptions, then a full read of the state. */
  private async init(): Promise<void> {
    const globals = await this.call("globaloptions");
    const opts = (globals.options ?? {}) as Record<string, unknown>;
    const pubsub = this.options.pubsub ?? (typeof opts.pubsub_endpoint === "string" ? opts.pubsub_endpoint : null);
    const stats = this.options.statspoint ?? (typeof opts.stats_endpoint === "string" ? opts.stats_endpoint : null);
    this.pubsubEndpoint = pubsub;
    this.statsEndpoint = stats;
    if (this.subscriptions.length === 0) {
      if (pubsub) this.subscriptions.push(await this.subscribe(pubsub, ["watcher."], (e) => this.onEvent(e)));
      if (stats) this.subscriptions.push(await this.subscribe(stats, ["stat."], (e) => this.onStat(e)));
    }
    await this.refreshAll();
    this.setState("connected", null);
    log.info(`connected to ${this.endpoint} (events ${pubsub ?? "none"}, stats ${stats ?? "none"})`);
  }

  private async subscribe(endpoint: string, topics: string[], on: (e: CircusEvent) => void): Promise<Subscription> {
    let ep = endpoint;
    if (this.options.openTunnel) {
      const t = await this.options.openTunnel(endpoint);
      this.tunnels.push(t);
      ep = t.endpoint;
    }
    return subscribe(ep, topics, on, { curve: this.options.curve });
  }

  private setState(state: ConnectionState, error: string | null): void {
    if (this.state === state && this.error === error) return;
    this.state = state;
    this.error = error;
    if (state === "unreachable") log.warning(`daemon at ${this.endpoint} unreachable: ${error}`);
    this.emit({ kind: "connection" });
  }

  /** One control call; an error reply throws with its reason. */
  private async call(command: string, properties: JsonObject = {}, timeoutMs?: number): Promise<Reply> {
    if (!this.client) throw new Error("not connected");
    const reply = await this.client.call(command, properties, timeoutMs ? { timeoutMs } : {});
    if (reply.status === "error") throw new Error(String(reply.reason ?? "error"));
    return reply;
  }

  /**
   * Send a user's command and return the reply as is (an error reply included); the watcher it
   * names is re-read afterwards, so the page updates even without an event stream.
   */
  async run(command: string, properties: JsonObject): Promise<Reply> {
    if (!this.client) throw new Error(`not connected to ${this.endpoint}`);
    const reply = await this.client.call(command, properties, { timeoutMs: 30_000 });
    if (command === "add" || command === "rm" || command === "reloadconfig") void this.resync();
    else if (typeof properties.name === "string") this.scheduleRefresh(this.model.resolveName(properties.name));
    return reply;
  }

  private async refreshAll(): Promise<void> {
    const reply = await this.call("status");
    const statuses = (reply.statuses ?? {}) as Record<string, string>;
    const { removed } = this.model.setStatuses(statuses);
    for (const name of removed) this.emit({ kind: "removed", name });
    await Promise.all(Object.keys(statuses).map((name) => this.refreshWatcher(name)));
    await this.refreshSockets();
  }

  private async resync(): Promise<void> {
    if (this.resyncing || this.closing.signal.aborted || !this.client) return;
    this.resyncing = true;
    try {
      await this.refreshAll();
      this.setState("connected", null);
    } catch (err) {
      this.setState("unreachable", (err as Error).message);
    } finally {
      this.resyncing = false;
    }
    this.model.pruneProcesses(Date.now());
  }

  private async refreshSockets(): Promise<void> {
    const reply = await this.call("listsockets");
    if (this.model.setSockets((reply.sockets ?? []) as JsonObject[])) this.emit({ kind: "sockets" });
  }

  /** Re-read one watcher: status, pids, options (and its processes when someone watches it). */
  private async refreshWatcher(name: string): Promise<void> {
    if (!this.client) return;
    const [status, list, options] = await Promise.all([
      this.client.call("status", { name }),
      this.client.call("list", { name }),
      this.client.call("options", { name }),
    ]);
    if (status.status === "error") {
      // Gone meanwhile (rm, reloadconfig): the next status listing confirms it.
      if (this.model.watchers.has(name) && /not found/.test(String(status.reason))) {
        this.model.removeWatcher(name);
        this.emit({ kind: "removed", name });
      }
      return;
    }
    this.model.updateWatcher(name, {
      status: String(status.status),
      pids: list.status === "ok" && Array.isArray(list.pids) ? (list.pids as number[]) : [],
      ...(options.status === "ok" ? { options: (options.options ?? {}) as JsonObject } : {}),
    });
    this.emit({ kind: "watcher", name });
    if (this.followed.has(name)) await this.refreshProcesses(name);
  }

  private async refreshProcesses(name: string): Promise<void> {
    const reply = await this.client?.call("stats", { name }).catch(() => null);
    if (reply?.status !== "ok") return;
    this.model.setProcesses(name, reply.info);
    this.emit({ kind: "processes", name });
  }

  private scheduleRefresh(name: string): void {
    this.refreshQueue.add(name);
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = null;
      const names = [...this.refreshQueue];
      this.refreshQueue.clear();
      for (const n of names) {
        if (!this.model.watchers.has(n)) {
          void this.resync();
          continue;
        }
        this.refreshWatcher(n).catch((err: Error) => log.debug(`re-reading ${n}: ${err.message}`));
      }
    }, REFRESH_DEBOUNCE_MS);
  }

  private onEvent(e: CircusEvent): void {
    const event = this.model.addEvent(e.topic, e.payload, Date.now());
    if (!event) return;
    this.emit({ kind: "event", event });
    if (event.event === "add" || event.event === "remove") void this.resync();
    else this.scheduleRefresh(event.watcher);
  }

  private onStat(e: CircusEvent): void {
    const now = Date.now();
    this.lastStat = now;
    if (this.statsSource !== "stream") {
      this.statsSource = "stream";
      this.emit({ kind: "connection" });
    }
    const what = this.model.ingestStat(e.topic, e.payload, now);
    if (what === "round") this.flushRound();
    else if (what === "sample") this.roundTimer ??= setTimeout(() => this.flushRound(), ROUND_FLUSH_MS);
  }

  private flushRound(): void {
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.roundTimer = null;
    if (this.model.hasTick) this.emit({ kind: "tick" });
  }

  /** Without a stream for a while, ask the control channel for the same figures. */
  private async pollIfSilent(): Promise<void> {
    const now = Date.now();
    if (this.polling || !this.client || now - Math.max(this.lastStat, this.startedAt) <= STREAM_GRACE_MS) return;
    this.polling = true;
    try {
      const [stats, dstats] = await Promise.all([this.call("stats"), this.call("dstats").catch(() => null)]);
      if (this.statsSource !== "polling") {
        this.statsSource = "polling";
        this.emit({ kind: "connection" });
      }
      this.model.ingestPolled((stats.infos ?? {}) as Record<string, unknown>, dstats?.info, Date.now());
      this.flushRound();
    } catch (err) {
      this.setState("unreachable", (err as Error).message);
    } finally {
      this.polling = false;
    }
  }

  /** Someone watches `name`'s page: follow its output and processes until the returned function is called. */
  follow(name: string): () => void {
    let f = this.followed.get(name);
    if (!f) {
      const tail = new LogTail(
        (command, properties, timeoutMs) => {
          if (!this.client) return Promise.reject(new Error("not connected"));
          return this.client.call(command, properties, { timeoutMs });
        },
        name,
        (lines) => this.emit({ kind: "logs", name, lines }),
      );
      f = { count: 0, tail };
      this.followed.set(name, f);
      tail.start();
      void this.refreshProcesses(name);
    }
    f.count += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const g = this.followed.get(name);
      if (!g) return;
      g.count -= 1;
      if (g.count <= 0) {
        g.tail.stop();
        this.followed.delete(name);
      }
    };
  }

  /** The log tail of a followed watcher (null when nobody follows it). */
  tailOf(name: string): LogTail | null {
    return this.followed.get(name)?.tail ?? null;
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const t of this.timers) clearInterval(t);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.roundTimer) clearTimeout(this.roundTimer);
    for (const f of this.followed.values()) f.tail.stop();
    this.followed.clear();
    await Promise.all(this.subscriptions.map((s) => s.close()));
    await this.client?.close();
    for (const t of this.tunnels) t.close();
    this.listeners.clear();
  }
}
