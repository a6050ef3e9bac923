// `circus plugin` (also `circus-plugin`): run one plugin against a daemon, as Circus's circus-plugin
// does (§8.5). The daemon runs this for every [plugin:NAME] section, with the options in
// CIRCUS_PLUGIN_OPTIONS (JSON, so values with spaces survive); by hand, `--config k:v:::k2:v2` works too.

import { cac } from "cac";
import { decodeOptions, PLUGIN_OPTIONS_ENV } from "../plugins/handoff.ts";
import { BUILTINS } from "../plugins/registry.ts";
import { getLogger, parseLogLevel, setLogLevel, setLogSink } from "../log.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT } from "../protocol/client.ts";
import { VERSION } from "../version.ts";

interface PluginFlags {
  endpoint: string;
  pubsub: string;
  config?: string;
  checkDelay: string | number;
  logLevel: string;
  logOutput: string;
  ssh?: string;
  ssh_keyfile?: string;
  fd?: string | number;
  help?: boolean;
  version?: boolean;
}

function buildParser() {
  const cli = cac("circus-plugin");
  cli
    .usage(
      "[options] <plugin>\n\n  <plugin> is a built-in or a module of yours (./plugins/mine.ts:MyPlugin):\n" +
        BUILTINS.map((b) => `    ${[...b.circus.slice(0, 1), b.name].join("  or  ")}`).join("\n"),
    )
    .option("--endpoint <endpoint>", "the daemon's control endpoint", { default: DEFAULT_ENDPOINT })
    .option("--pubsub <endpoint>", "the daemon's pub/sub endpoint", { default: DEFAULT_PUBSUB_ENDPOINT })
    .option("--config <cfg>", "plugin options as key:value:::key2:value2 (Circus's format)")
    .option("--check-delay <seconds>", "the daemon's check_delay", { default: 5 })
    .option("--log-level <level>", "critical, error, warning, info or debug", { default: "info" })
    .option("--log-output <out>", "'-' for stdout, a file, or syslog://…", { default: "-" })
    .option("--ssh <server>", "reach the daemon through an ssh tunnel (user@host[:port])")
    .option("--ssh_keyfile <path>", "key for the ssh tunnel")
    .option("--fd <fd>", "a listening socket inherited from the daemon (Prometheus, WatchDog)")
    .help()
    .version(VERSION);
  return cli;
}

function fail(message: string, code: number): number {
  process.stderr.write(`circus-plugin: ${message}\n`);
  return code;
}

/** Run the plugin until a signal; resolves with the exit code. */
export async function runPluginCli(argv: string[]): Promise<number> {
  const cli = buildParser();
  let parsed: { args: readonly string[]; options: PluginFlags };
  try {
    parsed = cli.parse(["", "", ...argv], { run: false }) as typeof parsed;
  } catch (error) {
    return fail((error as Error).message, 2);
  }
  const flags = parsed.options;
  if (flags.help || flags.version) return 0;
  const use = parsed.args[0];
  if (use === undefined) {
    cli.outputHelp();
    return 0;
  }
  const level = parseLogLevel(String(flags.logLevel));
  if (!level) return fail(`unknown log level "${flags.logLevel}"; use critical, error, warning, info or debug`, 2);
  const checkDelay = Number(flags.checkDelay);
  if (!Number.isFinite(checkDelay)) return fail(`--check-delay "${flags.checkDelay}" is not a number`, 2);
  let listenFd: number | null = null;
  if (flags.fd !== undefined) {
    listenFd = Number(flags.fd);
    if (!Number.isInteger(listenFd) || listenFd < 0) return fail(`--fd "${flags.fd}" is not a file descriptor`, 2);
  }

  const { parseConfigText } = await import("../plugins/options.ts");
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

  setLogLevel(level);
  const { openLogOutput } = await import("../streams/logoutput.ts");
  let output: Awaited<ReturnType<typeof openLogOutput>>;
  try {
    output = await openLogOutput(String(flags.logOutput));
  } catch (error) {
    return fail(`--log-output: ${(error as Error).message}`, 2);
  }
  setLogSink(output);
  const log = getLogger(`circus.plugins.${cls.pluginName}`);

  const tunnels: { close(): void }[] = [];
  let endpoint = String(flags.endpoint);
  let pubsub = String(flags.pubsub);
  log.info("Loading the plugin...");
  log.info(`Endpoint: ${endpoint}`);
  log.info(`Pub/sub: ${pubsub}`);
  if (flags.ssh) {
    const { openSshTunnel } = await import("./ctl/ssh.ts");
    try {
      const control = await openSshTunnel(flags.ssh, endpoint, flags.ssh_keyfile);
      tunnels.push(control);
      const events = await openSshTunnel(flags.ssh, pubsub, flags.ssh_keyfile);
      tunnels.push(events);
      endpoint = control.endpoint;
      pubsub = events.endpoint;
    } catch (error) {
      for (const t of tunnels) t.close();
      await output.close();
      return fail((error as Error).message, 1);
    }
  }

  const { runPlugin, PluginOptionsError } = await import("../plugins/runner.ts");
  const signals = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"] as const;
  let onSignal!: (signal: string) => void;
  const stopSignal = new Promise<void>((resolve) => {
    onSignal = (signal) => {
      log.info(`got ${signal}`);
      resolve();
    };
  });
  for (const s of signals) process.on(s, onSignal);
  let status: number;
  try {
    status = await runPlugin(cls, {
      endpoint,
      pubsubEndpoint: pubsub,
      checkDelay,
      config,
      logger: log,
      listenFd,
      stopSignal,
      warnUnknown: builtin,
    });
  } catch (error) {
    if (!(error instanceof PluginOptionsError)) throw error;
    log.error(`bad options: ${error.message}`);
    status = 2;
  }
  for (const s of signals) process.off(s, onSignal);
  for (const t of tunnels) t.close();
  await output.close();
  return status;
}
