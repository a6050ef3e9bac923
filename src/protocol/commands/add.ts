// `add`: create a watcher at run time (stopped unless `start`), from a name, a command and options.

import { checkWatcherOption, checkWatcherOptions, watcherFromWire } from "../../config/options/watcher-wire.ts";
import type { WatcherConfig } from "../../config/types.ts";
import type { ControlledWatcher } from "../arbiter-api.ts";
import type { Command, JsonObject } from "../command.ts";
import { checkOwnerChange } from "../boundary.ts";
import { CommandError, Errno, toCommandError } from "../errors.ts";
import { configDirOf, settle } from "../execution.ts";
import { optBool, optObject, requireString } from "../props.ts";

export interface AddProps {
  name: string;
  cmd: string;
  args: string | string[] | null;
  options: JsonObject;
  start: boolean;
}

export const add = {
  name: "add",
  summary: "Add a watcher",
  help:
    "Create a watcher running <cmd>; it is created stopped unless --start.\n\n" +
    "  circus ctl add [--start] <name> <cmd>",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    {
      property: "cmd",
      kind: "positional",
      variadic: true,
      join: " ",
      description: "command line (words joined by spaces)",
    },
    { property: "start", kind: "flag", description: "start the watcher at once" },
    { property: "waiting", kind: "flag", description: "with --start: reply once its processes run" },
  ] as const,
  async: true,
  validate(p) {
    const name = requireString(p, "name");
    const cmd = requireString(p, "cmd");
    const args =
      p.args === undefined || p.args === null ? null : (checkWatcherOption("args", p.args, "add") as string | string[]);
    const options = checkWatcherOptions(optObject(p, "options") ?? {}, "add");
    return { name, cmd, args, options, start: optBool(p, "start", false) };
  },
  async execute(ctx, props, waiting) {
    const owner = ctx.requester?.owner;
    // Before anything else, as Circus checks the uid first: the owner's watcher runs as the owner.
    if (owner) checkOwnerChange(owner, null, toWatcherConfig(props), configDirOf(ctx));
    if (ctx.arbiter.getWatcher(props.name)) {
      throw new CommandError(Errno.COMMAND_ERROR, `command add: '${props.name}' already exist`);
    }
    const cfg = toWatcherConfig(props);
    let w: ControlledWatcher;
    try {
      w = await ctx.arbiter.addWatcher(cfg, { start: false });
    } catch (err) {
      throw toCommandError(err) ?? err;
    }
    if (!props.start) return;
    const result = await settle(w.start(), waiting, `start ${props.name}`);
    return result === undefined ? undefined : { started: result.started, kept: result.kept };
  },
  format: () => "ok",
} satisfies Command<AddProps>;

/** Turn `add` properties into a full WatcherConfig (Circus's defaults for everything not given). */
export function toWatcherConfig(props: AddProps): WatcherConfig {
  const cfg = watcherFromWire(props.name, props.cmd, props.args, props.options, process.cwd());
  if (cfg.copy_env) cfg.env = { ...(process.env as Record<string, string>), ...cfg.env };
  return cfg;
}
