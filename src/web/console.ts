// The web console as one object: the daemon link (replaced when an admin connects elsewhere), the
// live hub, the sessions and credentials, and multicast discovery. `routes.ts` serves it over HTTP;
// `serve.ts` puts it on a port or an inherited fd.

import { getLogger } from "../util/log.ts";
import type { ClientCurveKeys } from "../protocol/client.ts";
import { discoverDaemons, type DiscoveredDaemon } from "../protocol/multicast.ts";
import { parseEndpoint } from "../zmtp/endpoint.ts";
import type { Authenticator } from "./auth.ts";
import { DaemonLink, type TunnelOpener } from "./link.ts";
import { LiveHub } from "./live.ts";
import { SessionStore } from "./sessions.ts";

const log = getLogger("circus.web");

export interface ConsoleOptions {
  /** The daemon to connect to at start; null shows the connect page until an admin picks one. */
  endpoint: string | null;
  /** Override what `globaloptions` says about the event and stats endpoints. */
  pubsub?: string;
  statspoint?: string;
  /** Reach the daemon through ssh (--ssh). */
  openTunnel?: TunnelOpener;
  auth: Authenticator;
  /** Idle timeout of a session in ms. */
  sessionIdleMs?: number;
  /** `udp://group:port` to search for daemons on the connect page; null = discovery off. */
  multicast: string | null;
  /** Control-call timeout in ms. */
  timeoutMs?: number;
  /** Keys for daemons whose endpoints speak CURVE (--curve-server-key / --curve-key). */
  curve?: ClientCurveKeys;
  /** Interface discovery queries go out on (--multicast-interface); default loopback, as daemons listen. */
  multicastInterface?: string;
}

export class WebConsole {
  readonly sessions: SessionStore;
  readonly hub: LiveHub;
  readonly auth: Authenticator;
  readonly multicast: string | null;
  link: DaemonLink | null = null;
  /** Set once listening: part of the session cookie's name, so two consoles on one host do not clash. */
  port = 0;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(private readonly options: ConsoleOptions) {
    this.auth = options.auth;
    this.multicast = options.multicast;
    this.sessions = new SessionStore({ idleMs: options.sessionIdleMs });
    this.hub = new LiveHub(this.sessions);
    this.sweeper = setInterval(() => this.sessions.sweep(), 60_000);
    if (options.endpoint) this.connect(options.endpoint);
  }

  /** Talk to the daemon at `endpoint` from now on (throws EndpointError when it is malformed). */
  connect(endpoint: string): void {
    parseEndpoint(endpoint);
    const previous = this.link;
    const link = new DaemonLink({
      endpoint,
      pubsub: this.options.pubsub,
      statspoint: this.options.statspoint,
      openTunnel: this.options.openTunnel,
      timeoutMs: this.options.timeoutMs,
      curve: this.options.curve,
    });
    this.link = link;
    this.hub.attach(link);
    link.start();
    if (previous) void previous.close();
    log.info(`console follows the daemon at ${endpoint}`);
  }

  /** Ask the network which daemons answer discovery. */
  discover(): Promise<DiscoveredDaemon[]> {
    if (!this.multicast) return Promise.resolve([]);
    return discoverDaemons(this.multicast, 1000, this.options.multicastInterface);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.hub.closeAll();
    await this.link?.close();
  }
}
