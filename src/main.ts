// The one entrypoint of the `circus` binary. The name it was invoked as (a busybox-style symlink such
// as `circusd` or `circusctl`) selects the tool; otherwise the first argument does (`circus ctl …`).

import { didYouMean } from "./config/suggest.ts";
import { basename } from "./util/path.ts";
import { VERSION } from "./version.ts";

type ToolRunner = (argv: string[]) => Promise<number> | number;

interface Subcommand {
  summary: string;
  load: () => Promise<ToolRunner>;
}

/** Subcommand → loader. Modules load lazily so `circus ctl list` never pays for the daemon's code. */
const SUBCOMMANDS: ReadonlyMap<string, Subcommand> = new Map([
  [
    "daemon",
    {
      summary: "run the arbiter on a config file (as circusd)",
      load: async () => (await import("./cli/daemon.ts")).runDaemon,
    },
  ],
  [
    "ctl",
    {
      summary: "drive a running daemon (as circusctl)",
      load: async () => (await import("./cli/ctl.ts")).runCtl,
    },
  ],
  [
    "top",
    {
      summary: "live view of CPU and memory per watcher (as circus-top)",
      load: async () => (await import("./cli/top.ts")).runTop,
    },
  ],
  [
    "stats",
    {
      summary: "publish process statistics (as circusd-stats)",
      load: async () => (await import("./cli/stats.ts")).runStats,
    },
  ],
  [
    "keygen",
    {
      summary: "write a CURVE key pair: NAME.key and NAME.key_secret",
      load: async () => (await import("./cli/keygen.ts")).runKeygen,
    },
  ],
  [
    "plugin",
    {
      summary: "run a plugin against a daemon (as circus-plugin)",
      load: async () => (await import("./cli/plugin.ts")).runPluginCli,
    },
  ],
  [
    "web",
    {
      summary: "web console (as circushttpd)",
      load: async () => (await import("./cli/web.ts")).runWeb,
    },
  ],
]);

/** Symlink names of the original Circus tools → the subcommand they run. */
const TOOL_NAMES: ReadonlyMap<string, string> = new Map([
  ["circusd", "daemon"],
  ["circusctl", "ctl"],
  ["circus-top", "top"],
  ["circusd-stats", "stats"],
  ["circus-plugin", "plugin"],
  ["circushttpd", "web"],
]);

function usage(): string {
  const lines = [...SUBCOMMANDS].map(([name, s]) => `  ${name.padEnd(8)} ${s.summary}`);
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
  const tool = TOOL_NAMES.get(basename(invokedAs));
  if (tool !== undefined) return run(SUBCOMMANDS.get(tool)!, args);

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
  const subcommand = SUBCOMMANDS.get(first);
  if (subcommand === undefined) {
    const hint = didYouMean(first, SUBCOMMANDS.keys(), { prefixes: true });
    process.stderr.write(`circus: unknown command "${first}"${hint ? `; ${hint}` : ""}\n\n${usage()}\n`);
    return 2;
  }
  return run(subcommand, rest);
}

async function run(subcommand: Subcommand, argv: string[]): Promise<number> {
  const runner = await subcommand.load();
  try {
    return await runner(argv);
  } catch (error) {
    // The last net under every tool: a failure no layer turned into a message is still one line.
    process.stderr.write(`circus: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exit(await main(process.argv0, process.argv.slice(2)));
}
