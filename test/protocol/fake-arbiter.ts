// A fake arbiter for command tests without processes: it keeps the same contract as the real Arbiter
// and Watcher (test/protocol/control-contract.ts runs the same cases on both) with simulated processes
// (made-up pids), and records the calls commands make so tests can check what reached it.

import { globalOptionsOf } from "../../src/arbiter/arbiter.ts";
import { circusDefaults, watcherDefaults } from "../../src/arbiter/defaults.ts";
import { OperationError, WatcherExistsError, WatcherNotFoundError } from "../../src/arbiter/errors.ts";
import type {
  ExitState,
  GlobalOptions,
  KillOptions,
  OutputSink,
  ReloadConfigSummary,
  ReloadResult,
  SignalOptions,
  StartResult,
  WatcherState,
} from "../../src/arbiter/index.ts";
import { emptyReloadSummary } from "../../src/arbiter/reloadconfig.ts";
import { checkSetOptions } from "../../src/arbiter/watcher.ts";
import type { WireValue } from "../../src/config/options/spec.ts";
import { applyWatcherOption, listWatcherOptions } from "../../src/config/options/watcher-wire.ts";
import type { CircusConfig, WatcherConfig } from "../../src/config/types.ts";
import type {
  ControlledArbiter,
  ControlledWatcher,
  ProcessEntry,
  SocketEntry,
} from "../../src/protocol/arbiter-api.ts";
import type { CommandContext } from "../../src/protocol/command.ts";

let nextPid = 1000;

export class FakeWatcher implements ControlledWatcher {
  state: WatcherState;
  procs: ProcessEntry[] = [];
  calls: [string, unknown][] = [];
  readonly config: WatcherConfig;
  output: OutputSink = { stdout: "inherit", stderr: "inherit" };
  /** Make the next mutation fail with this error. */
  failWith: Error | null = null;
  /** What `exitState` reports; tests set it to see the keys reach the wire. */
  exits: ExitState = {
    spawnError: null,
    restarts: 0,
    lastExit: null,
    exits: { crash: 0, exit: 0, stop: 0, kill: 0, signal: 0, max_age: 0, reload: 0, spawn_failed: 0 },
  };

  /** A watcher as the arbiter leaves it after start: active with its processes (or stopped). */
  constructor(
    readonly name: string,
    cfg: Partial<WatcherConfig> = {},
    state: "active" | "stopped" = "active",
  ) {
    this.config = watcherDefaults({ name, cmd: "sleep 100", ...cfg });
    this.state = state;
    if (state === "active") this.spawnMissing();
  }

  private async op<T>(what: string, arg: unknown, work: () => T): Promise<T> {
    this.calls.push([what, arg]);
    const err = this.failWith;
    this.failWith = null;
    if (err) throw err;
    return work();
  }

  pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  private spawnMissing(): void {
    while (this.procs.length < this.config.numprocesses) {
      this.procs.push({
        pid: nextPid++,
        wid: this.procs.length + 1,
        started: Date.now() / 1000,
        restarts: 0,
        lastExit: null,
      });
    }
  }

  /** What the real watcher's management pass does: spawn up to the target, stop the surplus. */
  private manage(): void {
    if (this.state !== "active") return;
    this.spawnMissing();
    this.procs = this.procs.slice(0, this.config.numprocesses);
  }

  private diff(work: () => void): ReloadResult {
    const before = this.pids();
    work();
    const after = this.pids();
    return {
      stopped: before.filter((p) => !after.includes(p)),
      started: after.filter((p) => !before.includes(p)),
      kept: before.filter((p) => after.includes(p)),
    };
  }

  private doStart(): void {
    this.state = "active";
    this.manage();
  }

  private doStop(): void {
    this.state = "stopped";
    this.procs = [];
  }

