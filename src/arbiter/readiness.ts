// Which of a watcher's processes are ready (decisions §6). Without a probe a process is ready once
// spawned; with one, from the moment its probe passes. A probe that has not passed within ready.timeout
// is reported to the pool (a permanent spawn failure: killed and replaced, toward max_retry); a process
// that exits first is reported too. Listeners hear of every change, so waits resolve on events.

import { probeOf } from "../config/options/ready.ts";
import type { WatcherConfig } from "../config/types.ts";
import { makePrivateDir, removeDir } from "../os/fs.ts";
import { UnixDatagramReceiver } from "../os/unixdgram.ts";
import { resolveGroup, resolveUser } from "../os/users.ts";
import { timerMs } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import { epochSeconds, type WatcherEvent } from "./bus.ts";
import { ReadinessError } from "./errors.ts";
import type { OutputSink, WorkerProcess } from "./process.ts";
import { makeProbe, type Probe } from "./probes.ts";

const log = getLogger("circus.watcher");

/** What a change was: a process became ready, failed to (with why), or a ready one is gone. */
export type ReadinessChange =
  | { kind: "ready"; pid: number }
  | { kind: "failed"; pid: number; message: string }
  | { kind: "gone"; pid: number };

/** What the tracker needs from its pool. */
export interface ReadinessHost {
  readonly name: string;
  readonly config: WatcherConfig;
  emit(event: WatcherEvent, payload: Record<string, unknown>): void;
  /** The probe of `proc` did not pass within ready.timeout: a failed spawn (the pool kills and replaces it). */
  timedOut(proc: WorkerProcess, message: string): void;
  /** `proc` passed its probe: its spawn worked. */
  becameReady(proc: WorkerProcess): void;
}

/** What a spawn gets before it runs: its environment additions (NOTIFY_SOCKET) and their cleanup. */
export interface PreparedSpawn {
  env: Record<string, string>;
  notify: NotifyChannel | null;
}

interface Tracked {
  proc: WorkerProcess;
  ready: boolean;
  /** Counted in `readyLive`: ready, and not being stopped. */
  counted: boolean;
  /** Being stopped: it no longer counts, even once it becomes ready. */
  retired: boolean;
  probe: Probe | null;
  stop: AbortController;
  notify: NotifyChannel | null;
}

export class Readiness {
  private readonly tracked = new Map<number, Tracked>();
  private readonly listeners = new Set<(change: ReadinessChange) => void>();
  /** Ready processes not being stopped, kept as they change: asked after every ready event, at any size. */
  private readyLive = 0;

  constructor(private readonly host: ReadinessHost) {}

  /** Whether the watcher has a probe (read at each use: `set ready.*` changes it for new processes). */
  get probed(): boolean {
    return probeOf(this.host.config.ready) !== null;
  }

  /** Set up what the next spawn needs (a NOTIFY_SOCKET for ready.notify); throws when that fails. */
  async prepare(): Promise<PreparedSpawn> {
    const probe = probeOf(this.host.config.ready);
    if (probe?.kind !== "notify") return { env: {}, notify: null };
    const notify = await NotifyChannel.open(ownerOf(this.host.config));
    return { env: { NOTIFY_SOCKET: notify.path }, notify };
  }

  /** Undo `prepare` when the spawn did not happen. */
  abandon(prepared: PreparedSpawn): void {
    prepared.notify?.close();
  }

  /**
   * A worker adopted after a daemon upgrade: ready when it was in the previous image; otherwise probed
   * again from here (ready.notify's socket did not survive: such a worker counts as ready at once).
   */
  adopt(proc: WorkerProcess, wasReady: boolean, output: OutputSink): void {
    if (wasReady || probeOf(this.host.config.ready)?.kind === "notify") {
      const entry = newEntry(proc, null);
      this.tracked.set(proc.pid, entry);
      this.markReady(entry);
      return;
    }
    this.track(proc, { env: {}, notify: null }, output);
  }

  /** Follow a spawned process until it is ready (at once without a probe). */
  track(proc: WorkerProcess, prepared: PreparedSpawn, output: OutputSink): void {
    const cfg = this.host.config;
    const spec = probeOf(cfg.ready);
    const entry = newEntry(proc, prepared.notify);
    this.tracked.set(proc.pid, entry);
    if (spec === null) {
      this.markReady(entry);
      return;
    }
    const vars = new Map(proc.vars ?? []);
    vars.set("pid", String(proc.pid));
    const tail = output.tail;
    entry.probe = makeProbe(spec.kind, spec.target, cfg.ready.interval * 1000, {
      pid: proc.pid,
      vars,
      env: cfg.env,
      cwd: cfg.working_dir,
      lines: tail
        ? (listener) =>
            tail.subscribe((line) => {
              if (line.pid === proc.pid) listener(line.line);
            })
        : null,
      notifications: prepared.notify ? (listener) => prepared.notify!.listen(listener) : null,
    });
    const timeoutMs = cfg.ready.timeout * 1000;
    const timer = setTimeout(() => entry.stop.abort(), timerMs(timeoutMs));
    void entry.probe.run(entry.stop.signal).then(() => {
      clearTimeout(timer);
      entry.notify?.close();
      entry.notify = null;
      if (this.tracked.get(proc.pid) !== entry || !proc.alive) return;
      if (entry.stop.signal.aborted) {
        const why = entry.probe?.lastError ? `: ${entry.probe.lastError}` : "";
        const message = `process ${proc.pid} not ready after ${cfg.ready.timeout} s (${entry.probe!.label}${why})`;
        log.error(`watcher ${this.host.name}: ${message}`);
        this.changed({ kind: "failed", pid: proc.pid, message });
        this.host.timedOut(proc, message);
        return;
      }
      this.markReady(entry);
      log.info(`watcher ${this.host.name}: process ${proc.pid} is ready (${entry.probe!.label})`);
      this.host.emit("ready", { process_pid: proc.pid, time: epochSeconds() });
      this.host.becameReady(proc);
      this.changed({ kind: "ready", pid: proc.pid });
    });
  }

