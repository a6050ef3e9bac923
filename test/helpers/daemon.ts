// Run a real `circus daemon` for a test: write its config into a temp dir, start the binary (or
// `bun src/main.ts` when no binary is built), wait until the control channel answers, and make sure
// every process it started is gone afterwards. Requests go through one libzmq DEALER per daemon (pyzmq,
// as circusctl's libzmq sends them), started once rather than a Python process per request.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Subprocess } from "bun";
import { readStat } from "../../src/os/proc.ts";
import { defer } from "./cleanup.ts";
import { circusCommand, PYTHON } from "./paths.ts";
import { freePort } from "./ports.ts";
import { descendantsOf, killTree, Output, run, spawnTracked, stopProcess } from "./processes.ts";
import { removeDir, tempDir } from "./temp.ts";
import { waitFor, within } from "./wait.ts";
import { pyZmq, type ZmqPeer } from "./zmq-peers.ts";

// Old homes of the generic helpers, kept for branches written against them: import from the modules.
export { BINARY, circusCommand, ROOT } from "./paths.ts";
export { freePort } from "./ports.ts";
export { childrenOf, descendantsOf, isAlive, waitExec } from "./processes.ts";
export { waitFor } from "./wait.ts";

export type Reply = Record<string, unknown>;

export interface RunningDaemon {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  dir: string;
  endpoint: string;
  pubsub: string;
  configPath: string;
  /** Everything the daemon wrote so far (stdout + stderr). */
  output(): string;
  /** The daemon's stdout + stderr, to wait on a line (`log.waitFor("circusd started")`). */
  log: Output;
  /** Send a request the way circusctl does (libzmq DEALER, one JSON frame) and return the reply. */
  call(command: string, properties?: Record<string, unknown>, timeoutMs?: number): Promise<Reply>;
  /** Stop it (SIGTERM) and wait; kills leftovers of its process tree. */
  stop(): Promise<number>;
}

/**
 * Requests to one control endpoint over a single pyzmq DEALER: each request carries its id and the
 * reply with that id answers it, so calls may overlap. A request sent before the daemon listens waits
 * in libzmq's queue until the connection is made (reconnects are tried every 10 ms).
 */
export class ControlClient {
  private peer: Promise<ZmqPeer> | null;
  private readonly pending = new Map<string, (reply: Reply) => void>();

  /** The DEALER starts now, so that it lives as long as the test (or file) that made the client. */
  constructor(readonly endpoint: string) {
    this.peer = pyZmq({ type: "DEALER", connect: [this.endpoint], sockopts: { RECONNECT_IVL: 10 } });
    void this.peer.then((peer) => this.pump(peer)).catch(() => {});
    defer(() => this.close());
  }

  private connect(): Promise<ZmqPeer> {
    if (this.peer === null) throw new Error(`the client of ${this.endpoint} is closed`);
    return this.peer;
  }

  private async pump(peer: ZmqPeer): Promise<void> {
    for (;;) {
      let frames: string[];
      try {
        frames = await peer.recvText(3_600_000);
      } catch {
        return; // the peer was closed
      }
      const reply = JSON.parse(frames[frames.length - 1]!) as Reply;
      const answer = this.pending.get(String(reply.id));
      this.pending.delete(String(reply.id));
      answer?.(reply);
    }
  }

  /** The reply, or `{ status: "timeout" }` when none came within `timeoutMs` (a late one is dropped). */
  async call(command: string, properties: Record<string, unknown> = {}, timeoutMs = 5000): Promise<Reply> {
    const peer = await this.connect();
    const id = crypto.randomUUID().replaceAll("-", "");
    const reply = new Promise<Reply>((resolve) => this.pending.set(id, resolve));
    peer.send([JSON.stringify({ id, command, properties })]);
    try {
      return await within(reply, timeoutMs, `a reply to ${command}`);
    } catch {
      this.pending.delete(id);
      return { status: "timeout" };
    }
  }

  async close(): Promise<void> {
    const peer = this.peer;
    this.peer = null;
    if (peer) await (await peer.catch(() => null))?.kill();
  }
}

const PY_CALL = `
import sys, json, uuid, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
s.setsockopt(zmq.LINGER, 0)
if len(sys.argv) > 4:
    s.curve_serverkey = sys.argv[4].encode()
    s.curve_publickey = sys.argv[5].encode()
    s.curve_secretkey = sys.argv[6].encode()
s.connect(sys.argv[1])
req = json.loads(sys.argv[2])
s.send(json.dumps(req).encode())
if s.poll(int(sys.argv[3])):
    print(s.recv().decode())
else:
    print(json.dumps({"status": "timeout"}))
`;

/** How a one-shot pyzmq request is made: as another process (`wrap`, e.g. setpriv), over CURVE (Z85 keys). */
export interface PyCallOptions {
  wrap?: string[];
  curve?: { serverKey: string; publicKey: string; secretKey: string };
}

/**
 * One request through a fresh pyzmq process (a real libzmq DEALER), exactly as circusctl sends it: for a
 * daemon not started by `startDaemon`, or a client that must be a process of its own. Costs a Python
 * start per call; a daemon's `call` does not.
 */
