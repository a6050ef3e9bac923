// `circus daemon` (also `circusd`): load a config, bind its sockets, start its watchers, serve the
// control channel, and stop everything cleanly on quit or a signal.

import { cac } from "cac";
import { deferred } from "../util/async.ts";
import { dirname, resolve } from "../util/path.ts";
import type { Arbiter, ArbiterOptions } from "../arbiter/arbiter.ts";
import type { CircusConfig } from "../config/types.ts";
import { getLogger, parseLogLevel, setLogLevel, setLogSink } from "../util/log.ts";
import type { LogOutput } from "../streams/logoutput.ts";
import { VERSION } from "../version.ts";
import { claimPidfile, PidfileError, releasePidfile, workerJournalPath } from "./pidfile.ts";
import { selfCommand } from "../os/launcher.ts";
import { keepDashValues } from "./shared/dash-values.ts";

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
    .option(
      "--log-output <out>",
      "'-' for stdout, a file, syslog://host[:port][?facility] or syslog:///dev/log[?facility] (overrides [circus] logoutput)",
    )
    .option("--logger-config <file>", "JSON logging configuration {level, output, format} (overrides level and output)")
    .help()
    .version(VERSION);
  return cli;
}

/** Run the daemon; resolves with the process exit code once it has stopped. */
export async function runDaemon(argv: string[]): Promise<number> {
  const cli = buildParser();
  let parsed: ReturnType<typeof cli.parse>;
  try {
    parsed = cli.parse(["", "", ...keepDashValues(argv, ["--log-output"])], { run: false });
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
  const logging = await configureLogging(flags, config);
  if ("problem" in logging) {
    process.stderr.write(`circusd: ${logging.problem}\n`);
    return 2;
  }
  try {
    return await serve(config, flags, logging);
  } finally {
    await logging.output.close();
  }
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

interface Logging {
  output: LogOutput;
  /** The log file (reopened on SIGUSR1), null for stdout and syslog. */
  file: string | null;
}

/** Level and output from --logger-config / loggerconfig (JSON), else --log-level / --log-output, else [circus]. */
async function configureLogging(flags: DaemonFlags, config: CircusConfig): Promise<Logging | { problem: string }> {
  const { loadLoggerConfig, openLogOutput } = await import("../streams/logoutput.ts");
  let levelText = flags.logLevel ?? config.circus.loglevel;
  let spec = flags.logOutput ?? config.circus.logoutput;
  let format: string | null = null;
  // `default` is Circus's name for its built-in configuration: the same as none.
  const fromFile = config.circus.loggerconfig;
  const loggerConfig =
    flags.loggerConfig ?? (fromFile && fromFile !== "default" ? resolve(dirname(config.file), fromFile) : fromFile);
  try {
    if (loggerConfig && loggerConfig !== "default") {
      const lc = await loadLoggerConfig(resolve(loggerConfig));
      levelText = lc.level ?? levelText;
      spec = lc.output ?? spec;
      format = lc.format;
    }
    const level = parseLogLevel(levelText);
    if (!level) return { problem: `unknown log level "${levelText}"; use critical, error, warning, info or debug` };
    const output = await openLogOutput(spec, { format: format ?? undefined });
    setLogLevel(level);
    setLogSink(output);
    const isFile = !/^(-|stdout|stderr|)$/.test(spec.trim()) && !spec.startsWith("syslog://");
    return { output, file: isFile ? resolve(spec.trim()) : null };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

async function serve(config: CircusConfig, flags: DaemonFlags, logging: Logging): Promise<number> {
  const { Arbiter } = await import("../arbiter/arbiter.ts");
  const { WatcherOutput, reopenAllStreams, openStreamPaths } = await import("../streams/index.ts");
  const { startControlServer } = await import("../protocol/server.ts");
  const { getRlimit, raiseNofileToHard } = await import("../os/rlimit.ts");
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

  const journal = await takeOverJournal(config, pidfile ? resolve(pidfile) : null);

  // Assigned before any closure below can run (they run only once the daemon is up).
  let arbiter!: Arbiter;
  let server: Awaited<ReturnType<typeof startControlServer>>;
  let stopping: Promise<void> | null = null;
  const done = deferred();

  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info("stopping all watchers");
      // From here on nothing may start workers that the exit would leave behind.
      server.beginShutdown();
      await arbiter.close();
      await server.close();
      journal?.close();
      if (pidfile) releasePidfile(resolve(pidfile));
      log.info("arbiter stopped");
      done.resolve();
    })();
    return stopping;
  };

  const { withInternalWatchers } = await import("../arbiter/internal-watchers.ts");
  const { loadConfig } = await import("../config/load.ts");
  // Internal watchers (circusd-stats) are part of every config the arbiter sees, reloads included.
  const reload = async () => withInternalWatchers(await loadConfig(config.file));
  // Every watcher's stdout/stderr go through its streams and tail buffer; relative filenames are
  // resolved against the config file's directory.
  const configDir = dirname(config.file);
  const openOutput: ArbiterOptions["openOutput"] = (cfg, previous) =>
    WatcherOutput.open(cfg, {
      configDir,
      tailLines: (arbiter?.config ?? config).circus.tail_lines,
      tail: previous instanceof WatcherOutput ? previous.tail : undefined,
    });
  const reopen = async (): Promise<string[]> => {
    logging.output.reopen();
    await reopenAllStreams();
    await arbiter.reopenOutputs();
    return [...(logging.file ? [logging.file] : []), ...openStreamPaths()];
  };
  try {
    arbiter = await Arbiter.create(withInternalWatchers(config), { openOutput, journal: journal ?? undefined });
    server = await startControlServer(arbiter, config.circus, {
      onQuit: () => shutdown(),
      loadConfig: reload,
      onReopen: reopen,
    });
  } catch (error) {
    process.stderr.write(`circusd: cannot start: ${(error as Error).message}\n`);
    // Sockets already bound (unix socket files included) must not outlive a failed start.
    if (arbiter) {
      await arbiter.close().catch((err: Error) => log.error(`closing after the failed start: ${err.message}`));
    }
    journal?.close();
    if (pidfile) releasePidfile(resolve(pidfile));
    return 1;
  }
  log.info(
    `starting circus ${VERSION} (pid ${process.pid}), control at ${server.endpoint}, events at ${server.pubsubEndpoint}`,
  );
  warnIfWorkersOutgrowFdLimit(arbiter, getRlimit);

  installSignalHandlers(arbiter, shutdown, () => stopping !== null);
  await ignoreStraySignals();
  // A failure nobody awaited must not kill the daemon and strand its workers: log it and go on.
  process.on("unhandledRejection", (reason) =>
    log.error(`unexpected error: ${(reason as Error)?.stack ?? String(reason)}`),
  );
  process.on("SIGUSR1", () => {
    log.info("got SIGUSR1, reopening log files");
    void reopen().catch((error: Error) => log.error(`reopen failed: ${error.message}`));
  });
  await arbiter.start();
  await done.promise;
  return 0;
}

/** Fds the daemon itself holds besides its workers' (sockets, logs, plugins): a margin for the check below. */
const DAEMON_FDS = 64;

/** Warn when every watcher at its numprocesses would need more fds than the hard limit allows. */
function warnIfWorkersOutgrowFdLimit(arbiter: Arbiter, getRlimit: (name: string) => { hard: number | null }): void {
  const hard = getRlimit("nofile").hard;
  const { workers, fds } = arbiter.fdsForWorkers();
  if (hard === null || fds + DAEMON_FDS <= hard) return;
  log.warning(
    `${workers} workers need about ${fds + DAEMON_FDS} open files in the daemon (a pidfd each, plus one per captured ` +
      `stdout/stderr), over the open-files hard limit of ${hard}: spawns past that fail with EMFILE and are retried ` +
      "while the others keep running; raise the limit (LimitNOFILE=, ulimit -Hn) or lower numprocesses",
  );
}

/**
 * Stop what a previous daemon on this config left running (it was killed, so its workers were never
 * stopped) — before anything of ours starts or binds — then start this daemon's own journal.
 */
async function takeOverJournal(config: CircusConfig, pidfile: string | null) {
  const { readJournal, stopLeftovers, WorkerJournal } = await import("../arbiter/worker-journal.ts");
  const { SIGTERM } = await import("../os/signals.ts");
  let path: string;
  try {
    path = workerJournalPath(pidfile, config.circus.endpoint);
    const byName = new Map(config.watchers.map((w) => [w.name.toLowerCase(), w]));
    await stopLeftovers(readJournal(path), {
      stopOf: (name) => {
        const w = byName.get(name.toLowerCase());
        return { signum: w?.stop_signal ?? SIGTERM, gracefulTimeoutMs: (w?.graceful_timeout ?? 30) * 1000 };
      },
    });
    return new WorkerJournal(path);
  } catch (error) {
    log.warning(
      `no worker journal (a restart after a crash will not find this daemon's workers): ${(error as Error).message}`,
    );
    return null;
  }
}

function installSignalHandlers(arbiter: Arbiter, shutdown: () => Promise<void>, isStopping: () => boolean): void {
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
    if (isStopping()) return log.info("got SIGHUP while stopping: ignored");
    log.info("got SIGHUP, reloading all watchers gracefully");
    void arbiter
      .reload({ graceful: true, sequential: false })
      .catch((error: Error) => log.error(`reload failed: ${error.message}`));
  });
  process.on("SIGUSR2", () => log.info("got SIGUSR2: ignored (it will start an upgrade once that exists)"));
}

/**
 * Signals a user or the system may send that mean nothing to the daemon: ignored, where their default
 * action would kill it and orphan every worker (SIGXCPU, the real-time signals…) or stop it (SIGTTIN/
 * SIGTTOU in the background) — unless the runtime handles one already (SIGPWR is JavaScriptCore's, and
 * harmless). Fault signals (SEGV, BUS, ILL, FPE, TRAP, ABRT, SYS), KILL, STOP and the job control of
 * SIGTSTP/SIGCONT keep their default.
 */
async function ignoreStraySignals(): Promise<void> {
  const { ignoreSignalIfUnhandled } = await import("../os/process.ts");
  const { signalNumber, MAX_SIGNAL } = await import("../os/signals.ts");
  const names = ["PIPE", "WINCH", "ALRM", "VTALRM", "PROF", "PWR", "XCPU", "XFSZ", "URG", "TTIN", "TTOU", "IO"];
  for (const name of [...names, "STKFLT"]) ignoreSignalIfUnhandled(signalNumber(name));
  for (let sig = signalNumber("RTMIN"); sig <= MAX_SIGNAL; sig++) ignoreSignalIfUnhandled(sig);
}