  /** `proc` exited (or is no longer managed): stop its probe; one not ready yet is a failure to report. */
  forget(proc: WorkerProcess, how: string): void {
    const entry = this.tracked.get(proc.pid);
    if (entry?.proc !== proc) return;
    this.tracked.delete(proc.pid);
    if (entry.counted) this.readyLive--;
    entry.stop.abort();
    entry.notify?.close();
    if (!entry.ready && entry.probe !== null) {
      const message = `process ${proc.pid} exited before it was ready (${how}; ${entry.probe.label}: ${entry.probe.lastError ?? "did not pass"})`;
      this.changed({ kind: "failed", pid: proc.pid, message });
    } else if (entry.ready) this.changed({ kind: "gone", pid: proc.pid });
  }

  /** `proc` is being stopped: it no longer counts among the ready ones. */
  retire(proc: WorkerProcess): void {
    const entry = this.tracked.get(proc.pid);
    if (entry?.proc !== proc || entry.retired) return;
    entry.retired = true;
    if (entry.counted) this.readyLive--;
    entry.counted = false;
  }

  /** How many processes are ready and not being stopped. */
  get readyCount(): number {
    return this.readyLive;
  }

  private markReady(entry: Tracked): void {
    entry.ready = true;
    if (!entry.retired && !entry.counted) {
      entry.counted = true;
      this.readyLive++;
    }
  }

  isReady(pid: number): boolean {
    return this.tracked.get(pid)?.ready === true;
  }

  /** Hear of every process that becomes ready or fails to, until the returned function is called. */
  subscribe(listener: (change: ReadinessChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once `pid` is ready; rejects with ReadinessError when it fails to be or `signal` aborts. */
  untilReady(pid: number, signal?: AbortSignal): Promise<void> {
    if (this.isReady(pid)) return Promise.resolve();
    if (!this.tracked.has(pid)) return Promise.reject(new ReadinessError(`process ${pid} is gone`));
    return new Promise((resolve, reject) => {
      const done = (err: Error | null) => {
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => done(new ReadinessError(`stopped waiting for process ${pid} to be ready`));
      const unsubscribe = this.subscribe((change) => {
        if (change.pid !== pid) return;
        if (change.kind === "failed") done(new ReadinessError(change.message));
        else if (change.kind === "ready") done(null);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private changed(change: ReadinessChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}

/** The user a worker runs as, who must be able to send to its NOTIFY_SOCKET; null: the daemon's own. */
function ownerOf(cfg: WatcherConfig): { uid: number; gid: number } | null {
  if (cfg.uid === null && cfg.gid === null) return null;
  const user = cfg.uid !== null ? resolveUser(cfg.uid) : null;
  return { uid: user?.uid ?? -1, gid: cfg.gid !== null ? resolveGroup(cfg.gid) : (user?.gid ?? -1) };
}

let notifyDir: string | null = null;
let notifySockets = 0;

/** Remove the directory of the daemon's NOTIFY_SOCKETs (at exit). */
export function removeNotifyDir(): void {
  if (notifyDir !== null) removeDir(notifyDir);
  notifyDir = null;
}

/**
 * One process's NOTIFY_SOCKET: a datagram socket of its own, so what arrives there comes from it (or
 * its children), never from another worker. Open only until the process is ready or gone.
 */
export class NotifyChannel {
  private readonly listeners = new Set<(message: string) => void>();
  private receiver: UnixDatagramReceiver | null = null;

  private constructor(readonly path: string) {}

  static async open(owner: { uid: number; gid: number } | null): Promise<NotifyChannel> {
    notifyDir ??= makePrivateDir(`circus-${process.pid}-`);
    const channel = new NotifyChannel(`${notifyDir}/${++notifySockets}.sock`);
    const decoder = new TextDecoder();
    channel.receiver = await UnixDatagramReceiver.open(
      channel.path,
      (data) => {
        const message = decoder.decode(data);
        for (const listener of [...channel.listeners]) listener(message);
      },
      owner,
    );
    return channel;
  }

  listen(listener: (message: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.receiver?.close();
    this.receiver = null;
    this.listeners.clear();
  }
}

/** A process as tracking begins: not ready, no probe running yet. */
function newEntry(proc: WorkerProcess, notify: Tracked["notify"]): Tracked {
  return { proc, ready: false, counted: false, retired: false, probe: null, stop: new AbortController(), notify };
}
