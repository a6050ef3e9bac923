// A fake arbiter recording the calls commands make, for unit tests without processes.

import type {
  ControlledArbiter,
  ControlledWatcher,
  ProcessEntry,
  SocketEntry,
} from "../../src/protocol/arbiter-api.ts";
import type { CommandContext } from "../../src/protocol/command.ts";
import type { CircusConfig, WatcherConfig } from "../../src/config/types.ts";
import { circusDefaults, watcherDefaults } from "../../src/arbiter/defaults.ts";
import { listWatcherOptions } from "../../src/config/options/watcher-wire.ts";

export class FakeWatcher implements ControlledWatcher {
  state = "active";
  procs: ProcessEntry[] = [];
  calls: [string, unknown][] = [];
  config: WatcherConfig;
  /** Make the next mutation fail with this error. */
  failWith: Error | null = null;
  constructor(
    readonly name: string,
    cfg: Partial<WatcherConfig> = {},
  ) {
    this.config = watcherDefaults({ name, cmd: "sleep 100", ...cfg });
  }
  private op<T>(what: string, arg: unknown, value: T): Promise<T> {
    this.calls.push([what, arg]);
    const err = this.failWith;
    this.failWith = null;
    return err ? Promise.reject(err) : Promise.resolve(value);
  }
  status() {
    return this.state;
  }
  start() {
    this.state = "active";
    return this.op("start", null, { started: [11], kept: [10] });
  }
  stop() {
    this.state = "stopped";
    return this.op("stop", null, undefined);
  }
  restart() {
    return this.op("restart", null, { stopped: [1], started: [2], kept: [] });
  }
  reload(opts: { graceful: boolean; sequential: boolean }) {
    return this.op("reload", opts, { stopped: [1], started: [2], kept: [3] });
  }
  incr(nb: number) {
    this.config.numprocesses += nb;
    return this.op("incr", nb, this.config.numprocesses);
  }
  decr(nb: number) {
    this.config.numprocesses = Math.max(0, this.config.numprocesses - nb);
    return this.op("decr", nb, this.config.numprocesses);
  }
  kill(opts: unknown) {
    return this.op("kill", opts, undefined);
  }
  signal(opts: unknown) {
    return this.op("signal", opts, undefined);
  }
  options() {
    return listWatcherOptions(this.config) as Record<string, unknown>;
  }
  setOption(key: string, value: unknown) {
    return this.op("setOption", [key, value], undefined);
  }
  setOptions(options: Record<string, unknown>) {
    return this.op("setOptions", options, undefined);
  }
  processes() {
    return this.procs;
  }
}

export class FakeArbiter implements ControlledArbiter {
  ws: FakeWatcher[] = [];
  calls: [string, unknown][] = [];
  socketMap = new Map<string, SocketEntry>();
  constructor(...watchers: FakeWatcher[]) {
    this.ws = watchers;
  }
  watchers() {
    return this.ws;
  }
  getWatcher(name: string) {
    return this.ws.find((w) => w.name.toLowerCase() === name.toLowerCase());
  }
  sockets() {
    return this.socketMap;
  }
  async start() {
    this.calls.push(["start", null]);
  }
  async stop() {
    this.calls.push(["stop", null]);
  }
  async addWatcher(cfg: WatcherConfig, opts: { start: boolean }) {
    this.calls.push(["addWatcher", { cfg, opts }]);
    const w = new FakeWatcher(cfg.name, cfg);
    w.state = "stopped";
    this.ws.push(w);
  }
  async removeWatcher(name: string, opts: { nostop: boolean }) {
    this.calls.push(["removeWatcher", { name, opts }]);
    this.ws = this.ws.filter((w) => w.name !== name);
  }
  async reload(opts: unknown) {
    this.calls.push(["reload", opts]);
  }
  async reloadConfig(config: CircusConfig) {
    this.calls.push(["reloadConfig", config]);
  }
  async restart() {
    this.calls.push(["restart", null]);
  }
  numprocesses() {
    return this.ws.reduce((n, w) => n + w.config.numprocesses, 0);
  }
  globalOptions() {
    return circusDefaults({ endpoint: "tcp://127.0.0.1:5555", check_delay: 5 });
  }
}

export function fakeContext(
  arbiter: FakeArbiter,
  extra: Partial<CommandContext> = {},
): CommandContext & { quits: number } {
  const ctx = {
    arbiter,
    endpointOwner: null,
    quits: 0,
    async quit() {
      ctx.quits++;
    },
    async loadConfig(): Promise<CircusConfig | null> {
      throw new Error("no config");
    },
    ...extra,
  };
  return ctx;
}
