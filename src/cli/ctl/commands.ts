// The commands circusctl knows, from the shared registry, sorted as `--help` lists them.

import type { Command } from "../../protocol/command.ts";
import { COMMANDS, getCommand } from "../../protocol/registry.ts";
import { didYouMean } from "../../config/suggest.ts";

let sorted: Command[] | null = null;

/** Every command, sorted by name. */
export function ctlCommands(): Command[] {
  sorted ??= [...COMMANDS.values()].sort((a, b) => a.name.localeCompare(b.name)) as Command[];
  return sorted;
}

/** The command for a circusctl word (case-insensitive), or undefined. */
export function findCommand(word: string): Command | undefined {
  return getCommand(word) as Command | undefined;
}

/** A "did you mean" hint for a mistyped command word (every close one, abbreviations too), or "". */
export function commandHint(word: string): string {
  const hint = didYouMean(
    word.toLowerCase(),
    ctlCommands().map((c) => c.name),
    { prefixes: true },
  );
  return hint ? `; ${hint}` : "";
}

/** Whether the command's first positional is a watcher name (for completion). */
export function takesWatcherName(cmd: Command): boolean {
  const first = cmd.cli.find((a) => a.kind === "positional");
  return first?.property === "name";
}
