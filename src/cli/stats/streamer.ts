// The circusd-stats streamer: follows the daemon's processes (list + `watcher.*` events) and once
// a second publishes their info objects, per-watcher aggregates, the circus group and socket reads
// on a PUB socket (§8.4), with Circus's topics and payloads.

import {
  CircusClient,
  type CircusEvent,
  type ClientCurveKeys,
  subscribe,
  type Subscription,
} from "../../protocol/client.ts";
import type { Reply } from "../../protocol/command.ts";
import { circusJson } from "../../protocol/floats.ts";
import { aggregate } from "../../stats/aggregate.ts";
import { ProcessSampler, type ProcessInfo } from "../../stats/info.ts";
import { SocketReadCounter, type ListedSocket } from "../../stats/sockets.ts";
import { delay } from "../../util/async.ts";
import { getLogger } from "../../util/log.ts";
import { PubSocket, type SocketOptions } from "../../zmtp/index.ts";

const log = getLogger("circus.stats");

/** Watchers the `circus` group reports instead of their own group. */
const CIRCUS_WATCHERS = new Set(["circusd", "circushttpd", "circusd-stats"]);

export interface StreamerOptions {
  /** Control endpoint of the daemon. */
  endpoint: string;
  /** The daemon's pub/sub endpoint (events). */
  pubsub: string;
  /** Where to bind the stats PUB socket. */
  statspoint: string;
  /** Publishing period (1000 ms as in Circus). */
  intervalMs?: number;
  /** How often the pid lists are re-read, in case an event was missed (0 = never). */
  resyncMs?: number;
  /** Keys for a daemon whose endpoints speak CURVE. */
  curve?: ClientCurveKeys;
  /** The stats PUB's own CURVE, connection cap and admission (the daemon's certificate when it has one). */
  serve?: SocketOptions;
}

const encoder = new TextEncoder();

export class StatsStreamer {
  /** Bound stats endpoint (port resolved), once started. */
  statsEndpoint = "";
  private readonly pids = new Map<string, Set<number>>();
  private circusPids = new Map<number, string>();
  private readonly sampler = new ProcessSampler();
  private readonly pub: PubSocket;
  private readonly client: CircusClient;
  private events: Subscription | null = null;
  private sockets: SocketReadCounter | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  /** Aborted by stop(): the start-up retries end. */
  private readonly stopping = new AbortController();

  constructor(private readonly opts: StreamerOptions) {
    this.client = new CircusClient({ endpoint: opts.endpoint, timeoutMs: 5000, curve: opts.curve });
    this.pub = new PubSocket(opts.serve);
  }

