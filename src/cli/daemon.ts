// `circus daemon` (also `circusd`): load a config, bind its sockets, start its watchers, serve the
// control channel, and stop everything cleanly on quit or a signal.

import { cac } from "cac";
import { openSync } from "node:fs";
import { resolve } from "node:path";
import type { Arbiter } from "../arbiter/arbiter.ts";
import type { CircusConfig } from "../config/types.ts";
import { getLogger, parseLogLevel, setLogLevel, setLogSink } from "../log.ts";
import { VERSION } from "../version.ts";
import { claimPidfile, PidfileError, releasePidfile } from "./pidfile.ts";
import { selfCommand } from "../os/launcher.ts";

const log = getLogger("circus");

interface DaemonFlags {
  daemon?: boolean;
  pidfile?: string;
  logLevel?: string;
  logOutput?: string;
  loggerConfig?: string;
}

function buildParser() {
  const cli = cac("circusd");
  cli
    .usage("[options] <config>")
    .option("--daemon", "detach from the terminal and run in the background")
    .option("--pidfile <file>", "write the daemon's pid to this file (overrides [circus] pidfile)")
    .option("--log-level <level>", "critical, error, warning, info or debug (overrides [circus] loglevel)")
    .option("--log-output <out>", "'-' for stdout, or a file (overrides [circus] logoutput)")
    .option("--logger-config <file>", "logging configuration file (overrides level and output)")
    .help()
    .version(VERSION);
  return cli;
}

/** Run the daemon; resolves with the process exit code once it has stopped. */
export async function runDaemon(argv: string[]): Promise<number> {
  const cli = buildParser();
  let parsed;
  try {
    parsed = cli.parse(["", "", ...argv], { run: false });
  } catch (error) {
    process.stderr.write(`circusd: ${(error as Error).message}\n`);
    return 2;
  }
  const flags = parsed.options as DaemonFlags & { help?: boolean; version?: boolean };
  if (flags.help || flags.version) return 0;
  const configPath = parsed.args[0];
  if (configPath === undefined) {
    cli.outputHelp();
    return 0;
  }
  if (parsed.args.length > 1) {
    process.stderr.write(`circusd: expected one config file, got ${parsed.args.length}: ${parsed.args.join(" ")}\n`);
    return 2;
  }
  if (flags.daemon && !process.env.CIRCUS_DETACHED) return detach(argv);

  let config: CircusConfig;
  try {
    const { loadConfig } = await import("../config/load.ts");
    config = await loadConfig(resolve(configPath));
  } catch (error) {
    process.stderr.write(`circusd: cannot start, the config has problems:\n${(error as Error).message}\n`);
    return 1;
  }
  const logProblem = configureLogging(flags, config);
  if (logProblem) {
    process.stderr.write(`circusd: ${logProblem}\n`);
    return 2;
  }
  return serve(config, flags);
}

/** Re-run ourselves in a new session with no terminal, then let the caller's shell go. */
function detach(argv: string[]): number {
  const child = Bun.spawn([...selfCommand(), "daemon", ...argv.filter((a) => a !== "--daemon")], {
    env: { ...process.env, CIRCUS_DETACHED: "1" },
    stdio: ["ignore", "ignore", "ignore"],
    detached: true,
  });
  child.unref();
  return 0;
}

function configureLogging(flags: DaemonFlags, config: CircusConfig): string | null {
  if (flags.loggerConfig ?? config.circus.loggerconfig) {
    return "--logger-config / loggerconfig is not supported yet; use --log-level and --log-output";
  }
  const levelText = flags.logLevel ?? config.circus.loglevel;
  const level = parseLogLevel(levelText);
  if (!level) return `unknown log level "${levelText}"; use critical, error, warning, info or debug`;
  setLogLevel(level);
  const output = flags.logOutput ?? config.circus.logoutput;
  if (output.startsWith("syslog://")) {
    return `log output "${output}": syslog comes in a later release; use "-" or a file`;
  }
  if (output !== "-" && output !== "stdout") {
    const fd = openSync(resolve(output), "a", 0o644);
    const writer = Bun.file(fd).writer();
    setLogSink((line) => {
      writer.write(line + "\n");
      writer.flush();
    });
  } else {
    const writer = Bun.stdout.writer();
    setLogSink((line) => {
      writer.write(line + "\n");
      writer.flush();
    });
  }
  return null;
}

async function serve(config: CircusConfig, flags: DaemonFlags): Promise<number> {
  const { Arbiter } = await import("../arbiter/arbiter.ts");
  const { startControlServer } = await import("../protocol/server.ts");
  const { raiseNofileToHard } = await import("../os/rlimit.ts");
  const { umask } = await import("../os/process.ts");

  if (config.circus.umask !== null) umask(config.circus.umask);
  try {
    raiseNofileToHard();
  } catch (error) {
    log.warning(`could not raise the open-files limit: ${(error as Error).message}`);
  }

  const pidfile = flags.pidfile ?? config.circus.pidfile;
  if (pidfile) {
    try {
      claimPidfile(resolve(pidfile));
    } catch (error) {
      if (error instanceof PidfileError) {
        process.stderr.write(`circusd: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }

  let arbiter: Arbiter;
  let server: Awaited<ReturnType<typeof startControlServer>>;
  let stopping: Promise<void> | null = null;
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));

  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info("stopping all watchers");
      await arbiter.close();
      await server.close();
      if (pidfile) releasePidfile(resolve(pidfile));
      log.info("arbiter stopped");
      finished();
    })();
    return stopping;
  };

  const { withInternalWatchers } = await import("../arbiter/internal-watchers.ts");
  const { loadConfig } = await import("../config/load.ts");
  // Internal watchers (circusd-stats) are part of every config the arbiter sees, reloads included.
  const reload = async () => withInternalWatchers(await loadConfig(config.file));
  try {
    arbiter = await Arbiter.create(withInternalWatchers(config));
    server = await startControlServer(arbiter, config.circus, { onQuit: () => shutdown(), loadConfig: reload });
  } catch (error) {
    process.stderr.write(`circusd: cannot start: ${(error as Error).message}\n`);
    if (pidfile) releasePidfile(resolve(pidfile));
    return 1;
  }
  log.info(`starting circus ${VERSION} (pid ${process.pid}), control at ${server.endpoint}, events at ${server.pubsubEndpoint}`);

  installSignalHandlers(arbiter, shutdown);
  await arbiter.start();
  await done;
  return 0;
}

function installSignalHandlers(arbiter: Arbiter, shutdown: () => Promise<void>): void {
  let interrupts = 0;
  const quit = (signal: string) => {
    log.info(`got ${signal}, quitting`);
    void shutdown();
  };
  process.on("SIGTERM", () => quit("SIGTERM"));
  process.on("SIGQUIT", () => quit("SIGQUIT"));
  process.on("SIGINT", () => {
    interrupts += 1;
    if (interrupts === 1) return quit("SIGINT");
    // A second Ctrl-C means "now": kill every worker's process group and leave.
    log.warning("second SIGINT: killing all workers now");
    arbiter.killAll();
    process.exit(1);
  });
  process.on("SIGHUP", () => {
    log.info("got SIGHUP, reloading all watchers gracefully");
    void arbiter.reload({ graceful: true, sequential: false }).catch((error: Error) => log.error(`reload failed: ${error.message}`));
  });
  process.on("SIGWINCH", () => {});
}
