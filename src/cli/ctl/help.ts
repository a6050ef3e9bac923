// `circus ctl --help` (every command with its summary) and `circus ctl <command> --help` (full help).

import type { Command } from "../../protocol/command.ts";
import { cliSpec, synopsis } from "./args.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT } from "../../config/options/circus.ts";
import { curveFlagList } from "../shared/curve.ts";

const GLOBAL_HELP: [string, string][] = [
  [
    "--endpoint ENDPOINT",
    `connection endpoint (default $CIRCUSCTL_ENDPOINT or ${DEFAULT_ENDPOINT};\n  for listen: ${DEFAULT_PUBSUB_ENDPOINT})`,
  ],
  ["--timeout SECONDS", "reply timeout in whole seconds (default 5)"],
  ["--json", "print the raw reply as JSON"],
  ["--prettify", "with --json: indent and sort keys"],
  ["--ssh USER@HOST[:PORT]", "tunnel the connection through the system ssh"],
  ["--ssh_keyfile PATH", "private key for the ssh tunnel"],
  ...curveFlagList().map(([name, f]): [string, string] => [`--${name} ${f.arg.toUpperCase()}`, f.help]),
  ["--help", "show help and exit (after a command: that command's help)"],
  ["--version", "display version and exit"],
];

/** The general help: usage, the command list with one-line summaries, global options. */
export function generalHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const optWidth = Math.max(...GLOBAL_HELP.map(([o]) => o.length));
  const lines = [
    "usage: circusctl [options] command [args]",
    "",
    "Controls a Circus daemon",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    ...GLOBAL_HELP.map(([o, d]) => `  ${o.padEnd(optWidth)}  ${d.replaceAll("\n", "\n" + " ".repeat(optWidth + 2))}`),
    "",
    "Without a command, an interactive shell starts. `circusctl <command> --help` shows a command's help;",
    "`circusctl completion bash|zsh` prints a shell completion script.",
  ];
  return lines.join("\n");
}

/** A command's full help: its text, then the usage line and its arguments from the cli spec. */
export function commandHelp(cmd: Command): string {
  const lines = [cmd.summary, "", cmd.help.trimEnd(), "", `usage: circusctl ${synopsis(cmd)}`];
  const args = cliSpec(cmd).map((a) => {
    const short = a.short ? `-${a.short}, ` : "";
    const word =
      a.kind === "positional"
        ? `<${a.property}>`
        : `${short}--${a.flag ?? a.property}${a.kind === "option" ? " VALUE" : ""}`;
    return [word, a.description] as const;
  });
  if (args.length) {
    const w = Math.max(...args.map(([word]) => word.length));
    lines.push("", ...args.map(([word, d]) => `  ${word.padEnd(w)}  ${d}`));
  }
  return lines.join("\n");
}
