// `add`: create a watcher at run time (stopped unless `start`), from a name, a command and options.

import { watcherDefaults } from "../../arbiter/defaults.ts";
import { parseHook } from "../../config/hooks.ts";
import type { HookConfig, HookName, WatcherConfig } from "../../config/types.ts";
import type { ControlledWatcher } from "../arbiter-api.ts";
import type { Command, Json, JsonObject } from "../command.ts";
import { CommandError, Errno, messageError, toCommandError } from "../errors.ts";
import { settle } from "../execution.ts";
import { validateOption, validateOptions } from "../options.ts";
import { optBool, optObject, requireString } from "../props.ts";

export interface AddProps {
  name: string;
  cmd: string;
  args: string | string[] | null;
  options: JsonObject;
  start: boolean;
}

export const add: Command<AddProps> = {
  name: "add",
  summary: "Add a watcher",
  help:
    "Create a watcher running <cmd>; it is created stopped unless --start.\n\n" +
    "  circus ctl add [--start] <name> <cmd>",
  cli: [
    { property: "name", kind: "positional", description: "watcher name" },
    { property: "cmd", kind: "positional", variadic: true, description: "command line (words joined by spaces)" },
    { property: "start", kind: "flag", description: "start the watcher at once" },
    { property: "waiting", kind: "flag", description: "with --start: reply once its processes run" },
  ],
  async: true,
  validate(p) {
    const name = requireString(p, "name");
    const cmd = requireString(p, "cmd");
    const args =
      p.args === undefined || p.args === null ? null : (validateOption("args", p.args, "add") as string | string[]);
    const options = validateOptions(optObject(p, "options") ?? {}, "add");
    return { name, cmd, args, options, start: optBool(p, "start", false) };
  },
  async execute(ctx, props, waiting) {
    if (ctx.endpointOwner !== null && props.options.uid !== ctx.endpointOwner) {
      throw messageError("uid does not match endpoint_owner");
    }
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
};

/** Turn `add` properties into a full WatcherConfig (Circus's defaults for everything not given). */
export function toWatcherConfig(props: AddProps): WatcherConfig {
  const cfg = watcherDefaults({ name: props.name, cmd: props.cmd, args: props.args, autostart: true });
  for (const [key, value] of Object.entries(props.options)) applyAddOption(cfg, key, value);
  if (cfg.copy_env) cfg.env = { ...(process.env as Record<string, string>), ...cfg.env };
  return cfg;
}

function applyAddOption(cfg: WatcherConfig, key: string, value: Json): void {
  if (key.startsWith("rlimit_")) {
    cfg.rlimits[key.slice(7).toLowerCase()] = value === null || value === -1 ? null : (value as number);
    return;
  }
  if (key === "hooks") {
    for (const [hook, spec] of Object.entries(value as JsonObject)) cfg.hooks[hook as HookName] = hookOf(hook, spec);
    return;
  }
  if (key.startsWith("hooks.")) {
    cfg.hooks[key.slice(6) as HookName] = hookOf(key.slice(6), value);
    return;
  }
  for (const stream of ["stdout_stream", "stderr_stream"] as const) {
    if (key === stream) {
      cfg[stream] = value === null ? null : stringMap(value as JsonObject);
      return;
    }
    if (key.startsWith(stream + ".")) {
      cfg[stream] = { ...(cfg[stream] ?? {}), [key.slice(stream.length + 1)]: String(value) };
      return;
    }
  }
  if (key === "retry_in") return; // not a watcher option in 0.19; accepted and ignored like Circus
  (cfg as unknown as Record<string, unknown>)[key] = value;
}

function hookOf(hook: string, spec: Json): HookConfig {
  try {
    return parseHook(spec as string | string[], process.cwd());
  } catch (err) {
    throw messageError(`hook '${hook}': ${(err as Error).message}`);
  }
}

function stringMap(o: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k] = String(v);
  return out;
}
