// circusctl's command line: global options, then `<command> [args] [--options]`, turned into a request
// from each command module's `cli` spec (positionals in order, optional ones filled left to right).

import type { CliArgument, Command, Json, JsonObject } from "../../protocol/command.ts";
import { parseBool, parseFloatOption, parseIntOption, parseSignal } from "../../config/scalars.ts";
import { setOptions } from "./set-values.ts";
import { curveFlagList } from "../shared/curve.ts";

/** A command-line mistake (exit 2); the message names the fix. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface GlobalOptions {
  endpoint: string | null;
  timeout: number;
  json: boolean;
  prettify: boolean;
  ssh: string | null;
  sshKeyfile: string | null;
  /** --curve-server-key / --curve-key as given (the environment is read when connecting). */
  curveServerKey: string | null;
  curveKey: string | null;
  help: boolean;
  version: boolean;
}

/** Global option name → whether it takes a value (a Map: `--constructor` is no option). */
export const GLOBAL_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ["endpoint", true],
  ["timeout", true],
  ["json", false],
  ["prettify", false],
  ["ssh", true],
  ["ssh_keyfile", true],
  ...curveFlagList().map(([name]): [string, boolean] => [name, true]),
  ["help", false],
  ["version", false],
]);

export function defaultGlobals(): GlobalOptions {
  return {
    endpoint: null,
    timeout: 5,
    json: false,
    prettify: false,
    ssh: null,
    sshKeyfile: null,
    curveServerKey: null,
    curveKey: null,
    help: false,
    version: false,
  };
}

/** Split `--name=value` into its parts. */
function splitOption(token: string): [string, string | undefined] {
  const eq = token.indexOf("=");
  return eq < 0 ? [token.slice(2), undefined] : [token.slice(2, eq), token.slice(eq + 1)];
}

function isOption(token: string): boolean {
  return token.startsWith("-") && token !== "-" && !/^-\d/.test(token);
}

/** Apply global option `name` (value taken from `inline` or the next token); returns tokens consumed. */
function applyGlobal(g: GlobalOptions, name: string, inline: string | undefined, next: string | undefined): number {
  const takesValue = GLOBAL_OPTIONS.get(name) === true;
  let value = inline;
  let used = 1;
  if (takesValue && value === undefined) {
    if (next === undefined)
      throw new UsageError(`option --${name} needs a value, e.g. --${name} ${name === "timeout" ? "10" : "…"}`);
    value = next;
    used = 2;
  }
  if (!takesValue && inline !== undefined) throw new UsageError(`option --${name} takes no value`);
  switch (name) {
    case "endpoint":
      g.endpoint = value!;
      break;
    case "timeout": {
      if (!/^\s*[+-]?\d+\s*$/.test(value!))
        throw new UsageError(`--timeout: "${value}" is not a whole number of seconds, e.g. --timeout 10`);
      g.timeout = Number(value);
      break;
    }
    case "json":
      g.json = true;
      break;
    case "prettify":
      g.prettify = true;
      break;
    case "ssh":
      g.ssh = value!;
      break;
    case "ssh_keyfile":
      g.sshKeyfile = value!;
      break;
    case "curve-server-key":
      g.curveServerKey = value!;
      break;
    case "curve-key":
      g.curveKey = value!;
      break;
    case "help":
      g.help = true;
      break;
    case "version":
      g.version = true;
      break;
  }
  return used;
}

export interface ParsedLine {
  globals: GlobalOptions;
  /** The command word as typed (lower-cased), or null when none was given. */
  command: string | null;
  /** Tokens after the command word. */
  rest: string[];
}

/** Parse global options up to the command word. `-h` is accepted for `--help`. */
export function parseGlobals(argv: string[], globals = defaultGlobals()): ParsedLine {
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === "-h") {
      globals.help = true;
      continue;
    }
    if (isOption(tok)) {
      const [name, inline] = splitOption(tok);
      if (!tok.startsWith("--") || !GLOBAL_OPTIONS.has(name)) {
        throw new UsageError(
          `unknown option ${tok}; global options: ${[...GLOBAL_OPTIONS.keys()].map((o) => "--" + o).join(", ")}`,
        );
      }
      i += applyGlobal(globals, name, inline, argv[i + 1]) - 1;
      continue;
    }
    return { globals, command: tok.toLowerCase(), rest: argv.slice(i + 1) };
  }
  return { globals, command: null, rest: [] };
}

// circusctl words that the generic spec cannot infer; used only where a module's spec does not say
// it itself (`flag`/`value`/`join`/`convert: "set-options"`), so the modules stay the source of truth.
const CIRCUSCTL_WORDS: Record<string, Record<string, Partial<CliArgument>>> = {
  reload: { graceful: { flag: "terminate", value: false } },
};

/** The command's cli spec with circusctl's words filled in where the module leaves them implicit. */
export function cliSpec(cmd: Command): readonly CliArgument[] {
  const extra = CIRCUSCTL_WORDS[cmd.name];
  if (!extra) return cmd.cli;
  return cmd.cli.map((a) => {
    const e = extra[a.property];
    if (!e || a.flag !== undefined || a.join !== undefined || a.convert !== undefined) return a;
    return { ...a, ...e };
  });
}

function flagWord(arg: CliArgument): string {
  return arg.flag ?? arg.property;
}

function convert(arg: CliArgument, text: string): Json {
  try {
    switch (arg.convert) {
      case "int":
        return parseIntOption(text);
      case "float":
        return parseFloatOption(text);
      case "bool":
        return parseBool(text);
      case "signal":
        return parseSignal(text);
      default:
        return text;
    }
  } catch (err) {
    throw new UsageError(`<${arg.property}>: ${(err as Error).message}`, { cause: err });
  }
}

