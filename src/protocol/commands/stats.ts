// `stats`: process information for all watchers, one watcher, or one of its processes.

import type { ControlledWatcher } from "../arbiter-api.ts";
import type { Command, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { lookupWatcher } from "../execution.ts";
import { formatInfoLine, processInfo } from "../procinfo.ts";
import { optBool, optInt, optString } from "../props.ts";

export interface StatsProps {
  name?: string;
  process?: number;
  extended: boolean;
}

function watcherInfos(w: ControlledWatcher): JsonObject {
  const out: JsonObject = {};
  const now = Date.now() / 1000;
  for (const p of w.processes()) {
    const info = processInfo(p.pid);
    if (typeof info === "object") {
      info.started = p.started;
      info.age = now - p.started;
      info.wid = p.wid;
    }
    out[String(p.pid)] = info;
  }
  return out;
}

export const stats: Command<StatsProps> = {
  name: "stats",
  summary: "Get process infos",
  help:
    "Process information (cpu, memory, age, …) of every watcher's processes, one watcher's, or one process.\n\n" +
    "  circus ctl stats [--extended] [<name>] [<pid>]",
  cli: [
    { property: "name", kind: "positional", optional: true, description: "watcher name" },
    { property: "process", kind: "positional", optional: true, convert: "int", description: "one pid" },
    { property: "extended", kind: "flag", description: "let the extended_stats hook add fields" },
  ],
  async: false,
  validate(p) {
    const props = { name: optString(p, "name"), process: optInt(p, "process", 1), extended: optBool(p, "extended", false) };
    if (props.process !== undefined && props.name === undefined) throw messageError("message invalid 'name' is missing");
    return props;
  },
  execute(ctx, { name, process: pid, extended }) {
    if (name === undefined) {
      const infos: JsonObject = {};
      for (const w of ctx.arbiter.watchers()) infos[w.name] = watcherInfos(w);
      return { infos };
    }
    const w = lookupWatcher(ctx, name);
    const all = watcherInfos(w);
    if (pid !== undefined && all[String(pid)] === undefined) throw messageError(`process ${pid} not found in '${name}'`);
    const result = () => (pid === undefined ? { name, info: all } : { process: pid, info: all[String(pid)] });
    if (!extended || !w.extendedStats) return result();
    // The extended_stats hook may add fields to each info object (a failing hook is errno 5, as in Circus).
    const hook = w.extendedStats.bind(w);
    return (async () => {
      for (const [p, info] of Object.entries(all)) {
        if (pid !== undefined && p !== String(pid)) continue;
        if (typeof info === "object" && info !== null) await hook(Number(p), info as Record<string, unknown>);
      }
      return result();
    })();
  },
  format(reply) {
    const lines: string[] = [];
    const block = (name: string, infos: JsonObject) => {
      lines.push(`${name}:`);
      for (const [pid, info] of Object.entries(infos)) {
        lines.push(`${pid}: ${formatInfoLine(info)}`);
        const children = (info as JsonObject | null)?.children;
        if (Array.isArray(children)) for (const c of children) lines.push(`   ${formatInfoLine(c)}`);
      }
    };
    if (reply.infos) for (const [n, infos] of Object.entries(reply.infos as JsonObject)) block(n, infos as JsonObject);
    else if (reply.process !== undefined) lines.push(formatInfoLine(reply.info));
    else block(String(reply.name), (reply.info ?? {}) as JsonObject);
    return lines.join("\n");
  },
};
