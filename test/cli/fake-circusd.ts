// Runs test/fixtures/fake-circusd.py (a pyzmq ROUTER answering like circusd 0.19) for client tests,
// and spawns the ctl entry as a real subprocess. Every process started here is killed by stopAll().

import { join } from "node:path";
import { BUN, PYTHON, ROOT } from "../helpers/paths.ts";
import { Output, run, spawnTracked } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

import { ControlClient } from "../helpers/daemon.ts";

export { BUN, PYTHON } from "../helpers/paths.ts";
export const CTL_ENTRY = join(ROOT, "test", "fixtures", "ctl-entry.ts");

const started = new Set<{ kill(sig?: number | NodeJS.Signals): void; exitCode: number | null }>();

/** Kill every process started through this helper now (they are also killed on their own after the test). */
export function stopAll(): void {
  for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
  started.clear();
}

/** The command of the requests `settled` sends (the fake answers "unknown command"). */
const SYNC_COMMAND = "__test_sync__";

export interface RecordedRequest {
  frames: number;
  identity: string;
  request: { id: string; command: string; properties: Record<string, unknown>; msg_type?: string };
}

export interface FakeCircusd {
  endpoint: string;
  pubsub?: string;
  /** Requests received so far (the fake prints one JSON line per request). */
  requests: RecordedRequest[];
  /** Wait until at least `n` requests were received; after `timeoutMs`, the ones received so far. */
  waitRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /**
   * The requests received, once any request sent by a client that has exited is among them: a request
   * of our own is answered after those (they reached the fake's socket before ours was even connected).
   */
  settled(): Promise<RecordedRequest[]>;
}

/** Start the fake circusd; `pub` also binds a PUB publishing two events every 100 ms. */
export async function startFakeCircusd(options: { pub?: boolean } = {}): Promise<FakeCircusd> {
  const args = [PYTHON, join(ROOT, "test", "fixtures", "fake-circusd.py")];
  if (options.pub) args.push("--pub");
  const proc = spawnTracked(args, { stdout: "pipe", stderr: "inherit" });
  started.add(proc);
  const output = new Output(proc.stdout);
  const head = JSON.parse((await output.waitFor(/^.*\n/, 10_000))[0]) as { endpoint: string; pubsub?: string };
  const marker = new ControlClient(head.endpoint);
  const requests = () =>
    output
      .text()
      .split("\n")
      .slice(1, -1)
      .map((line) => JSON.parse(line) as RecordedRequest)
      .filter((r) => r.request.command !== SYNC_COMMAND);
  const fake: FakeCircusd = {
    endpoint: head.endpoint,
    pubsub: head.pubsub,
    get requests() {
      return requests();
    },
    async waitRequests(n, timeoutMs = 5000) {
      await waitFor(() => requests().length >= n, timeoutMs, `${n} requests`).catch(() => {});
      return requests();
    },
    async settled() {
      await marker.call(SYNC_COMMAND, {}, 10_000);
      return requests();
    },
  };
  return fake;
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `circus ctl <args>` (through test/fixtures/ctl-entry.ts) and collect its output. */
export async function runCtlProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CtlResult> {
  return run([BUN, CTL_ENTRY, ...args], { env: { ...process.env, CIRCUSCTL_ENDPOINT: undefined, ...env } });
}
