// The event publisher: a PUB socket at `pubsub_endpoint` republishing every arbiter bus event as
// Circus does, two frames `[topic, json]`, the payload written as Python's json.dumps writes it.

import { getLogger } from "../util/log.ts";
import { type PeerInfo, PubSocket, type SocketOptions } from "../zmtp/index.ts";
import { circusJson } from "./floats.ts";

const log = getLogger("circus.publisher");

/** The bus surface the publisher needs (src/arbiter/bus.ts EventBus). */
export interface EventSource {
  subscribe(listener: (topic: string, payload: Record<string, unknown>) => void): () => void;
}

const encoder = new TextEncoder();

export class Publisher {
  private constructor(
    private readonly socket: PubSocket,
    private readonly unsubscribe: () => void,
    readonly endpoint: string,
  ) {}

  /** Bind the PUB at `endpoint` (an ipc file is created mode 0600) and publish every event of `bus`. */
  static async bind(
    endpoint: string,
    bus: EventSource,
    options: SocketOptions = {},
    /** An inherited listening fd to serve `endpoint` on (after a daemon upgrade). */
    fd?: number,
  ): Promise<Publisher> {
    const socket = new PubSocket(options);
    const resolved = await socket.bind(endpoint, { ipcMode: 0o600, fd });
    const unsubscribe = bus.subscribe((topic, payload) => {
      // A PUB rejects only once closed, and close() unsubscribes first; log rather than lose a surprise.
      socket
        .send([encoder.encode(topic), encoder.encode(circusJson(payload))])
        .catch((e: Error) => log.debug(`event ${topic} not published: ${e.message}`));
    });
    return new Publisher(socket, unsubscribe, resolved);
  }

  /** The listening socket's fd (handed over by a daemon upgrade). */
  get listeningFd(): number {
    return this.socket.listeningFds[0] ?? -1;
  }

  /** Subscribers connected now whose subscriptions take `topic`. */
  subscribersOf(topic: string): number {
    return this.socket.subscribersFor(encoder.encode(topic));
  }

  /** Close the connections `filter` picks; returns how many. */
  disconnect(filter: (peer: PeerInfo) => boolean): number {
    return this.socket.disconnect(filter);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.socket.close();
  }
}
