// `restart`: stop then start matched watchers; without a name, restart the whole arbiter.

import type { Command } from "../command.ts";
import { byPriority, matchWatchers, rereadConfig, settle } from "../execution.ts";
import { matchCli, readMatchProps, type MatchProps } from "./_match.ts";

export const restart = {
  name: "restart",
  summary: "Restart the arbiter or a watcher",
  help:
    "Stop then start a watcher (or the watchers matching a pattern). Without a name the whole arbiter restarts\n" +
    "and re-reads its config file. With one watcher and --waiting the reply lists pids stopped/started/kept.\n\n" +
    "  circus ctl restart [<name>] [--waiting] [--match simple|glob|regex]",
  cli: matchCli("restarted"),
  async: true,
  validate: readMatchProps,
  async execute(ctx, { name, match }, waiting) {
    if (name === undefined) {
      // Circus re-reads the config file for a full restart; a broken file is refused before anything stops.
      const config = await rereadConfig(ctx, "restart");
      await settle(config ? ctx.arbiter.restart(config) : ctx.arbiter.restart(), waiting, "restart");
      return;
    }
    const found = matchWatchers(ctx, name, match);
    if (found.length === 1) {
      const w = found[0]!;
      const result = await settle(w.restart(), waiting, `restart ${w.name}`);
      return result === undefined
        ? undefined
        : { info: { stopped: result.stopped, started: result.started, kept: result.kept } };
    }
    const work = (async () => {
      await Promise.all(found.map((w) => w.stop()));
      for (const w of byPriority(found)) if (w.config.autostart) await w.start();
    })();
    await settle(work, waiting, `restart ${name}`);
  },
  format: () => "ok",
} satisfies Command<MatchProps>;
