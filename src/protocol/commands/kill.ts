// `kill`: run the stop procedure (signal, grace period, SIGKILL) on all or one of a watcher's processes.

import type { Command } from "../command.ts";
import { lookupWatcher, settle } from "../execution.ts";
import { optInt, optNumber, optSignal, requireString } from "../props.ts";

export interface KillProps {
  name: string;
  pid?: number;
  signum?: number;
  graceful_timeout?: number;
}

export const kill = {
  name: "kill",
  summary: "Kill processes of a watcher",
  help:
    "Stop all processes of a watcher, or just <pid>, with the stop procedure: <signum> (default: the watcher's\n" +
    "stop_signal), wait up to <graceful_timeout> seconds, then SIGKILL. Respawning then replaces them.\n\n" +
    "  circus ctl kill <name> [<pid>] [--signum SIG] [--graceful_timeout N] [--waiting]",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    { property: "pid", kind: "positional", optional: true, convert: "int", description: "one process id" },
    { property: "signum", kind: "option", convert: "signal", description: "signal to send first" },
    { property: "graceful_timeout", kind: "option", convert: "float", description: "seconds before SIGKILL" },
    { property: "waiting", kind: "flag", description: "wait until the processes are gone" },
  ] as const,
  async: true,
  validate: (p) => ({
    name: requireString(p, "name"),
    pid: optInt(p, "pid", 1),
    signum: optSignal(p, "signum"),
    graceful_timeout: optNumber(p, "graceful_timeout", 0),
  }),
  async execute(ctx, props, waiting) {
    const w = lookupWatcher(ctx, props.name);
    const work = w.kill({ pid: props.pid, signum: props.signum, gracefulTimeout: props.graceful_timeout });
    await settle(work, waiting, `kill ${w.name}`);
  },
  format: () => "ok",
} satisfies Command<KillProps>;