  status() {
    return this.state;
  }
  exitState(): ExitState {
    return this.exits;
  }
  start(): Promise<StartResult> {
    return this.op("start", null, () => {
      const { started, kept } = this.diff(() => this.doStart());
      return { started, kept };
    });
  }
  stop(): Promise<void> {
    return this.op("stop", null, () => this.doStop());
  }
  restart(): Promise<ReloadResult> {
    return this.op("restart", null, () =>
      this.diff(() => {
        this.doStop();
        this.doStart();
      }),
    );
  }
  reload(opts: { graceful: boolean; sequential: boolean }): Promise<ReloadResult> {
    // Graceful or not, every process is replaced by a fresh one (a stopped watcher just starts).
    return this.op("reload", opts, () =>
      this.diff(() => {
        this.doStop();
        this.doStart();
      }),
    );
  }
  incr(nb: number): Promise<number> {
    return this.op("incr", nb, () => this.resize(nb));
  }
  decr(nb: number): Promise<number> {
    return this.op("decr", nb, () => this.resize(-nb));
  }
  private resize(delta: number): number {
    if (this.config.singleton) return this.config.numprocesses;
    this.config.numprocesses = Math.max(0, this.config.numprocesses + delta);
    this.manage();
    return this.config.numprocesses;
  }
  kill(opts: KillOptions): Promise<void> {
    return this.op("kill", opts, () => {
      this.procs = opts.pid === undefined ? [] : this.procs.filter((p) => p.pid !== opts.pid);
      if (this.config.respawn) this.manage();
    });
  }
  signal(opts: SignalOptions): Promise<void> {
    return this.op("signal", opts, () => {
      const owned = opts.pid === undefined || this.pids().includes(opts.pid);
      if ((opts.children || opts.childpid !== undefined) && !owned) {
        throw new OperationError(`process ${opts.pid} is not managed by ${this.name}`);
      }
    });
  }
  options() {
    return listWatcherOptions(this.config);
  }
  setOptions(options: Record<string, unknown>): Promise<void> {
    const checked = checkSetOptions(this.config, options as Record<string, WireValue>);
    return this.op("setOptions", options, () => {
      for (const [key, value] of Object.entries(checked))
        applyWatcherOption(this.config, key, value, "set", process.cwd());
      this.manage();
    });
  }
  processes() {
    return this.procs;
  }
  extendedStats(pid: number, stats: Record<string, unknown>): Promise<void> {
    return this.op("extendedStats", { pid, stats }, () => {});
  }
}

export class FakeArbiter implements ControlledArbiter {
  ws: FakeWatcher[] = [];
  calls: [string, unknown][] = [];
  socketList: SocketEntry[] = [];
  readonly config: CircusConfig = {
    file: "",
    circus: circusDefaults({ endpoint: "tcp://127.0.0.1:5555", check_delay: 5 }),
    watchers: [],
    sockets: [],
    plugins: [],
    globalEnv: {},
    warnings: [],
  };

  constructor(...watchers: FakeWatcher[]) {
    this.ws = watchers;
  }
  watchers(order: "name" | "created" = "name") {
    if (order === "created") return [...this.ws];
    return [...this.ws].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  }
  getWatcher(name: string) {
    return this.ws.find((w) => w.name.toLowerCase() === name.toLowerCase());
  }
  sockets() {
    return this.socketList;
  }
  async start() {
    this.calls.push(["start", null]);
    await this.startAll();
  }
  async stop() {
    this.calls.push(["stop", null]);
    await this.stopAll();
  }
  private async startAll() {
    const startable = this.ws.filter((w) => w.config.autostart && !w.config.on_demand);
    for (const w of startable.sort((a, b) => b.config.priority - a.config.priority)) await w.start();
  }
  private async stopAll() {
    for (const w of this.ws) await w.stop();
  }
  async addWatcher(cfg: WatcherConfig, opts: { start: boolean }) {
    this.calls.push(["addWatcher", { cfg, opts }]);
    if (this.getWatcher(cfg.name)) throw new WatcherExistsError(cfg.name);
    const w = new FakeWatcher(cfg.name, cfg, "stopped");
    this.ws.push(w);
    if (opts.start) await w.start();
    return w;
  }
  async removeWatcher(name: string, opts: { nostop: boolean }) {
    this.calls.push(["removeWatcher", { name, opts }]);
    const w = this.getWatcher(name);
    if (!w) throw new WatcherNotFoundError(name);
    this.ws = this.ws.filter((x) => x !== w);
    if (!opts.nostop) await w.stop();
  }
  async reload(opts: { graceful: boolean; sequential: boolean }) {
    this.calls.push(["reload", opts]);
    for (const w of this.ws) if (w.state === "active") await w.reload(opts);
  }
  async reloadConfig(config: CircusConfig): Promise<ReloadConfigSummary> {
    this.calls.push(["reloadConfig", config]);
    return emptyReloadSummary();
  }
  async restart(config?: CircusConfig) {
    this.calls.push(["restart", config ?? null]);
    await this.stopAll();
    await this.startAll();
  }
  numprocesses() {
    return this.ws.reduce((n, w) => n + w.procs.length, 0);
  }
  globalOptions(): GlobalOptions {
    return globalOptionsOf(this.config.circus);
  }
}

/** A command context around any arbiter, as the control server builds it (quits are counted). */
export function contextFor(
  arbiter: ControlledArbiter,
  extra: Partial<CommandContext> = {},
): CommandContext & { quits: number } {
  const ctx = {
    arbiter,
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

/** The context for a fake arbiter. */
export const fakeContext = contextFor;
