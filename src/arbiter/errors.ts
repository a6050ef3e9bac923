// Typed failures of arbiter operations. The arbiter knows no wire; the protocol layer maps these
// classes to Circus errnos (invalid input → 3, refused operation → 5).

/** A watcher name that matches nothing (Circus: errno 3 "program <name> not found"). */
export class WatcherNotFoundError extends Error {
  override readonly name = "WatcherNotFoundError";
  constructor(readonly watcher: string) {
    super(`program ${watcher} not found`);
  }
}

/** `add` of a name already in use, compared case-insensitively. */
export class WatcherExistsError extends Error {
  override readonly name = "WatcherExistsError";
  constructor(readonly watcher: string) {
    super(`watcher '${watcher}' already exist`);
  }
}

/** Bad input to an operation: unknown option key, wrong value type, bad signal (Circus errno 3). */
export class InvalidOptionError extends Error {
  override readonly name = "InvalidOptionError";
}

/** A well-formed request the watcher refuses: singleton resize, unknown child pid, … (Circus errno 5). */
export class OperationError extends Error {
  override readonly name = "OperationError";
}

/**
 * A process did not become ready (its probe timed out, it exited first), or the watcher stopped or gave
 * up before it was: what `start`, `incr`, `restart` and `reload` with `waiting` answer (errno 5).
 */
export class ReadinessError extends Error {
  override readonly name = "ReadinessError";
}

/** A process could not be created (missing executable, bad cwd, unknown user, …). */
export class SpawnError extends Error {
  override readonly name = "SpawnError";
}

/** A hook ran longer than [circus] hooks_timeout (it counts as failed). */
export class HookTimeoutError extends Error {
  override readonly name = "HookTimeoutError";
  constructor(
    readonly hook: string,
    readonly timeoutMs: number,
  ) {
    super(`hook ${hook} timed out after ${timeoutMs / 1000} s`);
  }
}

/** A [socket:*] could not be bound: the arbiter refuses to start (Circus aborts too). */
export class SocketBindError extends Error {
  override readonly name = "SocketBindError";
  constructor(
    readonly socket: string,
    /** `file:line` of the section, when it came from a config file. */
    readonly where: string | null,
    cause: unknown,
  ) {
    super(`${where ? `${where}: ` : ""}socket:${socket}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
