// Foreign peers for interop tests: inline Python (Debian python3 with pyzmq) and Node (npm zeromq)
// scripts run as child processes, talking line by line on stdout/stdin. Every peer is tracked by pid
// (./processes.ts), so none outlives its test, even when the test fails.

import type { Subprocess } from "bun";
import { PYTHON, ROOT } from "./paths.ts";
import { testRunning } from "./cleanup.ts";
import { spawnTracked } from "./processes.ts";

// Old homes of generic helpers, kept for branches written against them: import from the modules.
export { PYTHON } from "./paths.ts";
export { removeTempDirs, tempDir } from "./temp.ts";
export { until } from "./wait.ts";
/** Node resolves `require("zeromq")` from this directory's node_modules. */
export const REPO = ROOT;

export interface Peer {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  /** The next stdout line (rejects on timeout or if the process exits first). */
  line(timeoutMs?: number): Promise<string>;
  /** The next stdout line parsed as JSON. */
  json<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Skip lines until one starts with `prefix` (default "READY"); returns the rest of that line, trimmed. */
  waitFor(prefix?: string, timeoutMs?: number): Promise<string>;
  /** Write a line to the peer's stdin. */
  send(line: string): void;
  /** Everything the peer wrote to stderr so far (for failure messages). */
  stderr(): string;
  kill(): Promise<void>;
}

const live = new Set<Peer>();

function wrap(proc: Subprocess<"pipe", "pipe", "pipe">, what: string): Peer {
  const lines: string[] = [];
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let err = "";
  let ended = false;
  const fail = () => new Error(`${what} exited (code ${proc.exitCode}) before printing a line; stderr:\n${err}`);

  void (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = waiters.shift();
        if (w) w.resolve(l);
        else lines.push(l);
      }
    }
    await proc.exited;
    ended = true;
    for (const w of waiters.splice(0)) w.reject(fail());
  })();
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) err += dec.decode(chunk, { stream: true });
  })();

  const peer: Peer = {
    proc,
    line(timeoutMs = 10_000) {
      if (lines.length > 0) return Promise.resolve(lines.shift()!);
      if (ended) return Promise.reject(fail());
      return new Promise((resolve, reject) => {
        const w = {
          resolve: (l: string) => {
            clearTimeout(t);
            resolve(l);
          },
          reject: (e: Error) => {
            clearTimeout(t);
            reject(e);
          },
        };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${what}: no output line within ${timeoutMs} ms; stderr:\n${err}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    async json<T>(timeoutMs?: number) {
      return JSON.parse(await peer.line(timeoutMs)) as T;
    },
    async waitFor(prefix = "READY", timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const l = await peer.line(Math.max(1, deadline - Date.now()));
        if (l.startsWith(prefix)) return l.slice(prefix.length).trim();
      }
    },
    send(line: string) {
      proc.stdin.write(line + "\n");
      proc.stdin.flush();
    },
    stderr: () => err,
    async kill() {
      live.delete(peer);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
  if (testRunning()) live.add(peer);
  return peer;
}

/** Run `script` under Debian python3 (pyzmq available); `args` arrive as sys.argv[1:]. */
export function spawnPython(script: string, args: readonly string[] = []): Peer {
  const proc = spawnTracked([PYTHON, "-u", "-c", script, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  return wrap(proc, "python peer");
}

/** Run `script` under Node with cwd at the repo (so `require("zeromq")` works); args are process.argv.slice(1). */
export function spawnNode(script: string, args: readonly string[] = []): Peer {
  const proc = spawnTracked(["node", "-e", script, ...args], {
    cwd: ROOT,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  return wrap(proc, "node peer");
}

/** Run any command as a peer (e.g. a compiled fixture binary). */
export function spawnPeer(cmd: readonly string[], what = cmd[0] ?? "peer"): Peer {
  const proc = spawnTracked([...cmd], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  return wrap(proc, what);
}

/** Kill every peer the current test started (they are also killed on their own after it). */
export async function killAllPeers(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}
