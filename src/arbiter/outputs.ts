// Which output each of a watcher's processes writes to, across stream-option changes: the current sink
// for new spawns, and older sinks kept open until the last process writing to them has been reaped.

import type { WatcherConfig } from "../config/types.ts";
import { INHERIT_OUTPUT, type HandedChannels, type OutputSink } from "./process.ts";

export type OpenOutput = (cfg: WatcherConfig, previous?: OutputSink) => Promise<OutputSink>;

export class OutputRouting {
  private currentSink: OutputSink = INHERIT_OUTPUT;
  private readonly byPid = new Map<number, OutputSink>();
  /** Replaced sinks that running processes still write to. */
  private readonly retiring = new Set<OutputSink>();

  constructor(private readonly openOutput?: OpenOutput) {}

  /** Where the next spawn writes. */
  get current(): OutputSink {
    return this.currentSink;
  }

  /** Open the first output (files are created now, as Circus does); throws on a bad stream option. */
  async init(cfg: WatcherConfig, previous?: OutputSink): Promise<void> {
    if (this.openOutput) this.currentSink = await this.openOutput(cfg, previous);
  }

  /** Open an output for changed stream options without installing it (throws when they are bad). */
  prepare(cfg: WatcherConfig): Promise<OutputSink> | null {
    return this.openOutput ? this.openOutput(cfg, this.currentSink) : null;
  }

  /** Record that `pid` was spawned writing to `sink`. */
  spawned(pid: number, sink: OutputSink): void {
    this.byPid.set(pid, sink);
  }

  /** A daemon upgrade: `pid`'s channels, paused and given up by the sink it writes to. */
  handOver(pid: number): HandedChannels {
    return this.byPid.get(pid)?.handOver?.(pid) ?? { stdout: null, stderr: null };
  }

  /** The exec failed: `pid`'s sink reads its channels on. */
  takeBack(pid: number): void {
    this.byPid.get(pid)?.takeBack?.(pid);
  }

  /** After `pid` exited: wait until its output is stored, then close sinks nobody writes to any more. */
  async drained(pid: number): Promise<void> {
    const sink = this.byPid.get(pid);
    this.byPid.delete(pid);
    await sink?.drained?.(pid);
    await this.closeRetired();
  }

  /**
   * Install `next`. True when it took over the running pipes in place (Circus swaps a stream live when
   * output was already redirected); false when processes must respawn to write to it.
   */
  async install(next: OutputSink): Promise<boolean> {
    const previous = this.currentSink;
    this.currentSink = next;
    if (next.adopt?.(previous)) {
      for (const [pid, sink] of this.byPid) if (sink === previous) this.byPid.set(pid, next);
      await previous.close?.();
      return true;
    }
    this.retiring.add(previous);
    await this.closeRetired();
    return false;
  }

  async reopen(): Promise<void> {
    await Promise.all([this.currentSink, ...this.retiring].map((s) => s.reopen?.()));
  }

  /** Drain and close every sink (watcher removed, daemon quit); `untilEof` when processes were left running. */
  async close(options: { untilEof?: boolean } = {}): Promise<void> {
    const sinks = [this.currentSink, ...this.retiring];
    this.retiring.clear();
    this.byPid.clear();
    await Promise.all(sinks.map((s) => s.close?.(options)));
  }

  private async closeRetired(): Promise<void> {
    // Called at every reap: without a retired sink, do not look at every running process (a stop of
    // 10 000 workers made that quadratic).
    if (this.retiring.size === 0) return;
    const inUse = new Set(this.byPid.values());
    const done = [...this.retiring].filter((s) => !inUse.has(s));
    for (const s of done) this.retiring.delete(s);
    await Promise.all(done.map((s) => s.close?.()));
  }
}
