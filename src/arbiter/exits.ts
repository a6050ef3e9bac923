// Why a worker exited and what the watcher remembers of it (decisions §1, §2): one `reason` per exit,
// the last exit per watcher and per wid slot, restart counts, and which spawn failures are transient.

/** The one reason of every exit; logs, `status`, `ctl ps`, Prometheus and Flapping use these words. */
export type ExitReason = "crash" | "exit" | "stop" | "kill" | "signal" | "max_age" | "reload" | "spawn_failed";

/** Every reason, in the order tables and metrics list them. */
export const EXIT_REASONS: readonly ExitReason[] = [
  "crash",
  "exit",
  "stop",
  "kill",
  "signal",
  "max_age",
  "reload",
  "spawn_failed",
];

/**
 * Reasons for which the daemon ended the process on purpose, through the stop procedure (`spawn_failed`:
 * its readiness probe did not pass in time, decisions §1).
 */
export type StopReason = Extract<ExitReason, "stop" | "kill" | "max_age" | "reload" | "spawn_failed">;

/** A process's exit as `status` and `stats` replies show it (`last_exit`). */
export interface LastExit {
  pid: number;
  /** Exit status, or null when a signal ended it. */
  status: number | null;
  /** The signal number that ended it, or null. */
  signal: number | null;
  reason: ExitReason;
  /** Epoch seconds of the exit. */
  time: number;
}

/** What a watcher remembers of its exits, as `status` and `stats` replies show it. */
export interface ExitState {
  /** Why spawning gave up (max_retry exhausted, or a Python hook not ported), or null. */
  spawnError: string | null;
  /** Processes that died on their own (crash, exit) and were respawned. */
  restarts: number;
  lastExit: LastExit | null;
  /** Exits by reason since the watcher was created. */
  exits: Record<ExitReason, number>;
}

/** What a wid slot has been through: the exit of its previous process and how often it died on its own. */
export interface SlotHistory {
  restarts: number;
  lastExit: LastExit | null;
}

/** True for the reasons that say the process ended on its own (the ones Flapping counts). */
export function diedOnItsOwn(reason: ExitReason): boolean {
  return reason === "crash" || reason === "exit";
}

/**
 * The reason of an exit the stop procedure did not cause: `signal` when it follows a signal the daemon
 * sent within the watcher's graceful_timeout, else `exit` for status 0 and `crash` for anything else.
 */
export function exitReason(
  exitCode: number | null,
  atMs: number,
  lastSignalMs: number | null,
  gracefulTimeoutMs: number,
): ExitReason {
  if (lastSignalMs !== null && atMs - lastSignalMs <= gracefulTimeoutMs) return "signal";
  return exitCode === 0 ? "exit" : "crash";
}

/** Split Circus's `exit_code` (status, or minus the signal number) into status and signal. */
export function lastExitOf(pid: number, exitCode: number | null, reason: ExitReason, atMs: number): LastExit {
  return {
    pid,
    status: exitCode !== null && exitCode >= 0 ? exitCode : null,
    signal: exitCode !== null && exitCode < 0 ? -exitCode : null,
    reason,
    time: atMs / 1000,
  };
}

/** errno codes of a spawn that may work on the next try: they never count toward max_retry (§1). */
const TRANSIENT_CODES = new Set(["EMFILE", "ENFILE", "EAGAIN", "ENOMEM"]);

/** True when `err` (or one of its causes) carries a transient errno code. */
export function isTransientSpawnError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}

/** What a watcher remembers of its exits: counts by reason, restarts, the last exit, each wid slot's history. */
export class ExitLedger {
  private restarts = 0;
  private lastExit: LastExit | null = null;
  private readonly counts = Object.fromEntries(EXIT_REASONS.map((r) => [r, 0])) as Record<ExitReason, number>;
  /** History per wid slot, handed to the process that takes the slot next. */
  private readonly slots = new Map<number, SlotHistory>();

  /** The history a new process in slot `wid` inherits. */
  slot(wid: number): SlotHistory {
    return this.slots.get(wid) ?? { restarts: 0, lastExit: null };
  }

  /** Keep an exit as the watcher's and its slot's last one; `respawned`: it died on its own and is replaced. */
  record(
    exit: { pid: number; wid: number; history: SlotHistory; exitCode: number | null; atMs: number },
    reason: ExitReason,
    respawned: boolean,
  ): LastExit {
    const lastExit = lastExitOf(exit.pid, exit.exitCode, reason, exit.atMs);
    this.lastExit = lastExit;
    this.counts[reason]++;
    if (respawned) this.restarts++;
    this.slots.set(exit.wid, { restarts: exit.history.restarts + (respawned ? 1 : 0), lastExit });
    return lastExit;
  }

  state(spawnError: string | null): ExitState {
    return { spawnError, restarts: this.restarts, lastExit: this.lastExit, exits: { ...this.counts } };
  }

  /** Plain data for a daemon upgrade. */
  snapshot(): ExitLedgerState {
    return {
      restarts: this.restarts,
      lastExit: this.lastExit,
      counts: { ...this.counts },
      slots: [...this.slots.entries()],
    };
  }

  /** Take the counters of a previous daemon image (reasons it does not know are ignored). */
  restore(state: ExitLedgerState): void {
    this.restarts = state.restarts;
    this.lastExit = state.lastExit;
    for (const reason of EXIT_REASONS) {
      const n = state.counts[reason];
      if (typeof n === "number") this.counts[reason] = n;
    }
    this.slots.clear();
    for (const [wid, history] of state.slots) this.slots.set(wid, history);
  }
}

/** An exit ledger as plain data (JSON). */
export interface ExitLedgerState {
  restarts: number;
  lastExit: LastExit | null;
  counts: Partial<Record<ExitReason, number>>;
  slots: [number, SlotHistory][];
}
