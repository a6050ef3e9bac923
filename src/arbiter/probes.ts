// The readiness probes of one process (decisions §6): each resolves once the process is ready and keeps
// the last reason it was not, for the message when it never gets there. `http`, `tcp` and `cmd` try
// every `ready.interval`; `log` and `notify` wait for what the process writes or sends.

import type { ProbeKind } from "../config/options/ready.ts";
import { splitHostPort } from "../config/options/ready.ts";
import { substitute } from "../config/substitute.ts";
import { delay, timerMs } from "../util/async.ts";
import { trackChild } from "./children.ts";

/** What a probe sees of its process. */
export interface ProbeSubject {
  pid: number;
  /** The spawn's `$(circus.…)` variables with `pid` added. */
  vars: Map<string, string>;
  env: Record<string, string>;
  cwd: string | null;
  /** Every line the process writes (stdout and stderr) until the returned function is called; null: not captured. */
  lines: ((listener: (line: string) => void) => () => void) | null;
  /** Every datagram the process sends to its NOTIFY_SOCKET, until the returned function is called; null: none. */
  notifications: ((listener: (message: string) => void) => () => void) | null;
}

/** One probe of one process. */
export interface Probe {
  /** `ready.http http://127.0.0.1:9001/health`, as messages name it. */
  readonly label: string;
  /** Why the process is not ready yet (the last failed attempt), or null. */
  readonly lastError: string | null;
  /** Resolves when the process is ready; resolves early (nothing more happens) once `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/** The probe of `kind` (`target` as configured, substituted here per process). */
export function makeProbe(kind: ProbeKind, target: string, intervalMs: number, subject: ProbeSubject): Probe {
  const resolved = kind === "notify" ? target : substitute(target, subject.vars);
  const label = `ready.${kind} ${kind === "notify" ? "(READY=1 on NOTIFY_SOCKET)" : resolved}`;
  switch (kind) {
    case "http":
      return polling(label, intervalMs, (signal) => httpAttempt(resolved, attemptMs(intervalMs), signal));
    case "tcp":
      return polling(label, intervalMs, (signal) => tcpAttempt(resolved, attemptMs(intervalMs), signal));
    case "cmd":
      return polling(label, intervalMs, (signal) => cmdAttempt(resolved, subject, attemptMs(intervalMs), signal));
    case "log": {
      const pattern = new RegExp(resolved);
      return waiting(label, subject.lines, "its output is not captured", (text) => pattern.test(text));
    }
    case "notify":
      return waiting(label, subject.notifications, "no NOTIFY_SOCKET could be given to it", (message) =>
        message.split("\n").some((field) => field.trim() === "READY=1"),
      );
  }
}

/** One attempt may take this long: long enough for a slow answer, short enough to try again. */
function attemptMs(intervalMs: number): number {
  return timerMs(Math.max(1000, 2 * intervalMs));
}

/** An attempt resolves with null when the process is ready, else with why not. */
type Attempt = (signal: AbortSignal) => Promise<string | null>;

function polling(label: string, intervalMs: number, attempt: Attempt): Probe {
  let lastError: string | null = null;
  return {
    label,
    get lastError() {
      return lastError;
    },
    async run(signal) {
      while (!signal.aborted) {
        const outcome = await attempt(signal);
        // An attempt cut short by the end of the wait learnt nothing: the last one that ran its course says
        // why the process is not ready (a refused port read "no answer in time" on a loaded machine, whose
        // slow attempt was still in flight at ready.timeout).
        if (signal.aborted && outcome !== null && lastError !== null) return;
        lastError = outcome;
        if (lastError === null) return;
        await delay(intervalMs, signal);
      }
    },
  };
}

function waiting<T>(
  label: string,
  source: ((listener: (item: T) => void) => () => void) | null,
  unavailable: string,
  matches: (item: T) => boolean,
): Probe {
  const lastError = source === null ? unavailable : "not seen yet";
  return {
    label,
    lastError,
    run(signal) {
      if (source === null) return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      return new Promise<void>((resolve) => {
        const done = () => {
          stop();
          signal.removeEventListener("abort", done);
          resolve();
        };
        const stop = source((item) => {
          if (matches(item)) done();
        });
        if (signal.aborted) done();
        else signal.addEventListener("abort", done, { once: true });
      });
    },
  };
}

async function httpAttempt(url: string, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      redirect: "manual",
      // A kept-alive probe connection would hold an old worker's graceful stop open.
      keepalive: false,
      headers: { connection: "close", "user-agent": "circus-readiness" },
    });
    await res.body?.cancel().catch(() => {});
    return res.status >= 200 && res.status < 300 ? null : `answered ${res.status}`;
  } catch (err) {
    return describe(err);
  }
}

async function tcpAttempt(target: string, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  const address = splitHostPort(target);
  if (address === null) return `${JSON.stringify(target)} is not host:port`;
  const attempt = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const socket = await Promise.race([
      Bun.connect({ hostname: address.host, port: address.port, socket: { data() {} } }),
      new Promise<never>((_, reject) =>
        attempt.addEventListener("abort", () => reject(new Error("no answer in time")), { once: true }),
      ),
    ]);
    socket.end();
    return null;
  } catch (err) {
    return describe(err);
  }
}

async function cmdAttempt(
  command: string,
  subject: ProbeSubject,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string | null> {
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(["/bin/sh", "-c", command], {
      env: { ...subject.env, CIRCUS_PID: String(subject.pid) },
      cwd: subject.cwd ?? undefined,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
  } catch (err) {
    return describe(err);
  }
  // Bun collects its exit status: orphan reaping must leave it alone.
  trackChild(child.pid, child.exited);
  const stop = () => child.kill(9);
  const timer = setTimeout(stop, timerMs(timeoutMs));
  signal.addEventListener("abort", stop, { once: true });
  try {
    const [code, errText] = await Promise.all([
      child.exited,
      new Response(child.stderr as ReadableStream<Uint8Array>).text(),
    ]);
    if (code === 0) return null;
    const last = errText.trim().split("\n").at(-1)?.slice(0, 200);
    return `exited ${code === null || child.signalCode ? `on ${child.signalCode}` : code}${last ? `: ${last}` : ""}`;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}

/** A failed attempt in a few words (`connection refused`, not a stack). */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : null;
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") return "connection refused";
  if (code === "TimeoutError" || (err instanceof Error && err.name === "TimeoutError")) return "no answer in time";
  const message = typeof e?.message === "string" ? e.message : String(err);
  return message.split("\n")[0]!.slice(0, 200);
}
