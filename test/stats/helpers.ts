// Shared pieces of the stats tests: a daemon running known loads, size parsing, a stat.* subscriber.

import { join } from "node:path";
import { freePort, ROOT, startDaemon, type RunningDaemon } from "../helpers/daemon.ts";
import { spawnPeer, type Peer } from "../helpers/peers.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

const FIXTURES = join(import.meta.dir, "fixtures");
export const PY = "/usr/bin/python3";
export const MB50 = 50 * 1024 * 1024;

/** A daemon with `busy` (one core), `hold` (50 MiB resident), `idle` (sleep) and a listening socket `web`. */
export async function startLoadedDaemon(extraSections = ""): Promise<RunningDaemon & { webPort: number }> {
  const webPort = freePort();
  const d = await startDaemon(`
[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
check_delay = 1

[watcher:busy]
cmd = ${PY} ${FIXTURES}/busy.py

[watcher:hold]
cmd = ${PY} ${FIXTURES}/hold.py

[watcher:idle]
cmd = sleep 3600
numprocesses = 1

[socket:web]
host = 127.0.0.1
port = ${webPort}

${extraSections}
`);
  return Object.assign(d, { webPort });
}

/**
 * What `[circus] statsd = true` adds (src/arbiter/internal-watchers.ts), spelled as a config section
 * running the sources: `circus stats` as the singleton `circusd-stats` watcher holding the sockets.
 */
export function statsWatcherSection(statspoint: string): string {
  return `
[watcher:circusd-stats]
cmd = ${process.execPath} ${join(ROOT, "test/fixtures/stats-entry.ts")}
args = --endpoint {endpoint} --pubsub {pubsub} --statspoint ${statspoint}
singleton = true
use_sockets = true
copy_env = true
`;
}

/** "3.45M" → bytes. */
export function parseHuman(text: string): number {
  const m = /^([\d.]+)([BKMGTPEZY])$/.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const power = "BKMGTPEZY".indexOf(m[2]!);
  return Number(m[1]) * 1024 ** power;
}

/** `circus stats` from the sources, tracked as a peer (killed by killAllPeers). */
export function startStreamer(d: RunningDaemon, statspoint: string): Peer {
  return spawnPeer(
    [
      process.execPath,
      join(ROOT, "test/fixtures/stats-entry.ts"),
      "--endpoint",
      d.endpoint,
      "--pubsub",
      d.pubsub,
      "--statspoint",
      statspoint,
    ],
    "circus stats",
  );
}

export interface StatMessage {
  topic: string;
  body: Record<string, unknown>;
  /** The payload as sent. */
  text: string;
}

/** A pyzmq SUB on `endpoint` that keeps every stat.* message it receives. */
export async function statSubscriber(
  endpoint: string,
): Promise<{ sub: ZmqPeer; seen: StatMessage[]; pump: Promise<void>; stop(): void }> {
  const sub = await pyZmq({ type: "SUB", connect: [endpoint], subscribe: ["stat."] });
  const seen: StatMessage[] = [];
  let running = true;
  const pump = (async () => {
    while (running) {
      const frames = await sub.recvText(60_000).catch(() => null);
      if (!frames) break;
      seen.push({ topic: frames[0]!, body: JSON.parse(frames[1]!), text: frames[1]! });
    }
  })();
  return { sub, seen, pump, stop: () => (running = false) };
}

/** The last message on exactly `topic`, if any. */
export function last(seen: StatMessage[], topic: string, since = 0): StatMessage | undefined {
  for (let i = seen.length - 1; i >= since; i--) if (seen[i]!.topic === topic) return seen[i];
  return undefined;
}
