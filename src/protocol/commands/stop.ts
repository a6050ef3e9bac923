// `stop`: stop one watcher, the matched ones, or all of them (the daemon keeps running).

import type { Command } from "../command.ts";
import { matchWatchers, settle } from "../execution.ts";
import { matchCli, readMatchProps, type MatchProps } from "./_match.ts";

export const stop = {
  name: "stop",
  summary: "Stop watchers",
  help:
    "Stop a watcher (or the watchers matching a pattern, or all of them); circusd keeps running.\n\n" +
    "  circus ctl stop [<name>] [--waiting] [--match simple|glob|regex]",
  cli: matchCli("stopped"),
  async: true,
  validate: readMatchProps,
  async execute(ctx, { name, match }, waiting) {
    if (name === undefined) {
      await settle(ctx.arbiter.stop(), waiting, "stop");
      return;
    }
    const found = matchWatchers(ctx, name, match);
    const work = Promise.all(found.map((w) => w.stop()));
    await settle(work, waiting, `stop ${name}`);
    return waiting && found.length === 1 ? { info: null } : undefined;
  },
  format: () => "ok",
} satisfies Command<MatchProps>;
