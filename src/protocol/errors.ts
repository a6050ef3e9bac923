// Circus's error numbers, the typed error a command throws to produce an error reply (§3), and the
// errno of every failure the layers below throw: they know no wire, so the mapping is made here, by class.

import {
  InvalidOptionError,
  OperationError,
  ReadinessError,
  SpawnError,
  WatcherExistsError,
  WatcherNotFoundError,
} from "../arbiter/errors.ts";
import { OptionError } from "../config/options/spec.ts";
import { ConfigError } from "../config/types.ts";
import { OsError } from "../os/errors.ts";
import { UnknownSignalError } from "../os/signals.ts";
import { StreamConfigError } from "../streams/errors.ts";

export const Errno = {
  NOT_SPECIFIED: 0,
  INVALID_JSON: 1,
  UNKNOWN_COMMAND: 2,
  MESSAGE_ERROR: 3,
  OS_ERROR: 4,
  COMMAND_ERROR: 5,
  BAD_MSG_DATA_ERROR: 6,
} as const;
export type Errno = (typeof Errno)[keyof typeof Errno];

/** A failure that crosses the wire as `{status: "error", reason, errno}`. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    readonly errno: Errno,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The wire errno of each typed failure from below the protocol; the first matching class wins. */
const ERRNO_BY_CLASS: readonly [ErrorClass, Errno][] = [
  // Bad input: an unknown watcher, option value, signal or stream setting.
  [WatcherNotFoundError, Errno.MESSAGE_ERROR],
  [InvalidOptionError, Errno.MESSAGE_ERROR],
  [UnknownSignalError, Errno.MESSAGE_ERROR],
  [StreamConfigError, Errno.MESSAGE_ERROR],
  // Well-formed requests the arbiter refuses or cannot carry out.
  [WatcherExistsError, Errno.COMMAND_ERROR],
  [OperationError, Errno.COMMAND_ERROR],
  [ReadinessError, Errno.COMMAND_ERROR],
  [ConfigError, Errno.COMMAND_ERROR],
  [SpawnError, Errno.COMMAND_ERROR],
  [OsError, Errno.OS_ERROR],
];

/** A failed system call reported by Bun or node (an `ErrnoException` with its `code` and `syscall`). */
function isSystemError(err: Error): boolean {
  const e = err as Error & { code?: unknown; syscall?: unknown };
  return typeof e.code === "string" && typeof e.syscall === "string";
}

/** The errno of a failure that is a known class, or that carries its own (an option check's 3 or 5). */
function errnoOf(err: Error): Errno | null {
  if (err instanceof OptionError) return err.errno;
  return ERRNO_BY_CLASS.find(([cls]) => err instanceof cls)?.[1] ?? (isSystemError(err) ? Errno.OS_ERROR : null);
}

/**
 * The error reply for a typed failure: a CommandError as it is, a known failure class with its errno
 * (the original kept as `cause`); null for anything unexpected (the caller decides, and logs it).
 */
export function toCommandError(err: unknown): CommandError | null {
  if (err instanceof CommandError) return err;
  if (!(err instanceof Error)) return null;
  const errno = errnoOf(err);
  return errno === null ? null : new CommandError(errno, err.message, { cause: err });
}

/** errno 3: the request is well-formed JSON but a property is missing or wrong. */
export function messageError(reason: string): CommandError {
  return new CommandError(Errno.MESSAGE_ERROR, reason);
}
