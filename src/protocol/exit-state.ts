// The keys beyond Circus that `status` and `stats` replies carry about exits (decisions §1, §2):
// `spawn_error`, `restarts`, `last_exit` and `exits` per watcher; `restarts` and `last_exit` per process.

import type { ExitState, LastExit } from "../arbiter/index.ts";
import type { JsonObject } from "./command.ts";

/** `{spawn_error, restarts, last_exit, exits}` of one watcher. */
export function watcherExitKeys(state: ExitState): JsonObject {
  return {
    spawn_error: state.spawnError,
    restarts: state.restarts,
    last_exit: lastExitJson(state.lastExit),
    exits: { ...state.exits },
  };
}

/** `{pid, status, signal, reason, time}`, or null. */
export function lastExitJson(exit: LastExit | null): JsonObject | null {
  return exit === null ? null : { ...exit };
}
