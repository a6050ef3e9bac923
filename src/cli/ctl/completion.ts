// Shell completion: `circusctl completion bash|zsh` prints a script that calls back into circusctl
// with AUTO_COMPLETE/COMP_WORDS/COMP_CWORD (circusctl's protocol), answered by autoComplete().

import { LISTED_OPTIONS } from "../../config/options/watcher.ts";
import { WATCHER_GROUPS } from "../../config/options/watcher-groups.ts";
import { SETTABLE_KEYS } from "../../config/options/watcher-wire.ts";
import { defaultGlobals, GLOBAL_OPTIONS, cliSpec, type GlobalOptions } from "./args.ts";
import { ctlCommands, findCommand, takesWatcherName } from "./commands.ts";
import { openClient } from "./connect.ts";
import type { Io } from "./execute.ts";

const BASH = `# bash completion for circusctl and \`circus ctl\`.
# Load it with:  source <(circusctl completion bash)   (or save it under /etc/bash_completion.d/)
_circusctl_complete() {
  local IFS=$' \\t\\n'
  COMPREPLY=( $(COMP_WORDS="\${COMP_WORDS[*]:0:COMP_CWORD+1}" COMP_CWORD=$COMP_CWORD AUTO_COMPLETE=1 "\${COMP_WORDS[0]}" 2>/dev/null) )
}
_circus_complete() {
  local IFS=$' \\t\\n'
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "daemon ctl top stats plugin web" -- "\${COMP_WORDS[1]}") )
  elif [[ \${COMP_WORDS[1]} == ctl ]]; then
    COMPREPLY=( $(COMP_WORDS="\${COMP_WORDS[*]:1:COMP_CWORD}" COMP_CWORD=$((COMP_CWORD-1)) AUTO_COMPLETE=1 "\${COMP_WORDS[0]}" ctl 2>/dev/null) )
  fi
}
complete -F _circusctl_complete circusctl
complete -F _circus_complete circus
`;

const ZSH = `#compdef circusctl circus
# zsh completion for circusctl and \`circus ctl\`.
# Load it with:  source <(circusctl completion zsh)   (after compinit)
_circusctl_complete() {
  local -a out
  out=( \${=$(COMP_WORDS="\${(j: :)words[1,CURRENT]}" COMP_CWORD=$((CURRENT-1)) AUTO_COMPLETE=1 \${words[1]} 2>/dev/null)} )
  compadd -- $out
}
_circus_complete() {
  local -a out
  if (( CURRENT == 2 )); then
    compadd daemon ctl top stats plugin web
  elif [[ \${words[2]} == ctl ]]; then
    out=( \${=$(COMP_WORDS="\${(j: :)words[2,CURRENT]}" COMP_CWORD=$((CURRENT-2)) AUTO_COMPLETE=1 \${words[1]} ctl 2>/dev/null)} )
    compadd -- $out
  fi
}
compdef _circusctl_complete circusctl
compdef _circus_complete circus
`;

/** The completion script for `shell` (bash or zsh), or null for another shell. */
export function completionScript(shell: string): string | null {
  if (shell === "bash") return BASH;
  if (shell === "zsh") return ZSH;
  return null;
}

/** Watcher names from `list`, or [] when the daemon does not answer within a second. */
export async function watcherNames(globals: GlobalOptions): Promise<string[]> {
  try {
    const open = await openClient({ ...globals, timeout: 1 });
    try {
      const reply = await open.client.call("list", {});
      return Array.isArray(reply.watchers) ? reply.watchers.map(String) : [];
    } finally {
      await open.close();
    }
  } catch {
    return []; // completion is best effort: no daemon within a second, no names offered
  }
}

/**
 * Candidates for the word at `cword` (1 = the first word after the program) of `words`: commands,
 * options, or watcher names for a command's <name> (asked of the daemon at `base`'s endpoint,
 * unless the words name their own --endpoint).
 */
export async function completeWords(words: string[], cword: number, base?: GlobalOptions): Promise<string[]> {
  const curr = words[cword - 1] ?? "";
  const globals = { ...(base ?? defaultGlobals()) };
  let i = 0;
  // Skip global options before the command, remembering --endpoint for the `list` call.
  for (let word = words[i]; i < cword - 1 && word?.startsWith("--"); word = words[i]) {
    const name = word.slice(2).split("=")[0]!;
    if (name === "endpoint" && !word.includes("=")) globals.endpoint = words[i + 1] ?? null;
    i += GLOBAL_OPTIONS.get(name) === true && !word.includes("=") ? 2 : 1;
  }
  if (i >= cword - 1) {
    if (curr.startsWith("-")) return [...GLOBAL_OPTIONS.keys()].map((o) => "--" + o).filter((o) => o.startsWith(curr));
    return [...ctlCommands().map((c) => c.name), "completion"].filter((n) => n.startsWith(curr)).sort();
  }
  // The shell's COMP_CWORD may point past the words it sent.
  const commandWord = words[i];
  if (commandWord === undefined) return [];
  const cmd = findCommand(commandWord);
  if (!cmd) return [];
  if (curr.startsWith("-")) {
    const flags = cliSpec(cmd)
      .filter((a) => a.kind !== "positional")
      .map((a) => "--" + (a.flag ?? a.property));
    return [...flags, "--help"].filter((f) => f.startsWith(curr));
  }
  const positionalIndex = words.slice(i + 1, cword - 1).filter((w) => !w.startsWith("-")).length;
  if (positionalIndex === 0 && takesWatcherName(cmd)) {
    return (await watcherNames(globals)).filter((n) => n.startsWith(curr));
  }
  return optionKeys(cmd.name, positionalIndex).filter((k) => k.startsWith(curr));
}

/** Option names after `get <name>` and at the key positions of `set <name> <key> <value> …`. */
function optionKeys(command: string, positionalIndex: number): readonly string[] {
  if (command === "get") return LISTED_OPTIONS;
  if (command !== "set" || positionalIndex % 2 !== 1) return [];
  const grouped = WATCHER_GROUPS.filter((g) => g.fromCtl && g.names).flatMap((g) => g.names!.map((n) => g.prefix + n));
  return [...SETTABLE_KEYS, ...grouped];
}

/** circusctl's AUTO_COMPLETE protocol: print the candidates space-separated and exit 1. */
export async function autoComplete(compWords: string, cword: number, io: Io): Promise<number> {
  const words = compWords.split(/\s+/).filter(Boolean).slice(1);
  io.out((await completeWords(words, cword)).join(" ") + "\n");
  return 1;
}
