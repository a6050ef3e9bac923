// CommandReloader (circus.plugins.command_reloader.CommandReloader): every `loop_rate` seconds look at
// the program each watcher runs; when the file changes (new mtime, or the path now resolves elsewhere,
// as after a symlink switch) restart that watcher. The first sighting only records.
// Circus resolved the whole `cmd` string, so only a bare path worked; here the program is cmd's first
// word (or `executable`), looked up in PATH when it has no slash.

import { isAbsolute, resolve } from "../../util/path.ts";
import { nodeFs } from "../../util/node.ts";
import { split } from "../../util/shlex.ts";
import { float } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option } from "../../config/options/spec.ts";
import { CircusPlugin, PERIOD } from "../plugin.ts";

export const COMMAND_RELOADER_OPTIONS = {
  loop_rate: option(float, { default: 1, range: PERIOD, doc: "seconds between two looks at the programs" }),
};

interface Seen {
  path: string;
  mtimeMs: number;
}

/** The program file a watcher runs, from its cmd / executable / working_dir options; null if not found. */
export function programPath(options: Record<string, unknown>, pathVar: string): string | null {
  const executable = typeof options.executable === "string" && options.executable ? options.executable : null;
  let program = executable;
  if (program === null) {
    try {
      program = split(String(options.cmd ?? ""))[0] ?? null;
    } catch {
      return null;
    }
  }
  if (!program) return null;
  if (!program.includes("/")) return Bun.which(program, { PATH: pathVar });
  if (isAbsolute(program)) return program;
  const cwd = typeof options.working_dir === "string" && options.working_dir ? options.working_dir : process.cwd();
  return resolve(cwd, program);
}

export class CommandReloader extends CircusPlugin<typeof COMMAND_RELOADER_OPTIONS> {
  static override pluginName = "command_reloader";
  static override options: PluginOptionTable = COMMAND_RELOADER_OPTIONS;
  private readonly seen = new Map<string, Seen>();

  override handleInit(): void {
    this.every(this.options.loop_rate, () => this.lookAfter());
  }

  private async lookAfter(): Promise<void> {
    const list = await this.call("list");
    const watchers = ((list.watchers ?? []) as string[]).filter((w) => !w.startsWith("plugin:"));
    for (const name of [...this.seen.keys()]) if (!watchers.includes(name)) this.seen.delete(name);
    for (const name of watchers) {
      const reply = await this.call("get", { name, keys: ["cmd", "executable", "working_dir"] });
      const options = (reply.options ?? {}) as Record<string, unknown>;
      const program = programPath(options, process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin");
      let current: Seen;
      try {
        if (program === null) throw new Error("not found");
        const path = nodeFs().realpathSync(program);
        current = { path, mtimeMs: nodeFs().statSync(path).mtimeMs };
      } catch {
        this.logger.debug(`${name}: its program ${program ?? String(options.cmd)} cannot be found; not watched`);
        this.seen.delete(name);
        continue;
      }
      const before = this.seen.get(name);
      this.seen.set(name, current);
      if (!before) this.logger.info(`${name}: watching ${current.path}`);
      if (before && (before.path !== current.path || before.mtimeMs !== current.mtimeMs)) {
        this.logger.info(`${current.path} modified. Restarting.`);
        await this.call("restart", { name });
      }
    }
  }
}
