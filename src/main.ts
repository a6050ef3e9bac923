// The one entrypoint of the `circus` binary. The name it was invoked as (a busybox-style symlink such
// as `circusd` or `circusctl`) selects the tool; otherwise the first argument does (`circus ctl …`).

// util/path, not node:path: each node:* import costs RSS in every run of the binary (see BENCHMARKS.md).
import { basename } from "./util/path.ts";
import { VERSION } from "./version.ts";

type ToolRunner = (argv: string[]) => Promise<number> | number;

/** Subcommand → loader. Modules load lazily so `circus ctl list` never pays for the daemon's code. */
const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<ToolRunner> }> = {
  daemon: {
    summary: "run the arbiter on a config file (as circusd)",
    load: async () => (await import("./cli/daemon.ts")).runDaemon,
  },
  ctl: {
    summary: "drive a running daemon (as circusctl)",
    load: async () => (await import("./cli/ctl.ts")).runCtl,
  },
  top: {
    summary: "live view of CPU and memory per watcher (as circus-top)",
    load: async () => (await import("./cli/top.ts")).runTop,
  },
  stats: {
    summary: "publish process statistics (as circusd-stats)",
    load: async () => (await import("./cli/stats.ts")).runStats,
  },
  plugin: {
    summary: "run a plugin against a daemon (as circus-plugin)",
    load: async () => (argv) => pendingTool("circus-plugin", "the plugin runner", argv),
  },
  web: {
    summary: "web console (as circushttpd)",
    load: async () => (await import("./cli/web.ts")).runWeb,
  },
};

/** Symlink names of the original Circus tools. */
const TOOL_NAMES: Record<string, string> = {
  circusd: "daemon",
  circusctl: "ctl",
  "circus-top": "top",
  "circusd-stats": "stats",
  "circus-plugin": "plugin",
  circushttpd: "web",
};

async function pendingTool(tool: string, feature: string, argv: string[]): Promise<number> {
  const { runPending } = await import("./cli/pending.ts");
  return runPending(tool, feature, argv);
}

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, s]) => `  ${name.padEnd(8)} ${s.summary}`);
  return [
    `circus ${VERSION} — process and socket manager`,
    "",
    "Usage: circus <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Also installed as circusd, circusctl, circus-top, circusd-stats, circus-plugin, circushttpd.",
    "Run `circus <command> --help` for the options of a command.",
  ].join("\n");
}

/** Pick the tool from the invoked name or the first argument; returns the exit code. */
export async function main(invokedAs: string, args: string[]): Promise<number> {
  const [first, ...rest] = args;
  // The exec launcher comes first: the daemon re-runs this binary under whatever name it was installed.
  if (first === "__exec") {
    const { runLauncher } = await import("./os/launcher.ts");
    return runLauncher(rest);
  }
  const tool = TOOL_NAMES[basename(invokedAs)];
  if (tool) return run(tool, args);

  if (first === "--version" || first === "-v") {
    process.stdout.write(`circus ${VERSION}\n`);
    return 0;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    process.stdout.write(usage() + "\n");
    return 0;
  }
  if (first === undefined) {
    process.stderr.write(usage() + "\n");
    return 2;
  }
  if (!(first in SUBCOMMANDS)) {
    process.stderr.write(`circus: unknown command "${first}"\n\n${usage()}\n`);
    return 2;
  }
  return run(first, rest);
}

async function run(tool: string, argv: string[]): Promise<number> {
  const runner = await SUBCOMMANDS[tool]!.load();
  return runner(argv);
}

if (import.meta.main) {
  process.exit(await main(process.argv0, process.argv.slice(2)));
}