/** Usage synopsis built from the spec, e.g. `incr <name> [<nb>] [--waiting]`. */
export function synopsis(cmd: Command): string {
  const parts = [cmd.name];
  const spec = cliSpec(cmd);
  for (const a of spec) {
    if (a.kind !== "positional") continue;
    const word = `<${a.property}>${a.variadic ? "…" : ""}`;
    parts.push(a.optional ? `[${word}]` : word);
  }
  for (const a of spec) {
    const word = a.short ? `-${a.short}|--${flagWord(a)}` : `--${flagWord(a)}`;
    if (a.kind === "flag") parts.push(`[${word}]`);
    if (a.kind === "option") parts.push(`[${word} ${a.property.toUpperCase()}]`);
  }
  return parts.join(" ");
}

export interface CommandLine {
  properties: JsonObject;
  /** Positional words as typed (listen's topics). */
  positionals: string[];
  help: boolean;
}

/**
 * Parse the tokens after the command word against the command's `cli` spec. Global options are
 * accepted here too (circusctl wants them before the command; being lenient costs nothing).
 */
export function parseCommandArgs(cmd: Command, tokens: string[], globals: GlobalOptions): CommandLine {
  const properties: JsonObject = {};
  const words: string[] = [];
  const flags = new Map(
    cliSpec(cmd)
      .filter((a) => a.kind !== "positional")
      .map((a) => [flagWord(a), a]),
  );
  const shorts = new Map(
    cliSpec(cmd)
      .filter((a) => a.kind !== "positional" && a.short)
      .map((a) => [a.short!, a]),
  );
  let help = false;
  let onlyWords = false;
  // A joined variadic (add's <cmd>) is a program's command line: once it has begun, unknown options are its words.
  const positionals = cliSpec(cmd).filter((a) => a.kind === "positional");
  const joined = positionals.find((a) => a.variadic && a.join !== undefined);
  const commandLine = joined ? { after: positionals.filter((a) => !a.variadic).length } : null;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (onlyWords || !isOption(tok)) {
      words.push(tok);
      continue;
    }
    if (tok === "--") {
      onlyWords = true;
      continue;
    }
    if (tok === "-h" || tok === "--help") {
      help = true;
      continue;
    }
    // `-n 20`, `-n20`, `-f`: one-letter spellings where the spec gives them.
    const short = tok.startsWith("--") ? undefined : shorts.get(tok[1]!);
    const [name, inline] = short ? [flagWord(short), tok.length > 2 ? tok.slice(2) : undefined] : splitOption(tok);
    const spec = short ?? (tok.startsWith("--") ? flags.get(name) : undefined);
    if (spec?.kind === "flag") {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      properties[spec.property] = spec.value ?? true;
    } else if (spec) {
      let value = inline;
      if (value === undefined) {
        value = tokens[++i];
        if (value === undefined) throw new UsageError(`option --${name} needs a value; usage: ${synopsis(cmd)}`);
      }
      properties[spec.property] = convert(spec, value);
    } else if (tok.startsWith("--") && GLOBAL_OPTIONS.has(name)) {
      i += applyGlobal(globals, name, inline, tokens[i + 1]) - 1;
    } else if (commandLine && words.length > commandLine.after) {
      words.push(tok); // `add web python -m http.server`: options of the watched program
    } else {
      const known = [...[...shorts.keys()].map((s) => "-" + s), ...[...flags.keys()].map((f) => "--" + f)];
      const hint = known.length ? `${cmd.name} accepts ${known.join(", ")}` : `${cmd.name} takes no options`;
      throw new UsageError(`unknown option ${tok} for ${cmd.name}; ${hint} (see \`circusctl ${cmd.name} --help\`)`);
    }
  }
  if (!help) assignPositionals(cmd, words, properties);
  return { properties, positionals: words, help };
}

function assignPositionals(cmd: Command, words: string[], properties: JsonObject): void {
  const specs = cliSpec(cmd).filter((a) => a.kind === "positional");
  const variadic = specs.find((a) => a.variadic);
  const fixed = specs.filter((a) => !a.variadic);
  const required = fixed.filter((a) => !a.optional).length;
  const variadicNeeded = variadic && !variadic.optional ? 1 : 0;
  const usage = `usage: circusctl ${synopsis(cmd)}`;
  if (words.length < required + variadicNeeded) {
    const missing = fixed.filter((a) => !a.optional)[words.length] ?? variadic;
    throw new UsageError(`missing argument <${missing?.property}>; ${usage}`);
  }
  // Words beyond the required ones fill optional positionals left to right (signal's [<pid>]).
  let extra = words.length - required - variadicNeeded;
  let w = 0;
  for (const a of specs) {
    if (a.variadic) {
      const rest = words.slice(w);
      w = words.length;
      if (rest.length === 0) continue;
      if (a.convert === "set-options") properties[a.property] = setOptionsUsage(rest);
      else if (a.join !== undefined) properties[a.property] = rest.join(a.join);
      else properties[a.property] = rest.map((t) => convert(a, t));
      continue;
    }
    if (a.optional) {
      if (extra <= 0) continue;
      extra--;
    }
    // The count check above leaves a word for every required positional and each optional one taken.
    properties[a.property] = convert(a, words[w++]!);
  }
  if (w < words.length) {
    throw new UsageError(`too many arguments (${words.slice(w).join(" ")}); ${usage}`);
  }
}

function setOptionsUsage(pairs: string[]): JsonObject {
  try {
    return setOptions(pairs);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}