export async function pyCall(
  endpoint: string,
  command: string,
  properties: Record<string, unknown> = {},
  timeoutMs = 5000,
  options: PyCallOptions = {},
): Promise<Reply> {
  const request = { id: crypto.randomUUID().replaceAll("-", ""), command, properties };
  const keys = options.curve ? [options.curve.serverKey, options.curve.publicKey, options.curve.secretKey] : [];
  const argv = [PYTHON, "-c", PY_CALL, endpoint, JSON.stringify(request), String(timeoutMs), ...keys];
  const r = await run([...(options.wrap ?? []), ...argv]);
  if (!r.stdout.trim()) throw new Error(`pyzmq client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Reply;
}

/** Start a daemon on `ini` (endpoints are filled in: `{endpoint}`, `{pubsub}`, `{dir}` placeholders). */
export interface StartOptions {
  /** Wait until the control channel answers (default true). */
  wait?: boolean;
  /** How long it may take to answer (default 10 s). */
  readyTimeoutMs?: number;
  /** argv prefix that runs circus (default: circusCommand()). */
  command?: string[];
  /** Words put before the command, e.g. `prlimit --nofile=256:8192` (it must exec the daemon in place). */
  wrap?: string[];
  /** Files written next to the config before the daemon starts (name → text; `{dir}` is replaced). */
  files?: Record<string, string>;
  /** Runs in the daemon's directory once the files are written, before the daemon starts (keys, modes). */
  prepare?: (dir: string) => void | Promise<void>;
  /** The control endpoint the config names, when not `{endpoint}` (`{dir}` is replaced): what `call` and the readiness check use. */
  endpoint?: string;
  /** Environment of the daemon (default: the test's). */
  env?: Record<string, string | undefined>;
  /**
   * How `call` and the readiness check reach the daemon (e.g. over CURVE); by default one pyzmq DEALER
   * kept for the daemon's life. A custom one is polled for readiness, one request at a time.
   */
  call?: (endpoint: string, command: string, properties?: Record<string, unknown>) => Promise<Reply>;
}

export async function startDaemon(
  ini: string,
  extraArgs: string[] = [],
  options: StartOptions = {},
): Promise<RunningDaemon> {
  const dir = tempDir("circus-daemon-");
  const endpoint = options.endpoint?.replaceAll("{dir}", dir) ?? `tcp://127.0.0.1:${freePort()}`;
  const pubsub = `tcp://127.0.0.1:${freePort()}`;
  const text = ini.replaceAll("{endpoint}", endpoint).replaceAll("{pubsub}", pubsub).replaceAll("{dir}", dir);
  const configPath = join(dir, "circus.ini");
  writeFileSync(configPath, text);
  for (const [name, body] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), body.replaceAll("{dir}", dir));
  }
  await options.prepare?.(dir);
  const proc = spawnTracked(
    [...(options.wrap ?? []), ...(options.command ?? circusCommand()), "daemon", configPath, ...extraArgs],
    { cwd: dir, env: options.env ?? process.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const log = new Output(proc.stdout, proc.stderr);
  const custom = options.call;
  const client = custom ? null : new ControlClient(endpoint);
  const call = (command: string, properties: Record<string, unknown> = {}, timeoutMs?: number): Promise<Reply> =>
    custom ? custom(endpoint, command, properties) : client!.call(command, properties, timeoutMs);
  const daemon: RunningDaemon = {
    proc,
    dir,
    endpoint,
    pubsub,
    configPath,
    log,
    output: () => log.text(),
    call,
    async stop() {
      // Its workers, remembered with their start times: those a dying daemon leaves behind are killed.
      const tree = descendantsOf(proc.pid).map((pid) => ({ pid, startTicks: readStat(pid)?.startTicks }));
      const code = await stopProcess(proc, "SIGTERM", 15_000);
      for (const { pid, startTicks } of tree) if (readStat(pid)?.startTicks === startTicks) killTree(pid);
      await client?.close();
      removeDir(dir);
      return code;
    },
  };
  if (options.wait !== false) {
    const exited = proc.exited.then((code) => {
      throw new Error(`daemon exited with ${code}:\n${log.text()}`);
    });
    const readyMs = options.readyTimeoutMs ?? 10_000;
    const answered = (
      custom
        ? waitFor(async () => (await custom(endpoint, "status").catch(() => null))?.status === "ok", readyMs, "status")
        : call("status", {}, readyMs).then((reply) => reply.status === "ok")
    ).then((ok) => {
      if (!ok) throw new Error(`the daemon's control channel did not answer:\n${log.text()}`);
    });
    // Whichever loses the race settles unobserved: a later exit is the test's business.
    answered.catch(() => {});
    exited.catch(() => {});
    await Promise.race([answered, exited]);
  }
  return daemon;
}

/** Wait until watcher `name` of daemon `d` lists exactly `count` pids, and return them. */
export async function waitPids(d: RunningDaemon, name: string, count: number, timeoutMs = 5000): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = ((await d.call("list", { name })).pids ?? []) as number[];
      return pids.length === count ? pids : null;
    },
    timeoutMs,
    `${count} processes of ${name}`,
  );
}
