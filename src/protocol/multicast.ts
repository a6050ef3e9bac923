// Multicast discovery (§10): join the group of `multicast_endpoint` and answer every datagram, to its
// sender, with `{"endpoint": "<control endpoint>"}`. Unicast datagrams to the port are answered too.

import { delay } from "../util/async.ts";
import { getLogger } from "../util/log.ts";

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

/**
 * Start answering discovery datagrams; returns null (after logging why) when discovery is off, the
 * endpoint is unusable or the port is taken — discovery never stops the daemon from starting.
 */
export async function startMulticast(
  multicastEndpoint: string,
  controlEndpoint: string,
): Promise<MulticastResponder | null> {
  if (multicastEndpoint.trim() === "") return null;
  const addr = parseMulticastEndpoint(multicastEndpoint);
  if (typeof addr === "string") {
    log.warning(`${addr}; discovery disabled`);
    return null;
  }
  const answer = new TextEncoder().encode(JSON.stringify({ endpoint: controlEndpoint }));
  let socket: Bun.udp.Socket<"buffer">;
  try {
    socket = await Bun.udpSocket({
      hostname: "0.0.0.0",
      port: addr.port,
      socket: {
        data(s, _data, port, address) {
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
    socket.setMulticastTTL(255);
    if (!socket.addMembership(addr.group))
      log.warning(`could not join multicast group ${addr.group}; answering unicast only`);
  } catch (err) {
    log.warning(`could not join multicast group ${addr.group} (${(err as Error).message}); answering unicast only`);
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
 * endpoint is reported with the responder's address instead, since that is where it listens.
 * Throws MulticastEndpointError when the endpoint is unusable.
 */
export async function discoverDaemons(multicastEndpoint: string, timeoutMs: number): Promise<DiscoveredDaemon[]> {
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
    socket.send('""', addr.port, addr.group);
    await delay(timeoutMs);
  } finally {
    socket.close();
  }
  return [...found.values()];
}
