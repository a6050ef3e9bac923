// `circus ctl` / `circusctl`: drive a running daemon from the command line, or interactively when no
// command is given. Follows circusctl 0.19 (§8.2): words, options, output and exit codes.

import { circusVersionLine } from "../version.ts";
import { type ParsedLine, parseGlobals, UsageError } from "./ctl/args.ts";
import { autoComplete, completionScript } from "./ctl/completion.ts";
import { ctlCommands } from "./ctl/commands.ts";
import { openClient } from "./ctl/connect.ts";
import { executeCommand, processIo, type Io } from "./ctl/execute.ts";
import { generalHelp } from "./ctl/help.ts";
import { runShell } from "./ctl/shell.ts";
import { exitStatusAfterOutput } from "./shared/output.ts";

/**
 * Run circusctl with `argv` (the words after `circus ctl` / `circusctl`); resolves to the exit status, 1
 * when stdout could not take the output (a full disk), the command's own when its reader left (EPIPE).
 */
export async function runCtl(argv: string[], io: Io = processIo): Promise<number> {
  const status = await runCtlCommand(argv, io);
  return io === processIo ? exitStatusAfterOutput("circusctl", status) : status;
}

async function runCtlCommand(argv: string[], io: Io): Promise<number> {
  if (process.env.AUTO_COMPLETE !== undefined && process.env.COMP_WORDS !== undefined) {
    return autoComplete(process.env.COMP_WORDS, Number(process.env.COMP_CWORD ?? "1"), io);
  }
  let parsed: ParsedLine;
  try {
    parsed = parseGlobals(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`circusctl: ${err.message}\n(\`circusctl --help\` lists the options)\n`);
    return 2;
  }
  const { globals, command, rest } = parsed;
  if (globals.version) {
    io.out(`${circusVersionLine("circusctl")}\n`);
    return 0;
  }
  if (command === "completion") {
    const script = completionScript(rest[0] ?? "");
    if (script === null) {
      io.err("circusctl completion: name a shell: `circusctl completion bash` or `circusctl completion zsh`\n");
      return 2;
    }
    io.out(script);
    return 0;
  }
  if (command === null) {
    if (globals.help) {
      io.out(generalHelp(ctlCommands()) + "\n");
      return 0;
    }
    return runShell(globals, io);
  }
  if (globals.help) rest.push("--help");
  // Ctrl-C while waiting for a reply ends with status 1, as circusctl does (not the shell's 130);
  // `listen` and `logs -f` install their own handlers and end with 0.
  const interrupted = () => {
    if (process.listenerCount("SIGINT") > 1) return; // listen / logs -f handle it
    io.err("\n");
    process.exit(1);
  };
  process.on("SIGINT", interrupted);
  try {
    return await executeCommand(command, rest, globals, openClient, io);
  } finally {
    process.off("SIGINT", interrupted);
  }
}
