// A control client with one method per command, derived from the command registry — the names, the
// positional arguments (from each command's `cli` spec, in order), the flags and the reply types (from
// each command's `execute`) — so there is no second list of commands to keep in step:
// `await client.incr("web", 2, { waiting: true })` → `{ numprocesses: 5, … }`.

import { CircusClient, type ClientOptions } from "./client.ts";
import type { CliArgument, Json, JsonObject, Reply } from "./command.ts";
import { REGISTRY, type Registry } from "./registry.ts";

/** An error reply (`status: "error"`) to a typed call: Circus's errno and reason, and the whole reply. */
export class ReplyError extends Error {
  override readonly name = "ReplyError";
  readonly errno: number | null;
  readonly reason: string;

  constructor(
    readonly command: string,
    readonly reply: Reply,
  ) {
    const reason = typeof reply.reason === "string" ? reply.reason : "unknown error";
    super(`${command}: ${reason}`);
    this.reason = reason;
    this.errno = typeof reply.errno === "number" ? reply.errno : null;
  }
}

/** The TypeScript type of one positional argument, by its `convert` (what the daemon accepts). */
type ArgType<A> = A extends { convert: "int" | "float" }
  ? number
  : A extends { convert: "signal" }
    ? number | string
    : A extends { convert: "bool" }
      ? boolean
      : A extends { convert: "set-options" }
        ? Record<string, Json>
        : A extends { variadic: true; join: string }
          ? string | string[]
          : A extends { variadic: true }
            ? string[]
            : string;

/** Positional parameters in `cli` order; once one is optional, every later one is too. */
type Positionals<A extends readonly unknown[], Optional extends boolean = false> = A extends readonly [
  infer Head,
  ...infer Tail,
]
  ? Head extends { kind: "positional" }
    ? Optional extends true
      ? [arg?: ArgType<Head>, ...Positionals<Tail, true>]
      : Head extends { optional: true }
        ? [arg?: ArgType<Head>, ...Positionals<Tail, true>]
        : [ArgType<Head>, ...Positionals<Tail, false>]
    : Positionals<Tail, Optional>
  : [];

/** The `--flags` and `--options` of a command, as one optional object. */
type Flags<A extends readonly unknown[]> = {
  [X in A[number] as X extends { kind: "flag" | "option"; property: infer P extends string } ? P : never]?: X extends {
    kind: "flag";
  }
    ? boolean
    : ArgType<X>;
};

type HasFlags<A extends readonly unknown[]> = [keyof Flags<A>] extends [never] ? false : true;

type CliOf<C> = C extends { cli: infer A extends readonly unknown[] } ? A : [];

/** The parameters of a command's method: its positionals, then its flags object when it has any. */
export type CommandArgs<C> =
  HasFlags<CliOf<C>> extends true ? [...Positionals<CliOf<C>>, flags?: Flags<CliOf<C>>] : Positionals<CliOf<C>>;

type Result<C> = C extends { execute(...args: never[]): infer R } ? Awaited<R> : never;
type PartialEach<T> = T extends object ? Partial<T> : never;

/** The envelope every reply has. */
export interface Envelope {
  status: string;
  time: number;
  id: string | null;
}

/**
 * The reply of a command: the envelope and the command's result fields (each optional where the command
 * may answer before its work is done, i.e. without `waiting`).
 */
export type CommandReply<C> = Envelope &
  (undefined extends Result<C> ? PartialEach<NonNullable<Result<C>>> : NonNullable<Result<C>>);

/** One method per command (`listen` is a subscription: use `subscribe`). */
export type CommandMethods = {
  [K in Exclude<keyof Registry, "listen">]: (...args: CommandArgs<Registry[K]>) => Promise<CommandReply<Registry[K]>>;
};

/** The control client with its typed command methods. */
export type Client = CircusClient & CommandMethods;

function isFlags(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The request properties for `args` given to a command's method, by its `cli` spec. */
export function requestProperties(cli: readonly CliArgument[], args: readonly unknown[]): JsonObject {
  const positionals = cli.filter((a) => a.kind === "positional");
  const takesFlags = cli.some((a) => a.kind !== "positional");
  const properties: JsonObject = {};
  const values = [...args];
  // A plain object after the positionals is the flags (`options` of `set` is a positional object).
  if (takesFlags && values.length > positionals.length && isFlags(values[values.length - 1])) {
    Object.assign(properties, values.pop() as JsonObject);
  }
  positionals.forEach((spec, i) => {
    const value = values[i];
    if (value === undefined) return;
    properties[spec.property] =
      Array.isArray(value) && spec.join !== undefined ? value.join(spec.join) : (value as Json);
  });
  return properties;
}

/**
 * A client of the daemon at `options.endpoint`, with a method per command. Each resolves with the reply
 * (typed by the command) and rejects with ReplyError for an error reply, TimeoutError when none comes.
 */
export function createClient(options: ClientOptions = {}): Client {
  const client = new CircusClient(options) as Client;
  for (const [name, command] of Object.entries(REGISTRY)) {
    if (name === "listen") continue;
    Object.defineProperty(client, name, {
      enumerable: false,
      value: async (...args: unknown[]) => {
        const reply = await client.call(name, requestProperties(command.cli, args));
        if (reply.status === "error") throw new ReplyError(name, reply);
        return reply;
      },
    });
  }
  return client;
}
