// `stop`: stop one watcher, the matched ones, or all of them (the daemon keeps running).

import type { Command } from "../command.ts";
import { matchWatchers, settle } from "../execution.ts";
import { optString } from "../props.ts";
import { matchCli, readMatchProps, type MatchProps } from "./_match.ts";

export interface StopProps extends MatchProps {
  /** Beyond Circus: this stop means the watcher gives up, and why (the Flapping plugin's last stop). */
  gaveUp?: string;
}

export const stop = {
  name: "stop",
  summary: "Stop watchers",
  help:
    "Stop a watcher (or the watchers matching a pattern, or all of them); circusd keeps running.\n\n" +
    "  circus ctl stop [<name>] [--waiting] [--match simple|glob|regex]",
  cli: matchCli("stopped"),
  async: true,
  validate: (p) => ({ ...readMatchProps(p), gaveUp: optString(p, "gave_up") }),
  async execute(ctx, { name, match, gaveUp }, waiting) {
    if (name === undefined) {
      await settle(ctx.arbiter.stop(), waiting, "stop");
      return;
    }
    const found = matchWatchers(ctx, name, match);
    const work = Promise.all(found.map((w) => w.stop(gaveUp === undefined ? {} : { gaveUp })));
    await settle(work, waiting, `stop ${name}`);
    return waiting && found.length === 1 ? { info: null } : undefined;
  },
  format: () => "ok",
} satisfies Command<StopProps>;
