// `stats`: process information for all watchers, one watcher, or one of its processes.

import { daemonSampler, NO_SUCH_PROCESS, type ProcessInfo } from "../../stats/index.ts";
import type { ControlledWatcher, ProcessEntry } from "../arbiter-api.ts";
import type { Command, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { lookupWatcher } from "../execution.ts";
import { lastExitJson, watcherExitKeys } from "../exit-state.ts";
import { formatInfoLine } from "../procinfo.ts";
import { optBool, optInt, optString } from "../props.ts";

export interface StatsProps {
  name?: string;
  process?: number;
  extended: boolean;
}

/**
 * Circus's Process.info(): the /proc figures plus `started`, `age` since spawn and `wid`; beyond Circus,
 * `restarts` and `last_exit` of its wid slot.
 */
function processEntryInfo(p: ProcessEntry): ProcessInfo | string {
  const info = daemonSampler.info(p.pid);
  if (info === null) return NO_SUCH_PROCESS;
  info.age = Date.now() / 1000 - p.started;
  info.started = p.started;
  info.wid = p.wid;
  info.restarts = p.restarts;
  info.last_exit = lastExitJson(p.lastExit);
  return info;
}

async function withExtended(
  w: ControlledWatcher,
  pid: number,
  info: ProcessInfo | string,
  extended: boolean,
): Promise<unknown> {
  if (extended && typeof info === "object") await w.extendedStats(pid, info);
  return info;
}

async function watcherInfos(w: ControlledWatcher, extended: boolean): Promise<JsonObject> {
  const out: JsonObject = {};
  for (const p of w.processes())
    out[String(p.pid)] = (await withExtended(w, p.pid, processEntryInfo(p), extended)) as JsonObject;
  return out;
}

export const stats = {
  name: "stats",
  summary: "Get process infos",
  help:
    "Process information (cpu, memory, age, …) of every watcher's processes, one watcher's, or one process.\n" +
    "cpu is the % of one core used since the previous `stats` of that process (0.0 the first time).\n\n" +
    "  circus ctl stats [--extended] [<name>] [<pid>]",
  cli: [
    { property: "name", kind: "positional", optional: true, description: "watcher name" },
    { property: "process", kind: "positional", optional: true, convert: "int", description: "one pid" },
    { property: "extended", kind: "flag", description: "let the extended_stats hook add fields" },
  ] as const,
  async: false,
  validate(p) {
    const props = {
      name: optString(p, "name"),
      process: optInt(p, "process", 1),
      extended: optBool(p, "extended", false),
    };
    if (props.process !== undefined && props.name === undefined)
      throw messageError("message invalid 'name' is missing");
    return props;
  },
  async execute(ctx, { name, process: pid, extended }) {
    if (name === undefined) {
      // Circus ignores `extended` here.
      const infos: JsonObject = {};
      const details: JsonObject = {};
      // Circus walks its watcher list, in creation order.
      for (const w of ctx.arbiter.watchers("created")) {
        infos[w.name] = await watcherInfos(w, false);
        details[w.name] = watcherExitKeys(w.exitState());
      }
      return { infos, details };
    }
    const w = lookupWatcher(ctx, name) as ControlledWatcher;
    if (pid === undefined) return { name, info: await watcherInfos(w, extended), ...watcherExitKeys(w.exitState()) };
    const entry = w.processes().find((p) => p.pid === pid);
    if (entry === undefined) throw messageError(`process ${pid} not found in '${name}'`);
    return { process: pid, info: (await withExtended(w, pid, processEntryInfo(entry), extended)) as JsonObject };
  },
  format(reply) {
    const toStr = (info: unknown): string => {
      const children = (info as JsonObject | null)?.children;
      const lines = [formatInfoLine(info)];
      if (Array.isArray(children)) for (const c of children) lines.push(`   ${formatInfoLine(c)}`);
      return lines.join("\n");
    };
    const block = (name: string, infos: JsonObject | null, lines: string[]) => {
      lines.push(`${name}:`);
      for (const [pid, info] of Object.entries(infos ?? {})) lines.push(`${pid}: ${toStr(info)}`);
    };
    const lines: string[] = [];
    if (reply.name !== undefined) block(String(reply.name), (reply.info ?? {}) as JsonObject, lines);
    else if (reply.infos)
      for (const [n, infos] of Object.entries(reply.infos as JsonObject)) block(n, infos as JsonObject, lines);
    else return `${reply.process}: ${toStr(reply.info)}\n`;
    return lines.join("\n");
  },
} satisfies Command<StatsProps>;
