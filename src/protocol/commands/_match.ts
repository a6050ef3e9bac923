// Properties shared by start/stop/restart: an optional name pattern and the match method.

import type { CliArgument, JsonObject } from "../command.ts";
import { messageError } from "../errors.ts";
import { optString } from "../props.ts";

export interface MatchProps {
  name?: string;
  match: "simple" | "glob" | "regex";
}

export function readMatchProps(p: JsonObject): MatchProps {
  const name = optString(p, "name");
  const match = optString(p, "match") ?? "glob";
  if (match !== "simple" && match !== "glob" && match !== "regex") throw messageError(`unknown match method ${match}`);
  return { name, match };
}

export function matchCli(verb: string) {
  return [
    { property: "name", kind: "positional", optional: true, description: "watcher name or pattern" },
    { property: "match", kind: "option", description: "simple, glob (default) or regex" },
    { property: "waiting", kind: "flag", description: `reply once ${verb}` },
  ] as const satisfies readonly CliArgument[];
}
