// `ps` (beyond Circus, after `pm2 ls`): one row per watcher — state, processes running of wanted,
// restarts, the last exit and its reason, uptime of its youngest process, CPU and resident memory.

import { signalName } from "../../os/signals.ts";
import { daemonSampler } from "../../stats/index.ts";
import type { ControlledWatcher } from "../arbiter-api.ts";
import type { Command, JsonObject } from "../command.ts";
import { matchWatchers } from "../execution.ts";
import { lastExitJson } from "../exit-state.ts";
import { optString } from "../props.ts";

/** How long to wait for a second CPU sample of processes `stats`/`ps` never sampled before. */
const FIRST_SAMPLE_MS = 200;

/** What `ps` shows of a watcher's exits (decisions §2): restarts, the last exit, why spawning gave up. */
function psExitKeys(w: ControlledWatcher): {
  restarts: number;
  last_exit: JsonObject | null;
  spawn_error: string | null;
} {
  const state = w.exitState();
  return { restarts: state.restarts, last_exit: lastExitJson(state.lastExit), spawn_error: state.spawnError };
}

/** Each process's CPU % and RSS; a pid never sampled is sampled again after a short pause (0 % otherwise). */
async function figures(pids: number[]): Promise<Map<number, { cpu: number; rss: number }>> {
  const fresh = pids.filter((pid) => !daemonSampler.knows(pid));
  for (const pid of fresh) daemonSampler.info(pid, { children: false });
  if (fresh.length > 0) await Bun.sleep(FIRST_SAMPLE_MS);
  const out = new Map<number, { cpu: number; rss: number }>();
  for (const pid of pids) {
    const info = daemonSampler.info(pid, { children: false });
    if (info !== null) out.set(pid, { cpu: typeof info.cpu === "number" ? info.cpu : 0, rss: info.rss });
  }
  return out;
}

export const ps = {
  name: "ps",
  summary: "One line per watcher: state, processes, restarts, last exit, uptime, CPU, memory",
  help:
    "A table of the watchers (or those matching a pattern, glob by default): state, processes running\n" +
    "of wanted, how often processes were respawned after dying on their own, the last exit (reason,\n" +
    "status or signal, how long ago), the uptime of the youngest process, CPU % and resident memory\n" +
    "(MB) summed over the processes.\n\n  circus ctl ps [<name>] [--match simple|glob|regex]",
  cli: [
    { property: "name", kind: "positional", optional: true, description: "watcher name or pattern (default: all)" },
    { property: "match", kind: "option", description: "how <name> matches: simple, glob (default) or regex" },
  ] as const,
  async: false,
  validate: (p) => ({ name: optString(p, "name"), match: optString(p, "match") ?? "glob" }),
  async execute(ctx, { name, match }) {
    const watchers = name === undefined ? ctx.arbiter.watchers() : matchWatchers(ctx, name, match);
    const now = Date.now() / 1000;
    const sampled = await figures(watchers.flatMap((w) => w.processes().map((p) => p.pid)));
    const rows = watchers.map((w) => {
      const procs = w.processes();
      const seen = procs.map((p) => sampled.get(p.pid)).filter((f) => f !== undefined);
      const youngest = procs.length > 0 ? Math.max(...procs.map((p) => p.started)) : null;
      return {
        name: w.name,
        status: w.status(),
        running: procs.length,
        wanted: w.config.numprocesses,
        ...psExitKeys(w),
        uptime: youngest === null ? null : Math.max(0, now - youngest),
        cpu: procs.length > 0 ? Math.round(seen.reduce((n, f) => n + f.cpu, 0) * 10) / 10 : null,
        rss: procs.length > 0 ? seen.reduce((n, f) => n + f.rss, 0) : null,
      };
    });
    return { watchers: rows };
  },
  format(reply, _request, style = { colour: false }) {
    // `time` (the envelope's, the daemon's clock) is what the exits' times are relative to.
    return psTable((reply.watchers ?? []) as JsonObject[], reply.time, style.colour);
  },
} satisfies Command<{ name?: string; match: string }>;

/** `45s`, `12m`, `3h`, `2d`. */
export function shortDuration(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** `crash (status 1) 5m ago`, `stop (SIGTERM) 3s ago`. */
export function describeExit(exit: JsonObject | null | undefined, now: number): string {
  if (!exit) return "-";
  const how = typeof exit.signal === "number" ? signalName(exit.signal) : `status ${exit.status}`;
  const ago = typeof exit.time === "number" ? ` ${shortDuration(Math.max(0, now - exit.time))} ago` : "";
  return `${exit.reason} (${how})${ago}`;
}

const STATE_COLOURS: Record<string, string> = { active: "32", stopped: "31", starting: "33", stopping: "33" };

/** The table `circus ctl ps` prints; states coloured when `colour`. */
export function psTable(rows: JsonObject[], now: number, colour: boolean): string {
  const head = ["WATCHER", "STATE", "PROCS", "RESTARTS", "LAST EXIT", "UPTIME", "CPU %", "RSS MB"];
  const cells = rows.map((r) => [
    String(r.name),
    String(r.status),
    `${r.running}/${r.wanted}`,
    r.restarts === null || r.restarts === undefined ? "-" : String(r.restarts),
    describeExit(r.last_exit as JsonObject | null, now),
    typeof r.uptime === "number" ? shortDuration(r.uptime) : "-",
    typeof r.cpu === "number" ? r.cpu.toFixed(1) : "-",
    typeof r.rss === "number" ? (r.rss / (1024 * 1024)).toFixed(1) : "-",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[], paint = false) =>
    c
      .map((text, i) => {
        const padded = i === c.length - 1 ? text : text.padEnd(widths[i]!);
        const code = paint && i === 1 ? STATE_COLOURS[text] : undefined;
        return code ? `\x1b[${code}m${padded}\x1b[0m` : padded;
      })
      .join("  ")
      .trimEnd();
  // Why a watcher stopped spawning is worth its own line: it does not fit a column.
  const gaveUp = rows
    .filter((r) => typeof r.spawn_error === "string")
    .map((r) => `${r.name}: not spawning: ${r.spawn_error}`);
  return [line(head), ...cells.map((c) => line(c, colour)), ...(gaveUp.length > 0 ? ["", ...gaveUp] : [])].join("\n");
}
