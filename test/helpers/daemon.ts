// Run a real `circus daemon` for a test: write its config into a temp dir, start the binary (or
// `bun src/main.ts` when no binary is built), wait until the control channel answers, and make sure
// every process it started is gone afterwards.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/circus");

/** argv prefix that runs circus: the compiled binary when built, else the sources under bun. */
export function circusCommand(): string[] {
  return existsSync(BINARY) ? [BINARY] : [process.execPath, join(ROOT, "src/main.ts")];
}

/** Allocate a free loopback TCP port (bind to 0, read it, release it). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

export interface RunningDaemon {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  dir: string;
  endpoint: string;
  pubsub: string;
  configPath: string;
  /** Everything the daemon wrote so far (stdout + stderr). */
  output(): string;
  /** Send a request the way circusctl does (libzmq DEALER, one JSON frame) and return the reply. */
  call(command: string, properties?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Stop it (SIGTERM) and wait; kills leftovers of its process tree. */
  stop(): Promise<number>;
}

/** Pids of the direct children of `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Process gone.
  }
  return out;
}

/** Pids of every descendant of `pid`. */
export function descendantsOf(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of childrenOf(queue.shift()!)) {
      all.push(child);
      queue.push(child);
    }
  }
  return all;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const PY_CALL = `
import sys, json, uuid, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
req = json.loads(sys.argv[2])
s.send(json.dumps(req).encode())
if s.poll(int(sys.argv[3])):
    print(s.recv().decode())
else:
    print(json.dumps({"status": "timeout"}))
`;

/** One request through pyzmq (a real libzmq DEALER), exactly as circusctl sends it. */
export async function pyCall(
  endpoint: string,
  command: string,
  properties: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  const request = { id: crypto.randomUUID().replaceAll("-", ""), command, properties };
  const proc = Bun.spawn(["/usr/bin/python3", "-c", PY_CALL, endpoint, JSON.stringify(request), String(timeoutMs)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [text, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  if (!text.trim()) throw new Error(`pyzmq client failed: ${err}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Start a daemon on `ini` (endpoints are filled in: `{endpoint}`, `{pubsub}`, `{dir}` placeholders). */
export interface StartOptions {
  /** Wait until the control channel answers (default true). */
  wait?: boolean;
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
  /** How the readiness check calls the daemon (default: a plain pyzmq request, as `call`). */
  call?: (endpoint: string, command: string, properties?: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

export async function startDaemon(
  ini: string,
  extraArgs: string[] = [],
  options: StartOptions = {},
): Promise<RunningDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "circus-daemon-"));
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
  const proc = Bun.spawn(
    [...(options.wrap ?? []), ...(options.command ?? circusCommand()), "daemon", configPath, ...extraArgs],
    {
      cwd: dir,
      env: options.env ?? process.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let captured = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) captured += decoder.decode(chunk);
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const daemon: RunningDaemon = {
    proc,
    dir,
    endpoint,
    pubsub,
    configPath,
    output: () => captured,
    call: (command, properties = {}) => (options.call ?? pyCall)(endpoint, command, properties),
    async stop() {
      const tree = descendantsOf(proc.pid);
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, Bun.sleep(15000).then(() => -1)]);
      if (code === -1) proc.kill("SIGKILL");
      for (const pid of tree) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone, as it should be.
        }
      }
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  if (options.wait !== false) {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`daemon exited with ${proc.exitCode}:\n${captured}`);
        const reply = await (options.call
          ? options.call(endpoint, "status")
          : pyCall(endpoint, "status", {}, 300)
        ).catch(() => null);
        return reply && reply.status === "ok";
      },
      10000,
      "the daemon's control channel",
    );
  }
  return daemon;
}

/** Wait until watcher `name` of daemon `d` lists exactly `count` pids, and return them. */
export async function waitPids(d: RunningDaemon, name: string, count: number): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = ((await d.call("list", { name })).pids ?? []) as number[];
      return pids.length === count ? pids : null;
    },
    5000,
    `${count} processes of ${name}`,
  );
}

/** Wait until `pid` runs `comm` (past Bun's clone and the launcher's re-exec); returns the pid. */
export async function waitExec(pid: number, comm: string): Promise<number> {
  await waitFor(
    () => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
      } catch {
        return false;
      }
    },
    5000,
    `${pid} to exec ${comm}`,
  );
  return pid;
}
