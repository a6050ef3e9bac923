// While a `--waiting` incr/decr/start/stop/restart/reload runs on a terminal, say what it waits for:
// `\r37/100 processes` while processes start, `stopping 2 of slow: SIGTERM sent, SIGKILL in 6 s` while
// they stop — by polling numprocesses (actual) and the watcher's options on the same client.

import type { CircusClient } from "../../protocol/client.ts";
import type { JsonObject } from "../../protocol/command.ts";
import { signalName } from "../../os/signals.ts";
import { delay } from "../../util/async.ts";

/** Commands whose --waiting runs long enough to deserve a progress line. */
export const PROGRESS_COMMANDS = new Set(["incr", "decr", "start", "stop", "restart", "reload"]);

export interface ProgressOutput {
  write(text: string): void;
}

/** What one poll found: processes running, and the count the watcher is heading for (null: unknown). */
export interface ProgressState {
  actual: number;
  target: number | null;
}

/** How the watcher stops its processes (from `get`), for the "SIGKILL in N s" countdown. */
export interface StopProcedure {
  signal: string;
  gracefulTimeout: number;
}

/**
 * The progress line for one poll. `stoppingFor` is how long processes have been above the target, in
 * seconds (the countdown to SIGKILL starts then).
 */
export function progressLine(
  name: string | null,
  state: ProgressState,
  stop: StopProcedure | null,
  stoppingFor: number,
): string {
  const { actual, target } = state;
  if (target !== null && actual > target) {
    const extra = actual - target;
    const what = name === null ? `stopping ${extra} process${extra === 1 ? "" : "es"}` : `stopping ${extra} of ${name}`;
    if (stop === null) return what;
    const left = Math.ceil(stop.gracefulTimeout - stoppingFor);
    return left > 0 ? `${what}: ${stop.signal} sent, SIGKILL in ${left} s` : `${what}: SIGKILL sent`;
  }
  return `${actual}${target === null ? "" : `/${target}`} processes`;
}

async function stopProcedure(client: CircusClient, name: string | null): Promise<StopProcedure | null> {
  if (name === null) return null;
  try {
    const reply = await client.call("get", { name, keys: ["graceful_timeout", "stop_signal"] }, { timeoutMs: 1000 });
    const options = reply.options as JsonObject | undefined;
    const graceful = options?.graceful_timeout;
    const signum = options?.stop_signal;
    if (typeof graceful !== "number") return null;
    const signal = typeof signum === "number" ? signalName(signum) : typeof signum === "string" ? signum : "SIGTERM";
    return { signal: signal.startsWith("SIG") ? signal : `SIG${signal}`, gracefulTimeout: graceful };
  } catch {
    return null; // no countdown then; the count still shows
  }
}

/**
 * Poll every `intervalMs` until `done` settles, writing a progress line to `out`, then clear it.
 * Poll failures are ignored: the main call reports what matters.
 */
export async function showProgress<T>(
  client: CircusClient,
  command: string,
  properties: JsonObject,
  done: Promise<T>,
  out: ProgressOutput,
  intervalMs = 100,
): Promise<T> {
  const finished = new AbortController();
  const settled = done.finally(() => finished.abort());
  const name = typeof properties.name === "string" ? properties.name : null;
  let shown = false;
  const began = performance.now();
  const poll = async () => {
    const stop = await stopProcedure(client, name);
    let stoppingSince: number | null = null;
    let first = true;
    while (await delay(intervalMs, finished.signal)) {
      try {
        const [actualReply, targetReply] = await Promise.all([
          client.call("numprocesses", name ? { name } : {}, { timeoutMs: 1000 }),
          name && command !== "stop" ? client.call("get", { name, keys: ["numprocesses"] }, { timeoutMs: 1000 }) : null,
        ]);
        const actual = actualReply.numprocesses;
        const option = (targetReply?.options as JsonObject | undefined)?.numprocesses;
        if (finished.signal.aborted || typeof actual !== "number") continue;
        const target = command === "stop" ? 0 : typeof option === "number" ? option : null;
        const stopping = target !== null && actual > target;
        // Seen at the first poll, the stop began with the command (stop, decr sign at once).
        stoppingSince = stopping ? (stoppingSince ?? (first ? began : performance.now())) : null;
        first = false;
        const elapsed = stoppingSince === null ? 0 : (performance.now() - stoppingSince) / 1000;
        out.write(`\r\x1b[K${progressLine(name, { actual, target }, stop, elapsed)}`);
        shown = true;
      } catch {
        // A missed progress poll is harmless: keep polling; the main call decides the outcome.
      }
    }
  };
  const poller = poll();
  try {
    return await settled;
  } finally {
    await poller;
    if (shown) out.write("\r\x1b[K");
  }
}
