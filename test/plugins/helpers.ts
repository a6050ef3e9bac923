// Shared pieces of the plugin tests: a statsd listener (a real UDP socket), a daemon whose config
// holds plugin sections, and waiting on what a daemon reports.

import { join } from "node:path";
import { startDaemon, waitPids, type RunningDaemon, type StartOptions } from "../helpers/daemon.ts";
import { PYTHON } from "../helpers/paths.ts";
import { defer } from "../helpers/cleanup.ts";
import { waitFor } from "../helpers/wait.ts";

export const FIXTURES = join(import.meta.dir, "fixtures");
export const PY = PYTHON;

/** A UDP listener on 127.0.0.1 keeping every datagram as text; closed after the test. */
export interface StatsdListener {
  port: number;
  lines: string[];
  /** Wait until a datagram matches `pattern`; resolves with it. */
  waitLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function statsdListener(): Promise<StatsdListener> {
  const lines: string[] = [];
  const socket = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_s, data) {
        lines.push(Buffer.from(data).toString("utf8"));
      },
    },
  });
  defer(() => socket.close());
  return {
    port: socket.port,
    lines,
    waitLine: (pattern, timeoutMs = 10_000) =>
      waitFor(() => lines.find((l) => pattern.test(l)), timeoutMs, `a statsd line matching ${pattern}`),
    close: () => socket.close(),
  };
}

/** The [circus] section every plugin test daemon uses (check_delay 1; endpoints filled in by startDaemon). */
export const CIRCUS_SECTION = "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\ncheck_delay = 1\n";

/**
 * Start a daemon on `sections` (after CIRCUS_SECTION) and wait until watcher `plugin` runs and its process
 * logged "Starting": the runner says so once the daemon has its event subscription.
 */
export async function startWithPlugin(
  sections: string,
  plugin: string,
  options: StartOptions = {},
): Promise<RunningDaemon> {
  const d = await startDaemon(CIRCUS_SECTION + sections, [], options);
  try {
    await pluginStarted(d, plugin);
  } catch (err) {
    await d.stop();
    throw err;
  }
  return d;
}

/** Wait until the process of plugin watcher `plugin` (e.g. "plugin:statsd") logged "Starting"; its pid. */
export async function pluginStarted(d: RunningDaemon, plugin: string, timeoutMs = 10_000): Promise<number> {
  const [pid] = await pidsOf(d, plugin, 1, timeoutMs);
  await d.log.waitFor(new RegExp(`\\[${pid}\\] \\[INFO\\] Starting$`, "m"), timeoutMs);
  return pid!;
}

/** The pids of a watcher, once it has exactly `count` of them. */
export function pidsOf(d: RunningDaemon, name: string, count = 1, timeoutMs = 10_000): Promise<number[]> {
  return waitPids(d, name, count, timeoutMs);
}

/** Wait until the plugin's log line (in the daemon's output) contains `text`. */
export async function waitOutput(d: RunningDaemon, text: string, timeoutMs = 10_000): Promise<boolean> {
  await d.log.waitFor(text, timeoutMs);
  return true;
}
