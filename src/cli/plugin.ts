// `circus plugin` (also `circus-plugin`): run one plugin against a daemon, as Circus's circus-plugin
// does (§8.5). The daemon runs this for every [plugin:NAME] section, with the options in
// CIRCUS_PLUGIN_OPTIONS (JSON, so values with spaces survive); by hand, `--config k:v:::k2:v2` works too.

import { decodeOptions, PLUGIN_OPTIONS_ENV, parseConfigText } from "../config/plugin-handoff.ts";
import { BUILTINS } from "../plugins/registry.ts";
import { getLogger } from "../util/log.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT } from "../protocol/client.ts";
import { VERSION } from "../version.ts";
import { interruptOn } from "./shared/interrupt.ts";
import type { SshTunnel } from "./shared/ssh.ts";
import { CURVE_FLAGS, curveFromFlags } from "./shared/curve.ts";
import { startToolLogging, ToolLoggingError, type ToolLogOutput, toolLogLevel } from "./shared/tool-logging.ts";

// A plugin process runs as long as the daemon, once per plugin: its flags are parsed here rather than
// with cac, whose node:events costs ~5 MB RSS in each of them (see BENCHMARKS.md, Plugins).
const FLAGS = {
  endpoint: { arg: "endpoint", help: "the daemon's control endpoint", default: DEFAULT_ENDPOINT },
  pubsub: { arg: "endpoint", help: "the daemon's pub/sub endpoint", default: DEFAULT_PUBSUB_ENDPOINT },
  config: { arg: "cfg", help: "plugin options as key:value:::key2:value2 (Circus's format)", default: null },
  "check-delay": { arg: "seconds", help: "the daemon's check_delay", default: "5" },
  "log-level": { arg: "level", help: "critical, error, warning, info or debug", default: "info" },
  "log-output": { arg: "out", help: "'-' for stdout, a file, or syslog://…", default: "-" },
  ssh: { arg: "server", help: "reach the daemon through an ssh tunnel (user@host[:port])", default: null },
  ssh_keyfile: { arg: "path", help: "key for the ssh tunnel", default: null },
  fd: { arg: "fd", help: "a listening socket inherited from the daemon (Prometheus, WatchDog)", default: null },
  "curve-server-key": { ...CURVE_FLAGS["curve-server-key"], default: null },
  "curve-key": { ...CURVE_FLAGS["curve-key"], default: null },
} as const;
type Flag = keyof typeof FLAGS;

/** Parsed command line: flag values (defaults filled in), the plugin, or help/version. */
interface CommandLine {
  flags: Record<Flag, string | null>;
  plugin: string | null;
  help: boolean;
  version: boolean;
}

class UsageError extends Error {}

