// Shared pieces of the benchmarks: /proc readings, percentiles, a persistent control client, and
// starting/stopping the daemons under comparison. Benchmarks print markdown; they are never tests.

import { readdirSync, readFileSync } from "node:fs";
import { DealerSocket } from "../../src/zmtp/index.ts";

export const CLK_TCK = 100;

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) for (const p of text.split(" ")) out.push(Number(p));
    }
  } catch {
    // gone
  }
  return out;
}

export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Resident set size in MB, from /proc/PID/status. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string, pollMs = 0.2): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (pollMs > 0) await Bun.sleep(pollMs);
  }
}

export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/**
 * A persistent circusctl-like client (DEALER, one JSON frame) for timing commands. Calls may overlap:
 * one reader hands each reply to the call with its id (two readers would take each other's replies).
 */
export class BenchClient {
  private readonly dealer = new DealerSocket({ identity: crypto.randomUUID().replaceAll("-", "") });
  private readonly pending = new Map<string, (reply: Record<string, unknown>) => void>();
  constructor(endpoint: string) {
    this.dealer.connect(endpoint);
    void this.pump();
  }
  private async pump(): Promise<void> {
    for (;;) {
      let body: Uint8Array | undefined;
      try {
        [body] = await this.dealer.receive();
      } catch {
        return; // closed
      }
      const reply = JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown>;
      const answer = this.pending.get(String(reply.id));
      this.pending.delete(String(reply.id));
      answer?.(reply);
    }
  }
  async call(command: string, properties: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = crypto.randomUUID().replaceAll("-", "");
    const reply = new Promise<Record<string, unknown>>((resolve) => this.pending.set(id, resolve));
    await this.dealer.send([JSON.stringify({ id, command, properties })]);
    return reply;
  }
  close(): Promise<void> {
    return this.dealer.close();
  }
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/** The compiled daemon under test (`npm run build` first). */
export const CIRCUS_BINARY = process.env.CIRCUS_BINARY ?? new URL("../../dist/circus", import.meta.url).pathname;
/** A checkout of Circus 0.19.0 (github circus-tent/circus), run by Debian's /usr/bin/python3 beside ours. */
export const CIRCUS_SRC = process.env.CIRCUS_SRC ?? "/work/circus-src";

export interface BenchDaemon {
  proc: ReturnType<typeof Bun.spawn>;
  /** The control endpoint. */
  endpoint: string;
  /** The pub/sub endpoint. */
  pubsub: string;
  client: BenchClient;
  /** `quit` with waiting, then wait for the process. */
  stop(): Promise<void>;
}

/**
 * Write `[circus]` (free loopback ports, plus `circusExtra` lines) and `watchers` into dir/circus.ini,
 * start the daemon, wait for its first answer.
 */
export async function startCircusDaemon(dir: string, watchers: string, circusExtra = ""): Promise<BenchDaemon> {
  const endpoint = `tcp://127.0.0.1:${freePort()}`;
  const pubsub = `tcp://127.0.0.1:${freePort()}`;
  const config = `${dir}/circus.ini`;
  await Bun.write(
    config,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\nmulticast_endpoint =\n${circusExtra}\n${watchers}`,
  );
  const proc = Bun.spawn(
    [
      ...(process.env.CIRCUS_FROM_SOURCE
        ? [process.execPath, new URL("../../src/main.ts", import.meta.url).pathname]
        : [CIRCUS_BINARY]),
      "daemon",
      config,
      "--log-level",
      "warning",
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const client = new BenchClient(endpoint);
  await client.call("status");
  return {
    proc,
    endpoint,
    pubsub,
    client,
    async stop() {
      await client.call("quit", { waiting: true }).catch(() => {});
      await client.close();
      await proc.exited;
    },
  };
}
