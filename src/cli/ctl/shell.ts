// The interactive circusctl shell: `(circusctl) ` prompt, each line run like a command line,
// `help [cmd]`, TAB completion of commands and watcher names, history in ~/.circusctl_history.

import { appendFileSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface, type Completer } from "node:readline";
import { circusVersionLine } from "../../version.ts";
import { parseGlobals, UsageError, type GlobalOptions } from "./args.ts";
import { ctlCommands, findCommand } from "./commands.ts";
import { completeWords } from "./completion.ts";
import { openClient, type OpenClient } from "./connect.ts";
import { connectionFailure, executeCommand, type ClientSource, type Io } from "./execute.ts";
import { commandHelp, generalHelp } from "./help.ts";
import { split as shlexSplit } from "../../util/shlex.ts";

const HISTORY_SIZE = 1000;

function historyFile(): string {
  return process.env.CIRCUSCTL_HISTORY || join(homedir(), ".circusctl_history");
}

function loadHistory(): string[] {
  try {
    const lines = readFileSync(historyFile(), "utf8").split("\n").filter(Boolean);
    return lines.slice(-HISTORY_SIZE).reverse(); // readline wants the newest first
  } catch {
    return []; // no history yet (or an unreadable file): start with none
  }
}

function saveHistoryLine(line: string): void {
  try {
    appendFileSync(historyFile(), line + "\n", { mode: 0o600 });
  } catch {
    // history is a convenience; an unwritable home must not break the shell
  }
}

/** Runs shell lines one at a time over one shared connection; `close` ends it. */
interface LineRunner {
  /** Run one line; resolves with its exit status (0 for empty lines and help). */
  run(line: string): Promise<number>;
  close(): Promise<void>;
}

function lineRunner(globals: GlobalOptions, io: Io): LineRunner {
  // One connection for the whole session (circusctl does the same); a line naming its own
  // --endpoint/--ssh gets a connection of its own.
  let shared: Promise<OpenClient> | null = null;
  const sharedClient: ClientSource = async (lineGlobals) => {
    if (lineGlobals.endpoint !== globals.endpoint || lineGlobals.ssh !== globals.ssh) return openClient(lineGlobals);
    shared ??= openClient(globals);
    const open = await shared;
    return { client: open.client, close: async () => {} }; // closed when the shell exits
  };

  const run = async (line: string): Promise<number> => {
    let words: string[];
    try {
      words = shlexSplit(line);
    } catch (err) {
      io.err(`*** ${(err as Error).message}\n`);
      return 2;
    }
    if (words.length === 0) return 0;
    if (words[0] === "help" || words[0] === "?") {
      const cmd = words[1] ? findCommand(words[1]) : undefined;
      if (words[1] && !cmd) {
        io.err(`*** No help on ${words[1]}\n`);
        return 2;
      }
      io.out((cmd ? commandHelp(cmd) : generalHelp(ctlCommands())) + "\n");
      return 0;
    }
    try {
      const parsed = parseGlobals(words, { ...globals, help: false, version: false });
      if (parsed.command === null) return 0;
      if (parsed.globals.help) parsed.rest.push("--help");
      return await executeCommand(parsed.command, parsed.rest, parsed.globals, sharedClient, io);
    } catch (err) {
      if (!(err instanceof UsageError)) return connectionFailure(err, io);
      io.err(`circusctl: ${err.message}\n`);
      return 2;
    }
  };
  return {
    run,
    async close() {
      if (shared) await (await shared).close();
    },
  };
}

/**
 * Commands from a pipe or a heredoc (`printf 'status\nlist\n' | circusctl`): each line runs in turn, with
 * no banner and no prompt; `#` starts a comment line. Resolves with the worst (highest) exit status.
 */
export async function runScript(globals: GlobalOptions, io: Io, lines: AsyncIterable<string>): Promise<number> {
  const runner = lineRunner(globals, io);
  let worst = 0;
  try {
    for await (const line of lines) {
      if (line.trim().startsWith("#")) continue;
      worst = Math.max(worst, await runner.run(line));
    }
  } finally {
    await runner.close();
  }
  return worst;
}

/** stdin as lines, as they arrive (a long script starts before its end is written). */
async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Bun.stdin.stream()) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    yield* lines;
  }
  pending += decoder.decode();
  if (pending) yield pending;
}

/**
 * Without a command: the interactive shell on a terminal, until Ctrl-D / Ctrl-C (per-command statuses
 * are ignored: exit 0); from a pipe or file, the lines as a script (runScript).
 */
export async function runShell(globals: GlobalOptions, io: Io): Promise<number> {
  if (process.stdin.isTTY !== true) return runScript(globals, io, stdinLines());
  const runner = lineRunner(globals, io);
  const run = async (line: string) => void (await runner.run(line));

  io.out(`${circusVersionLine("circusctl")}\n`);
  await run("status");

  const completer: Completer = ((line: string, callback: (err: null, result: [string[], string]) => void) => {
    const words = line.split(/\s+/);
    const curr = words[words.length - 1] ?? "";
    const cword = words.length;
    const first = words.length === 1;
    void completeWords(words, cword, globals)
      .then((found) => {
        const all = first ? [...new Set([...found, "help"].filter((w) => w.startsWith(curr)))].sort() : found;
        callback(null, [all.length === 1 ? [all[0] + " "] : all, curr]);
      })
      .catch(() => callback(null, [[], curr]));
  }) as unknown as Completer;

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: "(circusctl) ",
    completer,
    history: loadHistory(),
    historySize: HISTORY_SIZE,
    terminal: true,
  });

  await new Promise<void>((resolve) => {
    let busy: Promise<void> = Promise.resolve();
    // Ctrl-D may close the interface while a command runs: nothing may touch it after that.
    let closed = false;
    rl.on("line", (line) => {
      busy = busy.then(async () => {
        if (closed) return;
        const trimmed = line.trim();
        if (trimmed) saveHistoryLine(trimmed);
        if (trimmed === "exit") {
          rl.close();
          return;
        }
        rl.pause();
        await run(line);
        if (closed) return;
        rl.resume();
        rl.prompt();
      });
    });
    rl.on("SIGINT", () => rl.close());
    rl.on("close", () => {
      closed = true;
      void busy.then(() => {
        io.out("\n");
        resolve();
      });
    });
    rl.prompt();
  });
  await runner.close();
  return 0;
}