/** `--flag value`, `--flag=value`, `-h`/`--help`, `-v`/`--version` and one positional (the plugin). */
export function parseCommandLine(argv: string[]): CommandLine {
  const flags = Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, f.default])) as Record<
    Flag,
    string | null
  >;
  const out: CommandLine = { flags, plugin: null, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "-h" || word === "--help") out.help = true;
    else if (word === "-v" || word === "--version") out.version = true;
    else if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = word.slice(2, eq < 0 ? undefined : eq);
      if (!Object.hasOwn(FLAGS, name)) throw new UsageError(`unknown option --${name}; see circus plugin --help`);
      const value = eq < 0 ? argv[++i] : word.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value: --${name} <${FLAGS[name as Flag].arg}>`);
      flags[name as Flag] = value;
    } else if (out.plugin === null) out.plugin = word;
    else throw new UsageError(`one plugin at a time: got ${JSON.stringify(out.plugin)} and ${JSON.stringify(word)}`);
  }
  return out;
}

function usage(): string {
  const rows = Object.entries(FLAGS).map(([name, f]) => {
    const left = `  --${name} <${f.arg}>`.padEnd(28);
    return `${left}${f.help}${f.default !== null ? ` (default: ${f.default})` : ""}`;
  });
  return [
    `circus-plugin ${VERSION}`,
    "",
    "Usage: circus plugin [options] <plugin>",
    "",
    "  <plugin> is a built-in or a module of yours (./plugins/mine.ts:MyPlugin):",
    ...BUILTINS.map((b) => `    ${[...b.circus.slice(0, 1), b.name].join("  or  ")}`),
    "",
    "Options:",
    ...rows,
    "  -h, --help                display this message",
    "  -v, --version             display the version",
    "",
  ].join("\n");
}

// process.stdout/stderr only on paths that exit right away: they load node's stream layer.
function fail(message: string, code: number): number {
  process.stderr.write(`circus-plugin: ${message}\n`);
  return code;
}

/** Run the plugin until a signal; resolves with the exit code. */
export async function runPluginCli(argv: string[]): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, 2);
    throw error;
  }
  if (line.version) {
    process.stdout.write(`circus-plugin ${VERSION}\n`);
    return 0;
  }
  const use = line.plugin;
  if (line.help || use === null) {
    process.stdout.write(usage());
    return 0;
  }
  const flags = {
    endpoint: line.flags.endpoint!,
    pubsub: line.flags.pubsub!,
    config: line.flags.config ?? undefined,
    checkDelay: line.flags["check-delay"]!,
    logLevel: line.flags["log-level"]!,
    logOutput: line.flags["log-output"]!,
    ssh: line.flags.ssh ?? undefined,
    ssh_keyfile: line.flags.ssh_keyfile ?? undefined,
    fd: line.flags.fd ?? undefined,
    curveServerKey: line.flags["curve-server-key"],
    curveKey: line.flags["curve-key"],
  };
  try {
    toolLogLevel(flags.logLevel); // checked before the plugin loads; applied with the output below
  } catch (error) {
    if (error instanceof ToolLoggingError) return fail(error.message, 2);
    throw error;
  }
  const checkDelay = Number(flags.checkDelay);
  if (!Number.isFinite(checkDelay)) return fail(`--check-delay "${flags.checkDelay}" is not a number`, 2);
  let listenFd: number | null = null;
  if (flags.fd !== undefined) {
    listenFd = Number(flags.fd);
    if (!Number.isInteger(listenFd) || listenFd < 0) return fail(`--fd "${flags.fd}" is not a file descriptor`, 2);
  }

  let curve: Awaited<ReturnType<typeof curveFromFlags>>;
  try {
    curve = await curveFromFlags(flags);
  } catch (error) {
    return fail((error as Error).message, 2);
  }

  let config: Record<string, string>;
  try {
    config = decodeOptions(process.env[PLUGIN_OPTIONS_ENV]);
    // Not for whatever the plugin runs in turn.
    delete process.env[PLUGIN_OPTIONS_ENV];
  } catch (error) {
    return fail((error as Error).message, 2);
  }
  // By hand, `--config` adds to (and wins over) what the daemon passed.
  if (flags.config !== undefined) Object.assign(config, parseConfigText(String(flags.config)));

  const { loadPluginClass, PluginLoadError, resolveUse } = await import("../plugins/registry.ts");
  let cls: Awaited<ReturnType<typeof loadPluginClass>>;
  let builtin: boolean;
  try {
    const target = resolveUse(use, process.cwd());
    builtin = target.kind === "builtin";
    cls = await loadPluginClass(target);
  } catch (error) {
    if (error instanceof PluginLoadError) return fail(error.message, 2);
    throw error;
  }

  let output: ToolLogOutput;
  try {
    output = await startToolLogging(flags.logLevel, flags.logOutput);
  } catch (error) {
    if (error instanceof ToolLoggingError) return fail(error.message, 2);
    throw error;
  }
  const log = getLogger(`circus.plugins.${cls.pluginName}`);

  let tunnels: SshTunnel[] = [];
  let endpoint = String(flags.endpoint);
  let pubsub = String(flags.pubsub);
  log.info("Loading the plugin...");
  log.info(`Endpoint: ${endpoint}`);
  log.info(`Pub/sub: ${pubsub}`);
  if (flags.ssh) {
    const { openSshTunnels } = await import("./shared/ssh.ts");
    try {
      tunnels = await openSshTunnels(flags.ssh, [endpoint, pubsub], flags.ssh_keyfile);
    } catch (error) {
      await output.close();
      return fail((error as Error).message, 1);
    }
    [endpoint, pubsub] = tunnels.map((t) => t.endpoint) as [string, string];
  }

  const { runPlugin, PluginOptionsError } = await import("../plugins/runner.ts");
  const interrupt = interruptOn(["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"], (signal) => log.info(`got ${signal}`));
  let status: number;
  try {
    status = await runPlugin(cls, {
      endpoint,
      pubsubEndpoint: pubsub,
      checkDelay,
      config,
      logger: log,
      listenFd,
      stop: interrupt.signal,
      warnUnknown: builtin,
      curve,
    });
  } catch (error) {
    if (!(error instanceof PluginOptionsError)) throw error;
    log.error(`bad options: ${error.message}`);
    status = 2;
  }
  interrupt.off();
  for (const t of tunnels) t.close();
  await output.close();
  return status;
}
