// While a `--waiting` incr/decr/start/restart/reload runs, show `\r37/100 processes` on a terminal by
// polling numprocesses (actual) and the watcher's numprocesses option (target) on the same client.

import type { CircusClient } from "../../protocol/client.ts";
import type { JsonObject } from "../../protocol/command.ts";
import { delay } from "../../util/async.ts";

/** Commands whose --waiting runs long enough to deserve a progress line. */
export const PROGRESS_COMMANDS = new Set(["incr", "decr", "start", "restart", "reload"]);

export interface ProgressOutput {
  write(text: string): void;
}

/**
 * Poll every `intervalMs` until `done` settles, writing a progress line to `out`, then clear it.
 * Poll failures are ignored: the main call reports what matters.
 */
export async function showProgress<T>(
  client: CircusClient,
  properties: JsonObject,
  done: Promise<T>,
  out: ProgressOutput,
  intervalMs = 100,
): Promise<T> {
  const finished = new AbortController();
  const settled = done.finally(() => finished.abort());
  const name = typeof properties.name === "string" ? properties.name : null;
  let shown = false;
  const poll = async () => {
    while (await delay(intervalMs, finished.signal)) {
      try {
        const [actualReply, targetReply] = await Promise.all([
          client.call("numprocesses", name ? { name } : {}, { timeoutMs: 1000 }),
          name ? client.call("get", { name, keys: ["numprocesses"] }, { timeoutMs: 1000 }) : null,
        ]);
        const actual = actualReply.numprocesses;
        const target = (targetReply?.options as JsonObject | undefined)?.numprocesses;
        if (finished.signal.aborted || typeof actual !== "number") continue;
        out.write(`\r\x1b[K${actual}${typeof target === "number" ? `/${target}` : ""} processes`);
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
