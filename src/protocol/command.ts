// The shape of one control command: one module per command, collected by the registry. The same
// module serves the daemon (validate + execute against the arbiter) and the clients (CLI words,
// request building, console formatting), so ctl, the web console and plugins share one definition.

import type { CircusConfig } from "../config/types.ts";
import type { ControlledArbiter } from "./arbiter-api.ts";
import type { Requester } from "./boundary.ts";

/** JSON as it travels in requests and replies. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A reply envelope (§3): `status`, `time`, `id`, plus result fields or `reason`/`errno`/`tb`. */
export type Reply = JsonObject & { status: string; time: number; id: Json };

/** How a positional argument or flag of `circus ctl <command>` maps to a request property. */
export interface CliArgument {
  /** Property name in `properties` (e.g. `name`, `nb`, `signum`). */
  property: string;
  /** Positional (in order) or `--flag`. */
  kind: "positional" | "flag" | "option";
  /** For positionals: may be absent. A trailing variadic positional collects the rest. */
  optional?: boolean;
  variadic?: boolean;
  /**
   * How the CLI converts the text before sending (circusctl sends some as strings, some converted).
   * `set-options`: a variadic of `<key> <value>` pairs turned into an object with `set`'s per-key rules (§2.3).
   */
  convert?: "string" | "int" | "float" | "bool" | "signal" | "set-options";
  /** For a variadic positional: send the words joined with this separator instead of a list (`add`'s cmd: " "). */
  join?: string;
  /** For flags/options: the `--word` when it differs from `property` (reload's `--terminate` → `graceful`). */
  flag?: string;
  /** For flags/options: a one-letter `-x` spelling too (`logs -n 20 -f`). */
  short?: string;
  /** For flags: the value sent when the flag is given (default true; reload's `--terminate` sends false). */
  value?: Json;
  description: string;
}

export interface CommandContext {
  arbiter: ControlledArbiter;
  /** Who sent this request (set per request by the controller); its `owner` limits what it may change. */
  requester?: Requester;
  /** Make the daemon exit after stopping everything (the `quit` command). */
  quit(): Promise<void>;
  /**
   * Re-read the running config file (`reloadconfig`, `restart` without name); rejects with the
   * loader's message; null when the daemon runs without a config file.
   */
  loadConfig(): Promise<CircusConfig | null>;
  /** Reopen every log file and output stream (the `reopen` command, as SIGUSR1); resolves with the files. */
  reopen?(): Promise<string[]>;
  /** True once the daemon is stopping for good: commands that would start or change work are refused. */
  shuttingDown?(): boolean;
  /** True while the daemon hands itself over to a new image: changing commands are refused for that moment. */
  upgrading?(): boolean;
  /**
   * Re-execute the daemon in place (`upgrade`): resolves once every check passed and the hand-over is
   * under way, with the versions; rejects with the reason when the daemon stays as it is. Absent when
   * circus runs embedded in another program.
   */
  upgrade?(request: { binary: string | null; requester: Requester | undefined }): Promise<{
    from: string;
    to: string;
    pid: number;
    binary: string;
    upgrades: number;
  }>;
  /** The daemon's version and how many upgrades it went through (the `version` command). */
  daemonVersion?(): {
    version: string;
    pid: number;
    upgrades: number;
    upgrade_error: string | null;
    /** When the daemon started (epoch seconds), its first image: an upgrade keeps it. */
    started: number;
  };
}

/** Result fields merged into the ok envelope (a handler returning nothing gives a bare ok; undefined fields are left out). */
export type CommandResult = { [key: string]: Json | undefined } | undefined;

/** How console text may be dressed: colours only on a terminal that wants them. */
export interface FormatStyle {
  colour: boolean;
}

export interface Command<P = JsonObject> {
  /** Wire name == circusctl word (lower-case). */
  name: string;
  /** One line for `circus ctl --help`. */
  summary: string;
  /** Full help text for `circus ctl <command> --help`. */
  help: string;
  cli: readonly CliArgument[];
  /** True when the command honours `waiting` (asynchronous in Circus terms). */
  async: boolean;
  /** Check and normalize properties; throw CommandError (errno 3) naming the field. */
  validate(properties: JsonObject): P;
  /** Run against the arbiter. `waiting` tells whether the client wants to wait for the result. */
  execute(ctx: CommandContext, properties: P, waiting: boolean): Promise<CommandResult> | CommandResult;
  /** Console text for an ok reply, as circusctl prints it (`style.colour`: the output is a terminal). */
  format(reply: Reply, request: JsonObject, style?: FormatStyle): string;
}
