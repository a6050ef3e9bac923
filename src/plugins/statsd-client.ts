// A statsd client over UDP (`bucket:value|type[|@rate]`), as Circus's StatsdClient sends it. The host
// name is resolved once (IPv4 first); datagrams the kernel cannot take yet are queued until it drains,
// so a burst on loopback loses nothing.

import type { Logger } from "../util/log.ts";

type UdpSocket = import("bun").udp.Socket<"buffer">;

export interface StatsdOptions {
  host: string;
  port: number;
  /** Prepended to every bucket with a dot (Circus: `circus.<application_name>.watcher`). */
  prefix: string;
  sampleRate: number;
  logger: Logger;
}

/** Datagrams held while the socket is full; beyond this, new ones are dropped and counted. */
const MAX_QUEUED = 100_000;
const encoder = new TextEncoder();

export class StatsdClient {
  private socket: UdpSocket | null = null;
  private address: string | null = null;
  private readonly queue: Uint8Array[] = [];
  private dropped = 0;
  private opening: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: StatsdOptions) {}

  /** Resolve the host and open the socket; sends before this is done are queued. */
  open(): Promise<void> {
    this.opening ??= this.connect();
    return this.opening;
  }

  private async connect(): Promise<void> {
    const { host, logger } = this.options;
    let family: 4 | 6 = 4;
    try {
      const found = await Bun.dns.lookup(host, { family: 4 }).catch(() => Bun.dns.lookup(host, { family: 6 }));
      this.address = found[0]!.address;
      family = found[0]!.family === 6 ? 6 : 4;
    } catch (err) {
      logger.error(
        `statsd host ${JSON.stringify(host)} cannot be resolved (${(err as Error).message}); metrics are not sent`,
      );
      this.queue.length = 0;
      return;
    }
    const socket: UdpSocket = await Bun.udpSocket({
      hostname: family === 6 ? "::" : "0.0.0.0",
      socket: { drain: () => this.flush() },
    });
    this.socket = socket;
    if (this.closed) socket.close();
    else this.flush();
  }

  /** Send `bucket:value` with the client's prefix and sample rate (Circus's StatsdClient.send). */
  send(bucket: string, value: string, sampleRate = this.options.sampleRate): void {
    const rate = sampleRate !== 1 ? `|@${sampleRate}` : "";
    const name = this.options.prefix ? `${this.options.prefix}.${bucket}` : bucket;
    this.push(encoder.encode(`${name}:${value}${rate}`));
  }

  increment(bucket: string, delta = 1): void {
    this.send(bucket, `${Math.trunc(delta)}|c`);
  }

  decrement(bucket: string, delta = 1): void {
    this.increment(bucket, -Math.abs(delta));
  }

  gauge(bucket: string, value: number): void {
    this.send(bucket, `${value}|g`);
  }

  timed(bucket: string, milliseconds: number): void {
    this.send(bucket, `${milliseconds}|ms`);
  }

  /** Datagrams dropped because the queue was full. */
  get droppedCount(): number {
    return this.dropped;
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
    this.socket = null;
  }

  private push(datagram: Uint8Array): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.socket && this.address) {
      if (this.socket.send(datagram, this.options.port, this.address)) return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ === 0) this.options.logger.warning("statsd: send queue full, dropping metrics");
      return;
    }
    this.queue.push(datagram);
    if (!this.socket) void this.open();
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket || !this.address) return;
    let sent = 0;
    while (sent < this.queue.length && socket.send(this.queue[sent]!, this.options.port, this.address)) sent++;
    this.queue.splice(0, sent);
  }
}
