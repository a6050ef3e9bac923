// The eleven watcher hooks (§6): a JS/TS module function or a shell command, judged by Python
// truthiness, with Circus's ignore-errors rules and hook_success / hook_failure events.

import { DEFAULT_IGNORED_HOOKS } from "../config/options/hook.ts";
import type { HookConfig, HookName } from "../config/types.ts";
import { deadline } from "../util/async.ts";
import { getLogger } from "../util/log.ts";
import { trackChild } from "./children.ts";
import { HookTimeoutError } from "./errors.ts";

const log = getLogger("circus.hooks");

/** What a module hook function receives (Circus's keyword arguments, camel-cased). */
export interface HookArguments {
  watcher: unknown;
  arbiter: unknown;
  hookName: HookName;
  pid?: number;
  signum?: number;
  time?: number;
  exitCode?: number | null;
  processStatus?: number | null;
  stats?: Record<string, unknown>;
}

/** The per-call part of a hook's arguments; the watcher adds itself and the arbiter. */
export type HookCallArguments = Partial<Omit<HookArguments, "hookName" | "watcher" | "arbiter">>;

export type HookFunction = (args: HookArguments) => unknown;

/** Everything a HookRunner needs from its watcher, kept as callbacks so hooks know no watcher internals. */
export interface HookEnvironment {
  watcherName: string;
  /** The daemon's control endpoint, given to command hooks as CIRCUS_ENDPOINT. */
  endpoint: string;
  timeoutMs: number;
  /** Emit `hook_success` / `hook_failure` on the watcher's topic. */
  emit(event: "hook_success" | "hook_failure", payload: Record<string, unknown>): void;
}

/** Python truthiness: None/False/0/""/empty containers are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.keys(value as object).length > 0;
  }
  return true;
}

export class HookRunner {
  constructor(
    private readonly hooks: () => Partial<Record<HookName, HookConfig>>,
    private readonly env: HookEnvironment,
  ) {}

  has(name: HookName): boolean {
    return this.hooks()[name] !== undefined;
  }

  /** Why the watcher cannot start: a Python hook from the config file, not ported yet (null when none). */
  unavailable(): string | null {
    for (const hook of Object.values(this.hooks())) if (hook?.target.kind === "python") return hook.target.reason;
    return null;
  }

  /**
   * Run hook `name` if configured (absent → true). An exception or timeout emits hook_failure and yields
   * true only when the hook is in the ignore set; otherwise hook_success and the result's truthiness.
   */
  async run(name: HookName, args: Omit<HookArguments, "hookName">): Promise<boolean> {
    const config = this.hooks()[name];
    if (config === undefined) return true;
    try {
      const result = await this.invoke(name, config, args);
      this.env.emit("hook_success", { name, time: Date.now() / 1000 });
      return truthy(result);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log.error(`hook ${name} of watcher ${this.env.watcherName} failed: ${error}`);
      this.env.emit("hook_failure", { name, time: Date.now() / 1000, error });
      return config.ignoreErrors || DEFAULT_IGNORED_HOOKS.has(name);
    }
  }

  /** extended_stats is not wrapped in Circus: exceptions propagate and no hook events are sent. */
  async runUnwrapped(name: HookName, args: Omit<HookArguments, "hookName">): Promise<unknown> {
    const config = this.hooks()[name];
    if (config === undefined) return undefined;
    return this.invoke(name, config, args);
  }

  private invoke(name: HookName, config: HookConfig, args: Omit<HookArguments, "hookName">): Promise<unknown> {
    const target = config.target;
    if (target.kind === "python") return Promise.reject(new Error(target.reason));
    const work =
      target.kind === "module"
        ? callModuleHook(target.module, target.exportName, { ...args, hookName: name })
        : runCommandHook(target.command, name, args, this.env);
    const ms = this.env.timeoutMs;
    return deadline(work, ms, () => new HookTimeoutError(name, ms));
  }
}

async function callModuleHook(module: string, exportName: string, args: HookArguments): Promise<unknown> {
  // Imported at call time (cached by the runtime): works from the compiled binary for files on disk.
  const mod = (await import(module)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new Error(`${module} has no function export '${exportName}'`);
  return await (fn as HookFunction)(args);
}

async function runCommandHook(
  command: string,
  name: HookName,
  args: Omit<HookArguments, "hookName">,
  env: HookEnvironment,
): Promise<boolean> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  Object.assign(childEnv, {
    CIRCUS_WATCHER: env.watcherName,
    CIRCUS_HOOK: name,
    CIRCUS_PID: args.pid === undefined ? "" : String(args.pid),
    CIRCUS_SIGNUM: args.signum === undefined ? "" : String(args.signum),
    CIRCUS_ENDPOINT: env.endpoint,
  });
  const child = Bun.spawn({
    cmd: ["/bin/sh", "-c", command],
    env: childEnv,
    stdio: ["ignore", "inherit", "inherit"],
    // A timed-out hook must not linger after it is judged failed.
    timeout: env.timeoutMs,
    killSignal: "SIGKILL",
  });
  trackChild(child.pid, child.exited);
  return (await child.exited) === 0;
}
