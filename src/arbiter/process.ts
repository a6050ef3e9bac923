// One worker process: created from a SpawnPlan in its own session, with its exit observed through
// Bun's onExit (event-driven, no polling). The stop procedure lives in stop.ts.

import type { Subprocess } from "bun";
import { closeFd, outputPair, type OutputPair } from "../os/capture.ts";
import { signalNumber } from "../os/signals.ts";
import type { TailBuffer } from "../streams/tail.ts";
import { getLogger } from "../util/log.ts";
import { SpawnError } from "./errors.ts";
import { trackChild } from "./children.ts";
import { watchAdopted } from "./adopted.ts";
import type { SlotHistory, StopReason } from "./exits.ts";
import { closeLaunchStatus, readLaunchStatus } from "../os/launcher.ts";
import type { SpawnPlan } from "./spawnplan.ts";

const log = getLogger("circus.process");

/**
 * Where a child's stdout/stderr go. "capture": a socket pair made for this one spawn, whose daemon end
 * the sink reads (decisions §3). A number is a file descriptor of the daemon.
 */
export type StdioTarget = "inherit" | "ignore" | "capture" | number;

/** The daemon's ends of one worker's captured channels (null: that channel is not captured). */
export interface CapturedFds {
  stdout: number | null;
  stderr: number | null;
}

/**
 * The seam for output capture: the watcher chooses the targets, and for captured channels `attach`
 * receives the daemon's ends (and then owns them). Without a sink, output goes wherever the daemon's goes.
 */
export interface OutputSink {
  stdout: StdioTarget;
  stderr: StdioTarget;
  attach?(pid: number, fds: CapturedFds, pending?: PendingOutput): void;
  /**
   * A daemon upgrade: stop reading `pid`'s channels without losing a byte and give up their fds (left
   * open for the next image) with what was read of an unterminated line.
   */
  handOver?(pid: number): HandedChannels;
  /** The hand-over was called off (the exec failed): read `pid`'s channels on as before. */
  takeBack?(pid: number): void;
  /** Resolves once everything read so far is written out (before a daemon upgrade's exec). */
  flush?(): Promise<void>;
  /** After `pid` exited: resolves once what it wrote is read to EOF and stored (its reap is reported after). */
  drained?(pid: number): Promise<unknown>;
  /** Take over the running pipes of `previous` (new stream options, same stdio targets); false = workers must respawn. */
  adopt?(previous: OutputSink): boolean;
  /** Reopen files (SIGUSR1, `reopen`). */
  reopen?(): Promise<void>;
  /** Drain what is left and release files (watcher removed, daemon quit); `untilEof` waits for pipes without a time limit. */
  close?(options?: { untilEof?: boolean }): Promise<void>;
  /** The last lines the processes wrote, when this sink keeps them (what `logs` reads). */
  readonly tail?: TailBuffer;
}

/** Bytes of an unterminated line read before a hand-over, per channel. */
export type PendingOutput = Partial<Record<"stdout" | "stderr", Uint8Array>>;

/** One captured channel as handed to the next daemon image: its fd, and a partial line (base64). */
export interface HandedChannel {
  fd: number;
  pending: string;
}

export interface HandedChannels {
  stdout: HandedChannel | null;
  stderr: HandedChannel | null;
}

export const INHERIT_OUTPUT: OutputSink = { stdout: "inherit", stderr: "inherit" };

export interface ExitInfo {
  /** Circus's `exit_code`: the exit status, or minus the signal number when killed by a signal. */
  exitCode: number | null;
  /** Epoch milliseconds when the exit was observed. */
  atMs: number;
  /** The launcher's failure text when setup failed before the worker's program ran, else null. */
  launchFailure: string | null;
}

export class WorkerProcess {
  /** Set once the exit is observed. */
  exit: ExitInfo | null = null;
  /** Resolves when the process has exited (and Bun has reaped it). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves with null once the program runs (at once without a launcher), or the launcher's failure. */
  readonly launched: Promise<string | null>;
  /** The running stop procedure, so a second stop request joins the first (§9.2 step 1). */
  stopping: Promise<void> | null = null;
  /** Why the daemon is stopping it (set with `stopping`): the `reason` of its exit. */
  stopReason: StopReason | null = null;
  /** With `stopReason`: whether its exit is reported as a `reap` event (Circus does for a watcher stop only). */
  reapOnStop = false;
  /** Epoch ms of the last signal the daemon sent it outside a stop: a death soon after has reason `signal`. */
  lastSignalMs: number | null = null;
  /** What its wid slot went through before it (restarts, the previous occupant's exit). */
  history: SlotHistory = { restarts: 0, lastExit: null };
  /** The `$(circus.…)` variables of its spawn (its readiness probe is substituted with them). */
  vars: Map<string, string> | null = null;

