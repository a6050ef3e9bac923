// Shared test scaffolding for the arbiter suite: WatcherConfig with defaults, an event recorder,
// /proc probes, and leftover-process cleanup so a failing test never leaks workers.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { WatcherConfig } from "../../src/config/types.ts";
import { EventBus } from "../../src/arbiter/bus.ts";
import { watcherDefaults, type WatcherInput } from "../../src/arbiter/defaults.ts";
import { Watcher, type WatcherContext } from "../../src/arbiter/watcher.ts";

/** Fast defaults for tests: short graceful timeout, env with PATH. */
export function wcfg(input: WatcherInput): WatcherConfig {
  return watcherDefaults({ graceful_timeout: 2, env: { PATH: process.env.PATH ?? "/bin:/usr/bin" }, ...input });
}

export interface Recorded {
  topic: string;
  payload: Record<string, unknown>;
  at: number;
}

export class Recorder {
  readonly events: Recorded[] = [];
  constructor(bus: EventBus) {
    bus.subscribe((topic, payload) => this.events.push({ topic, payload, at: Date.now() }));
  }
  topics(filter?: string): string[] {
    return this.events.map((e) => e.topic).filter((t) => filter === undefined || t.includes(filter));
  }
  of(suffix: string): Recorded[] {
    return this.events.filter((e) => e.topic.endsWith("." + suffix));
  }
  async waitFor(pred: (e: Recorded[]) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; events: ${this.topics().join(", ")}`);
      await Bun.sleep(10);
    }
  }
}

/** Every pid seen in spawn events, killed (with its group) in afterEach. */
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

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export async function until(pred: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Zombie children of this test process, read from /proc. */
export function zombieChildren(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" && Number(fields[1]) === process.pid) out.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return out;
}

/** Wait until `pid` has exec'd (Bun.spawn may return while the child is still between clone and exec). */
export async function execDone(pid: number): Promise<void> {
  await until(
    () => {
      try {
        // Before exec the child is still a copy of this Bun process.
        return (
          readFileSync(`/proc/${pid}/cmdline`, "utf8").length > 0 &&
          readlinkSync(`/proc/${pid}/exe`) !== process.execPath
        );
      } catch {
        return false;
      }
    },
    2000,
    `exec of ${pid}`,
  );
}

export function procEnviron(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

export function procStatus(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(field + ":"));
  return line ? line.slice(field.length + 1).trim() : "";
}
