// Shared test scaffolding for the arbiter suite: WatcherConfig with defaults, an event recorder,
// /proc probes, and leftover-process cleanup so a failing test never leaks workers.

import type { SocketConfig, WatcherConfig } from "../../src/config/types.ts";
import { EventBus } from "../../src/arbiter/bus.ts";
import { watcherDefaults, type WatcherInput } from "../../src/arbiter/defaults.ts";
import { Watcher, type WatcherContext } from "../../src/arbiter/watcher.ts";
import { defer } from "../helpers/cleanup.ts";

/** Fast defaults for tests: short graceful timeout, env with PATH. */
export function wcfg(input: WatcherInput): WatcherConfig {
  return watcherDefaults({ graceful_timeout: 2, env: { PATH: process.env.PATH ?? "/bin:/usr/bin" }, ...input });
}

/** A socket section as the config reader gives it: loopback TCP on port 0 unless `extra` says otherwise. */
export function socketCfg(name: string, extra: Partial<SocketConfig> = {}): SocketConfig {
  return {
    name,
    host: "127.0.0.1",
    port: 0,
    family: "AF_INET",
    type: "SOCK_STREAM",
    proto: 0,
    backlog: 128,
    path: null,
    umask: 8,
    replace: false,
    interface: null,
    so_reuseport: false,
    blocking: false,
    systemd: false,
    raw: {},
    source: null,
    ...extra,
  };
}

export interface Recorded {
  topic: string;
  payload: Record<string, unknown>;
  at: number;
}

export class Recorder {
  readonly events: Recorded[] = [];
  private readonly waiters = new Set<() => void>();
  constructor(bus: EventBus) {
    bus.subscribe((topic, payload) => {
      this.events.push({ topic, payload, at: Date.now() });
      for (const wake of this.waiters) wake();
    });
  }
  topics(filter?: string): string[] {
    return this.events.map((e) => e.topic).filter((t) => filter === undefined || t.includes(filter));
  }
  of(suffix: string): Recorded[] {
    return this.events.filter((e) => e.topic.endsWith("." + suffix));
  }
  /** Resolves once `pred` holds for the events so far, checked as each event arrives. */
  async waitFor(pred: (e: Recorded[]) => boolean, ms = 5000): Promise<void> {
    if (pred(this.events)) return;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const check = () => {
      if (pred(this.events)) resolve();
    };
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting; events: ${this.topics().join(", ")}`)),
      ms,
    );
    this.waiters.add(check);
    try {
      await promise;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(check);
    }
  }
}

/** Every pid seen in spawn events, killed (with its group) by killLeftovers, after each test that made a watcher. */
export const startedPids = new Set<number>();
/** Standalone watchers of the current test: abandoned in afterEach so they cannot respawn what it kills. */
const liveWatchers = new Set<Watcher>();

export function standaloneWatcher(cfg: WatcherConfig, extra: Partial<WatcherContext> = {}) {
  const bus = new EventBus();
  const rec = new Recorder(bus);
  bus.subscribe((topic, payload) => {
    if (topic.endsWith(".spawn")) startedPids.add(payload.process_pid as number);
  });
  const ctx: WatcherContext = {
    bus,
    arbiter: null,
    endpoint: "tcp://127.0.0.1:5555",
    hooksTimeoutMs: 5000,
    checkDelayMs: 1000,
    acquireSockets: async () => ({ fds: new Map(), release: () => {} }),
    ...extra,
  };
  const watcher = new Watcher(cfg, ctx);
  liveWatchers.add(watcher);
  defer(killLeftovers);
  return { watcher, bus, rec };
}

export function killLeftovers(): void {
  // A watcher still active would replace the killed workers after the test file ends: orphans.
  for (const w of liveWatchers) w.abandon();
  liveWatchers.clear();
  for (const pid of startedPids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 9);
      } catch {
        // already gone
      }
    }
  }
  startedPids.clear();
}

// Old homes of generic helpers, kept for branches written against them: import from the modules.
export { isAlive as alive, zombieChildren, execDone, procEnviron, procStatus } from "../helpers/processes.ts";
export { until } from "../helpers/wait.ts";
