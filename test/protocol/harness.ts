// A real Arbiter running `sleep` workers behind a real control server, driven by pyzmq peers that
// speak exactly like circusctl (DEALER, random hex identity, one JSON frame per request).

import { randomBytes } from "node:crypto";
import { Arbiter, createArbiter, type WatcherInput } from "../../src/arbiter/index.ts";
import type { CircusConfig } from "../../src/config/types.ts";
import { startControlServer, type ControlServer } from "../../src/protocol/server.ts";
import { killAllPeers, removeTempDirs, until } from "../helpers/peers.ts";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";

export interface Harness {
  arbiter: Arbiter;
  server: ControlServer;
  quits: number;
  /** Send one request as circusctl does and return the reply (its id checked). */
  call(command: string, properties?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** A circusctl-like DEALER of its own. */
  client(): Promise<Client>;
}

export interface Client {
  peer: ZmqPeer;
  call(command: string, properties?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Send raw frames and return the reply frames as text. */
  raw(frames: (string | Uint8Array)[], timeoutMs?: number): Promise<string[]>;
}

const live: Harness[] = [];
const seenPids = new Set<number>();

export const hex = () => randomBytes(16).toString("hex");

export async function makeClient(endpoint: string): Promise<Client> {
  const peer = await pyZmq({ type: "DEALER", connect: [endpoint], identity: hex() });
  return {
    peer,
    async call(command, properties = {}) {
      const id = hex();
      peer.send([JSON.stringify({ id, command, properties })]);
      const frames = await peer.recvText(15_000);
      if (frames.length !== 1) throw new Error(`expected one frame, got ${frames.length}`);
      const reply = JSON.parse(frames[0]!) as Record<string, unknown>;
      if (reply.id !== id) throw new Error(`reply id ${String(reply.id)} does not match request ${id}`);
      return reply;
    },
    async raw(frames, timeoutMs = 10_000) {
      peer.send(frames);
      return peer.recvText(timeoutMs);
    },
  };
}

/** Start an arbiter with `watchers` (or from `config`) and a control server on loopback port 0. */
export async function startHarness(
  watchers: WatcherInput[],
  opts: {
    config?: CircusConfig;
    loadConfig?: () => Promise<CircusConfig | null>;
    endpoint?: string;
    endpointOwner?: string;
    checkDelay?: number;
  } = {},
): Promise<Harness> {
  const circus = {
    endpoint: opts.endpoint ?? "tcp://127.0.0.1:0",
    pubsub_endpoint: "tcp://127.0.0.1:0",
    multicast_endpoint: "",
    check_delay: opts.checkDelay ?? 0.5,
    endpoint_owner: opts.endpointOwner ?? null,
  };
  const arbiter = opts.config ? await Arbiter.create(opts.config) : await createArbiter(watchers, { circus });
  await arbiter.start();
  const h: Harness = {
    arbiter,
    server: undefined as unknown as ControlServer,
    quits: 0,
    call: async () => ({}),
    client: () => makeClient(h.server.endpoint),
  };
  h.server = await startControlServer(
    arbiter,
    { ...arbiter.config.circus, ...circus },
    {
      onQuit: () => {
        h.quits++;
      },
      loadConfig: opts.loadConfig ?? (async () => null),
    },
  );
  let shared: Client | null = null;
  h.call = async (command, properties) => {
    shared ??= await h.client();
    return shared.call(command, properties);
  };
  live.push(h);
  return h;
}

/** Wait until a watcher has `n` processes. */
export async function waitProcesses(h: Harness, name: string, n: number, timeoutMs = 10_000): Promise<number[]> {
  await until(
    () => (h.arbiter.getWatcher(name)?.processCount() ?? -1) === n,
    timeoutMs,
    `${name} to have ${n} processes`,
  );
  const pids = h.arbiter.getWatcher(name)!.pids();
  for (const p of pids) seenPids.add(p);
  return pids;
}

/** Tear down every harness: server, watchers, peers, temp dirs, and any worker still alive. */
export async function stopHarnesses(): Promise<void> {
  await killAllPeers();
  for (const h of live.splice(0)) {
    for (const w of h.arbiter.watchers()) for (const p of w.pids()) seenPids.add(p);
    await h.server.close();
    await h.arbiter.close();
  }
  for (const pid of seenPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  seenPids.clear();
  removeTempDirs();
}