  /** Bind, subscribe to events, read the initial state (retrying until the daemon answers), start publishing. */
  async start(): Promise<void> {
    this.statsEndpoint = await this.pub.bind(this.opts.statspoint);
    this.events = subscribe(this.opts.pubsub, ["watcher."], (e) => this.onEvent(e), { curve: this.opts.curve });
    for (;;) {
      try {
        await this.init();
        break;
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        log.warning(`cannot read the daemon's state at ${this.opts.endpoint} (${(err as Error).message}); retrying`);
        if (!(await delay(1000, this.stopping.signal))) return;
      }
    }
    this.sockets?.start();
    this.timers.push(setInterval(() => this.publish(), this.opts.intervalMs ?? 1000));
    const resync = this.opts.resyncMs ?? 5000;
    if (resync > 0) {
      // A failed resync (the daemon restarting) is retried by the next one; events keep the lists current meanwhile.
      const resyncNow = () =>
        this.resync().catch((err: Error) => log.debug(`resync with the daemon failed: ${err.message}`));
      this.timers.push(setInterval(() => void resyncNow(), resync));
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sockets?.stop();
    await this.events?.close();
    await this.client.close();
    await this.pub.close();
  }

  /** Pids followed per watcher (for tests). */
  followed(): Record<string, number[]> {
    return Object.fromEntries([...this.pids].map(([w, s]) => [w, [...s]]));
  }

  private async call(command: string, properties: Record<string, string> = {}): Promise<Reply> {
    const reply = await this.client.call(command, properties);
    if (reply.status !== "ok") throw new Error(`${command}: ${String(reply.reason)}`);
    return reply;
  }

  private async init(): Promise<void> {
    await this.resync();
    const dstats = await this.call("dstats");
    const daemonPid =
      typeof (dstats.info as { pid?: unknown })?.pid === "number" ? (dstats.info as { pid: number }).pid : null;
    this.circusPids = new Map([[process.pid, "circusd-stats"]]);
    if (daemonPid !== null) this.circusPids.set(daemonPid, "circusd");
    const watchers = (await this.call("list")).watchers as string[];
    if (watchers.includes("circushttpd")) {
      const httpd = (await this.call("list", { name: "circushttpd" })).pids as number[];
      if (httpd.length === 1) this.circusPids.set(httpd[0]!, "circushttpd");
    }
    const listed = ((await this.call("listsockets")).sockets ?? []) as unknown as ListedSocket[];
    this.sockets = new SocketReadCounter(listed, daemonPid);
    log.info(`streaming stats on ${this.statsEndpoint} (socket reads: ${this.sockets.mode})`);
  }

  /** Re-read every watcher's pids (Circus does this once at start; we repeat it to heal missed events). */
  private async resync(): Promise<void> {
    const watchers = ((await this.call("list")).watchers as string[]).filter((w) => !CIRCUS_WATCHERS.has(w));
    const next = new Map<string, Set<number>>();
    for (const w of watchers) {
      const reply = await this.client.call("list", { name: w });
      if (reply.status === "ok" && Array.isArray(reply.pids) && reply.pids.length > 0)
        next.set(w, new Set(reply.pids as number[]));
    }
    for (const w of this.pids.keys()) if (!next.has(w)) this.pids.delete(w);
    for (const [w, pids] of next) this.pids.set(w, pids);
  }

  private onEvent(e: CircusEvent): void {
    const parts = e.topic.split(".");
    if (parts.length < 3) return;
    const watcher = parts.slice(1, -1).join(".");
    const action = parts[parts.length - 1];
    if (CIRCUS_WATCHERS.has(watcher)) return;
    const pid = Number((e.payload as { process_pid?: unknown } | null)?.process_pid);
    if (action === "spawn" && pid > 0) {
      let set = this.pids.get(watcher);
      if (!set) {
        set = new Set();
        this.pids.set(watcher, set);
      }
      set.add(pid);
    } else if ((action === "reap" || action === "kill") && pid > 0) {
      this.removePid(watcher, pid);
    } else if (action === "stop" || action === "remove") {
      for (const p of this.pids.get(watcher) ?? []) this.sampler.forget(p);
      this.pids.delete(watcher);
    }
  }

  private removePid(watcher: string, pid: number): void {
    const set = this.pids.get(watcher);
    if (!set) return;
    set.delete(pid);
    this.sampler.forget(pid);
    if (set.size === 0) this.pids.delete(watcher);
  }

  private send(topic: string, payload: unknown): void {
    // Rejects only once the streamer closed its PUB (a round finishing late): nothing to publish then.
    this.pub
      // As circusd-stats writes them: Python's json.dumps, floats with their `.0`.
      .send([encoder.encode(topic), encoder.encode(circusJson(payload))])
      .catch((e: Error) => log.debug(`${topic} not published: ${e.message}`));
  }

  /** One round: every followed watcher, the circus group, the sockets. */
  publish(): void {
    for (const [watcher, pids] of [...this.pids].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.publishGroup(
        watcher,
        [...pids],
        () => null,
        (pid) => this.removePid(watcher, pid),
      );
    }
    this.publishGroup(
      "circus",
      [...this.circusPids.keys()],
      (pid) => this.circusPids.get(pid) ?? null,
      () => {},
    );
    const sockets = this.sockets?.take();
    if (sockets) {
      for (const s of sockets.sockets) this.send(`stat.sockets.${s.fd}`, s);
      this.send("stat.sockets", sockets.total);
    }
  }

  private publishGroup(
    group: string,
    pids: number[],
    nameOf: (pid: number) => string | null,
    gone: (pid: number) => void,
  ): void {
    const infos: ProcessInfo[] = [];
    for (const pid of pids) {
      const info = this.sampler.info(pid, { children: false });
      if (info === null) {
        gone(pid); // exited before its reap event reached us
        continue;
      }
      info.subtopic = pid;
      info.name = nameOf(pid);
      infos.push(info);
      this.send(`stat.${group}.${pid}`, info);
    }
    this.send(`stat.${group}`, aggregate(infos));
  }
}
