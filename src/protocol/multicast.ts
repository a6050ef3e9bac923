// Multicast discovery (§10), off unless `multicast_endpoint` is set: join its group on one interface
// (`multicast_interface`, loopback by default) and answer each well-formed query — the JSON text `""`
// that Circus's clients send — to its sender with `{"endpoint": "<control endpoint>"}`. The socket is
// bound to the group address, so unicast datagrams and other interfaces' traffic never reach it, and
// answers are rate-limited: a forged sender address cannot turn the daemon into an amplifier.

import { delay } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import { ipVersion, isLoopbackHost } from "../util/host.ts";

const log = getLogger("circus.multicast");

export interface MulticastAddress {
  group: string;
  port: number;
}

/** Parse `udp://<group>:<port>`; null (with the reason) when discovery cannot use it. */
export function parseMulticastEndpoint(text: string): MulticastAddress | string {
  const m = /^udp:\/\/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(text.trim());
  if (!m) return `multicast_endpoint "${text}" is not udp://<group>:<port>`;
  const octets = m.slice(1, 5).map(Number);
  const port = Number(m[5]);
  if (octets.some((o) => o > 255) || port > 65535) return `multicast_endpoint "${text}" is not a valid address`;
  if (octets[0]! < 224 || octets[0]! > 239)
    return `multicast_endpoint "${text}": ${octets.join(".")} is not a multicast group (224.x–239.x)`;
  return { group: octets.join("."), port };
}

export interface MulticastResponder {
  /** The UDP port actually bound (useful with port 0). */
  readonly port: number;
  close(): void;
}

/** Answers per second at most, whoever asks. */
const ANSWERS_PER_SECOND = 20;
const QUERY = /^\s*""\s*$/;

/** Whether a datagram is a discovery query: the JSON text `""` (what circus-web sends), nothing else. */
export function isDiscoveryQuery(data: Uint8Array): boolean {
  return data.length <= 16 && QUERY.test(new TextDecoder().decode(data));
}

/**
 * Start answering discovery queries on interface `iface` (an IPv4 address); returns null (after logging
 * why) when discovery is off, the endpoint is unusable or the port is taken — discovery never stops the
 * daemon from starting.
 */
export async function startMulticast(
  multicastEndpoint: string,
  controlEndpoint: string,
  iface = "127.0.0.1",
): Promise<MulticastResponder | null> {
  if (multicastEndpoint.trim() === "") return null;
  const addr = parseMulticastEndpoint(multicastEndpoint);
  if (typeof addr === "string") {
    log.warning(`${addr}; discovery disabled`);
    return null;
  }
  if (ipVersion(iface) !== 4) {
    log.warning(`multicast_interface "${iface}" is not an IPv4 address of this host; discovery disabled`);
    return null;
  }
  const loopbackOnly = isLoopbackHost(iface);
  const answer = new TextEncoder().encode(JSON.stringify({ endpoint: controlEndpoint }));
  let window = 0;
  let answered = 0;
  let socket: Bun.udp.Socket<"buffer">;
  try {
    socket = await Bun.udpSocket({
      hostname: addr.group,
      port: addr.port,
      socket: {
        data(s, data, port, address) {
          if (!isDiscoveryQuery(data)) return;
          if (loopbackOnly && !isLoopbackHost(address)) return;
          const second = Math.floor(performance.now() / 1000);
          if (second !== window) {
            window = second;
            answered = 0;
          }
          if (++answered > ANSWERS_PER_SECOND) return;
          s.send(answer, port, address);
        },
        error(_s, err) {
          log.debug(`multicast socket error: ${err.message}`);
        },
      },
    });
  } catch (err) {
    log.warning(`cannot bind udp port ${addr.port} for discovery (${(err as Error).message}); discovery disabled`);
    return null;
  }
  try {
    if (!socket.addMembership(addr.group, iface)) throw new Error("the kernel refused the membership");
  } catch (err) {
    socket.close();
    log.warning(
      `cannot join multicast group ${addr.group} on ${iface} (${(err as Error).message}); discovery disabled`,
    );
    return null;
  }
  const s = socket;
  return { port: s.port, close: () => s.close() };
}

/** A multicast endpoint discovery cannot use; the message says why. */
export class MulticastEndpointError extends Error {
  override readonly name = "MulticastEndpointError";
}

/** A daemon that answered discovery: its control endpoint and the address it answered from. */
export interface DiscoveredDaemon {
  endpoint: string;
  address: string;
}

/**
 * The client side of discovery (what circus-web did): send one datagram to the group of
 * `multicastEndpoint` and collect the answers for `timeoutMs`. A `tcp://0.0.0.0:…` or `tcp://*:…`
 * endpoint is reported with the responder's address instead, since that is where it listens. The query
 * goes out on interface `iface` (an IPv4 address), where daemons listen: loopback unless their
 * `multicast_interface` says otherwise. Throws MulticastEndpointError when the endpoint is unusable.
 */
export async function discoverDaemons(
  multicastEndpoint: string,
  timeoutMs: number,
  iface = "127.0.0.1",
): Promise<DiscoveredDaemon[]> {
  const addr = parseMulticastEndpoint(multicastEndpoint);
  if (typeof addr === "string") throw new MulticastEndpointError(addr);
  const found = new Map<string, DiscoveredDaemon>();
  const decoder = new TextDecoder();
  const socket = await Bun.udpSocket({
    hostname: "0.0.0.0",
    port: 0,
    socket: {
      data(_s, data, _port, address) {
        let endpoint: unknown;
        try {
          endpoint = (JSON.parse(decoder.decode(data)) as { endpoint?: unknown }).endpoint;
        } catch {
          return; // not an answer of a circus daemon
        }
        if (typeof endpoint !== "string") return;
        const shown = endpoint.replace(/^tcp:\/\/(0\.0\.0\.0|\*):/, `tcp://${address}:`);
        found.set(`${shown} ${address}`, { endpoint: shown, address });
      },
    },
  });
  try {
    socket.setMulticastTTL(255);
    socket.setMulticastInterface(iface);
    socket.send('""', addr.port, addr.group);
    await delay(timeoutMs);
  } finally {
    socket.close();
  }
  return [...found.values()];
}
