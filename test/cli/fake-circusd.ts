// Runs test/fixtures/fake-circusd.py (a pyzmq ROUTER answering like circusd 0.19) for client tests,
// and spawns the ctl entry as a real subprocess. Every process started here is killed by stopAll().

import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
export const PYTHON = "/usr/bin/python3";
export const BUN = process.execPath;
export const CTL_ENTRY = join(ROOT, "test", "fixtures", "ctl-entry.ts");

const started = new Set<{ kill(sig?: number | NodeJS.Signals): void; exitCode: number | null }>();

/** Kill every process started through this helper (call from afterEach/afterAll). */
export function stopAll(): void {
  for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
  started.clear();
}

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
  /** Wait until at least `n` requests were received. */
  waitRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
}

/** Start the fake circusd; `pub` also binds a PUB publishing two events every 100 ms. */
export async function startFakeCircusd(options: { pub?: boolean } = {}): Promise<FakeCircusd> {
  const args = [PYTHON, join(ROOT, "test", "fixtures", "fake-circusd.py")];
  if (options.pub) args.push("--pub");
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "inherit" });
  started.add(proc);
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const lines: string[] = [];
  const waker: { wake: (() => void) | null } = { wake: null };
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      waker.wake?.();
    }
  })();
  const nextLine = async (): Promise<string> => {
    const deadline = Date.now() + 10000;
    while (lines.length === 0) {
      if (Date.now() > deadline) throw new Error("fake circusd did not start");
      await new Promise<void>((r) => {
        waker.wake = r;
        setTimeout(r, 50);
      });
    }
    return lines.shift()!;
  };
  const head = JSON.parse(await nextLine()) as { endpoint: string; pubsub?: string };
  const fake: FakeCircusd = {
    endpoint: head.endpoint,
    pubsub: head.pubsub,
    get requests() {
      while (lines.length) recorded.push(JSON.parse(lines.shift()!));
      return recorded;
    },
    async waitRequests(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (fake.requests.length < n && Date.now() < deadline) await Bun.sleep(20);
      return fake.requests;
    },
  };
  const recorded: RecordedRequest[] = [];
  return fake;
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `circus ctl <args>` (through test/fixtures/ctl-entry.ts) and collect its output. */
export async function runCtlProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CtlResult> {
  const proc = Bun.spawn([BUN, CTL_ENTRY, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env: { ...process.env, CIRCUSCTL_ENDPOINT: undefined, ...env },
  });
  started.add(proc);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  started.delete(proc);
  return { code, stdout, stderr };
}
