// `start`: start one watcher (even with autostart=false), several matched ones, or all autostart ones.

import type { Command } from "../command.ts";
import { byPriority, matchWatchers, settle } from "../execution.ts";
import { matchCli, readMatchProps, type MatchProps } from "./_match.ts";

export const start = {
  name: "start",
  summary: "Start the arbiter or a watcher",
  help:
    "Start a watcher (or the watchers matching a pattern, or all of them). With one watcher and --waiting\n" +
    "the reply lists the pids `started` and `kept`.\n\n  circus ctl start [<name>] [--waiting] [--match simple|glob|regex]",
  cli: matchCli("started"),
  async: true,
  validate: readMatchProps,
  async execute(ctx, { name, match }, waiting) {
    if (name === undefined) {
      await settle(ctx.arbiter.start(), waiting, "start");
      return;
    }
    const found = matchWatchers(ctx, name, match);
    if (found.length === 1) {
      const w = found[0]!;
      const info = await settle(w.start(), waiting, `start ${w.name}`);
      return info === undefined ? undefined : { info: { started: info.started, kept: info.kept } };
    }
    const work = (async () => {
      for (const w of byPriority(found)) if (w.config.autostart) await w.start();
    })();
    await settle(work, waiting, `start ${name}`);
  },
  format: () => "ok",
} satisfies Command<MatchProps>;
