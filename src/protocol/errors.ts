// Circus's error numbers and the typed error a command throws to produce an error reply (§3).

import { OptionError } from "../config/options/spec.ts";

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
  ) {
    super(reason);
  }
}

/** errno 3: the request is well-formed JSON but a property is missing or wrong. */
export function messageError(reason: string): CommandError {
  return new CommandError(Errno.MESSAGE_ERROR, reason);
}

/** Run an option check of the option tables; an OptionError becomes the error reply it stands for (errno 3 or 5). */
export function checkedOptions<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof OptionError) throw new CommandError(err.errno, err.message);
    throw err;
  }
}