  private constructor(
    readonly pid: number,
    readonly wid: number,
    readonly startedMs: number,
    readonly argv: string[],
    exited: Promise<ExitInfo>,
    /** Null for a worker adopted from the previous daemon image (upgrade): Bun did not spawn it. */
    private readonly subprocess: Subprocess | null,
    launched: Promise<string | null>,
  ) {
    this.exited = exited;
    this.launched = launched;
    exited.then((info) => {
      this.exit = info;
    });
  }

  /** Start a process; throws SpawnError when it cannot be created (missing file, bad cwd, …). */
  static spawn(plan: SpawnPlan, wid: number, output: OutputSink = INHERIT_OUTPUT): WorkerProcess {
    let resolveExit!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((resolve) => {
      resolveExit = resolve;
    });
    const stdout = openChannel(plan.closeStdout ? "ignore" : output.stdout);
    let stderr: Channel;
    try {
      stderr = openChannel(plan.closeStderr ? "ignore" : output.stderr);
    } catch (err) {
      stdout.abandon();
      throw err;
    }
    let subprocess: Subprocess;
    let launch: LaunchWatch | null = null;
    try {
      subprocess = Bun.spawn({
        cmd: [plan.file, ...plan.argv.slice(1)],
        argv0: plan.argv[0],
        cwd: plan.cwd ?? undefined,
        env: plan.env,
        // setsid: the worker leads its own session and process group (pgid = pid), so a terminal
        // Ctrl-C reaches only the daemon and the stop procedure can sweep the whole group.
        detached: true,
        uid: plan.uid ?? undefined,
        gid: plan.gid ?? undefined,
        stdio: [plan.stdin, stdout.target, stderr.target, ...inheritedFds(plan.fds)],
        onExit(_sub, exitCode, signalCode) {
          const launchFailure = launch?.atExit() ?? null;
          resolveExit({ exitCode: exitCodeOf(exitCode, signalCode), atMs: Date.now(), launchFailure });
        },
      });
    } catch (err) {
      stdout.abandon();
      stderr.abandon();
      if (plan.launchStatus) {
        closeLaunchStatus(plan.launchStatus.read);
        closeLaunchStatus(plan.launchStatus.write);
      }
      throw new SpawnError(`cannot spawn ${JSON.stringify(plan.argv.join(" "))}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // The child has its own copies now; the daemon keeps only its reading ends.
    stdout.spawned();
    stderr.spawned();
    if (plan.launchStatus) {
      // Only the launcher may hold the write end: the pipe then reads EOF once its exec succeeded.
      closeLaunchStatus(plan.launchStatus.write);
      launch = new LaunchWatch(plan.launchStatus.read);
    }
    trackChild(subprocess.pid, exited);
    const launched = launch?.settled ?? Promise.resolve(null);
    const proc = new WorkerProcess(subprocess.pid, wid, Date.now(), plan.shownArgv, exited, subprocess, launched);
    proc.vars = plan.vars ?? null;
    if (stdout.daemonFd !== null || stderr.daemonFd !== null) {
      if (output.attach) output.attach(proc.pid, { stdout: stdout.daemonFd, stderr: stderr.daemonFd });
      else for (const fd of [stdout.daemonFd, stderr.daemonFd]) if (fd !== null) closeFd(fd);
    }
    return proc;
  }

  /**
   * Take over a worker the previous daemon image spawned (after an upgrade): same pid, wid and spawn
   * time; its exit is observed through waitpid on exactly its pid (adopted.ts).
   */
  static adopt(worker: { pid: number; wid: number; startedMs: number; argv: string[] }): WorkerProcess {
    const exited = watchAdopted(worker.pid).then(
      (exit): ExitInfo => ({
        exitCode: exit.signal !== null ? -exit.signal : exit.exitCode,
        atMs: exit.atMs,
        launchFailure: null,
      }),
    );
    return new WorkerProcess(
      worker.pid,
      worker.wid,
      worker.startedMs,
      worker.argv,
      exited,
      null,
      Promise.resolve(null),
    );
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** Spawn time in epoch seconds (Circus's `started`). */
  get started(): number {
    return this.startedMs / 1000;
  }

  /** Seconds since spawn. */
  age(nowMs: number = Date.now()): number {
    return (nowMs - this.startedMs) / 1000;
  }

  /** Send a signal unless the process already exited (its pid may be reused); true when delivered. */
  kill(signum: number): boolean {
    if (!this.alive) return false;
    try {
      process.kill(this.pid, signum);
      this.lastSignalMs = Date.now();
      return true;
    } catch (err) {
      log.debug(`signal ${signum} to ${this.pid} failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Keep the daemon from holding the child alive in Bun's bookkeeping once it is unmanaged. */
  unref(): void {
    this.subprocess?.unref();
  }
}

/** One stdio channel of a spawn: what Bun.spawn gets, and the daemon's end when it is captured. */
interface Channel {
  target: "inherit" | "ignore" | number;
  daemonFd: number | null;
  /** After a successful spawn: close the worker's end in the daemon. */
  spawned(): void;
  /** The spawn failed: close both ends. */
  abandon(): void;
}

/** A captured channel gets a fresh socket pair; throws SpawnError (with the OsError as cause) when it cannot. */
function openChannel(target: StdioTarget): Channel {
  if (target !== "capture") return { target, daemonFd: null, spawned() {}, abandon() {} };
  let pair: OutputPair;
  try {
    pair = outputPair();
  } catch (err) {
    throw new SpawnError(`cannot capture the output: ${(err as Error).message}`, { cause: err });
  }
  return {
    target: pair.workerFd,
    daemonFd: pair.daemonFd,
    spawned: () => closeFd(pair.workerFd),
    abandon: () => {
      closeFd(pair.workerFd);
      closeFd(pair.daemonFd);
    },
  };
}

/** First look at a launch's status pipe; the launcher usually has exec'd by then. */
const LAUNCH_FIRST_CHECK_MS = 250;
/** Later looks, until the pipe says exec or failure (or the process exits). */
const LAUNCH_CHECK_MS = 1000;

/**
 * Watches the daemon's end of a launcher's status pipe: settles with null once the exec happened (the
 * pipe closed empty) and closes it, so a long-running worker holds no extra fd in the daemon; with the
 * launcher's failure text when setup failed.
 */
class LaunchWatch {
  readonly settled: Promise<string | null>;
  private resolve!: (failure: string | null) => void;
  private fd: number | null;
  private failure: string | null = null;
  private timer: ReturnType<typeof setTimeout>;

  constructor(fd: number) {
    this.fd = fd;
    this.settled = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(() => this.look(false), LAUNCH_FIRST_CHECK_MS);
    this.timer.unref();
  }

  /** At the process's exit the pipe has its final word (EOF or the failure): read it and close. */
  atExit(): string | null {
    this.look(true);
    return this.failure;
  }

  private look(exited: boolean): void {
    if (this.fd === null) return;
    let status: ReturnType<typeof readLaunchStatus>;
    try {
      status = readLaunchStatus(this.fd);
    } catch (err) {
      log.warning(`launcher status: ${(err as Error).message}`);
      status = { state: "exec" };
    }
    if (status.state === "pending" && !exited) {
      this.timer = setTimeout(() => this.look(false), LAUNCH_CHECK_MS);
      this.timer.unref();
      return;
    }
    clearTimeout(this.timer);
    closeLaunchStatus(this.fd);
    this.fd = null;
    this.failure = status.state === "failed" ? status.message : null;
    this.resolve(this.failure);
  }
}

/** Bun's stdio entries from 3 up: child fd N gets the daemon fd mapped to N; the numbers between stay closed. */
function inheritedFds(fds: Map<number, number>): (number | "ignore")[] {
  if (fds.size === 0) return [];
  const entries: (number | "ignore")[] = [];
  for (let childFd = 3; childFd <= Math.max(...fds.keys()); childFd++) entries.push(fds.get(childFd) ?? "ignore");
  return entries;
}

function exitCodeOf(exitCode: number | null, signalCode: string | number | null): number | null {
  if (signalCode !== null && signalCode !== undefined) {
    try {
      return -signalNumber(signalCode);
    } catch {
      return null; // a signal name our table lacks: report no code rather than fail the exit
    }
  }
  return exitCode;
}
