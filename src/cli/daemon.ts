// `circus daemon` (also `circusd`): load a config, bind its sockets, start its watchers, serve the
// control channel, and stop everything cleanly on quit or a signal.

import { cac } from "cac";
import { dirname, resolve } from "../util/path.ts";
import type { CircusConfig } from "../config/types.ts";
import { atLeast, getLogger, type LogLevel, parseLogLevel, setLogLevel, setLogSink } from "../util/log.ts";
import type { LogOutput } from "../streams/logoutput.ts";
import { circusVersionLine } from "../version.ts";
import type { RunningCircus } from "../daemon/start.ts";
import type { DaemonHandover } from "../daemon/upgrade.ts";
import { selfCommand } from "../os/launcher.ts";
import { guardReservedSignal, ignoreSignalIfUnhandled } from "../os/process.ts";
import { MAX_SIGNAL, signalNumber } from "../os/signals.ts";
import { StartupReport } from "./daemon/detach.ts";
import { parseFlags } from "./shared/flags.ts";

const log = getLogger("circus");

interface DaemonFlags {
  daemon?: boolean;
  pidfile?: string;
  logLevel?: string;
  logOutput?: string;
  loggerConfig?: string;
  printUnit?: boolean;
  insecure?: boolean;
  check?: boolean;
}

const USAGE =
  "usage: circusd [--daemon] [--pidfile FILE] [--log-level LEVEL] [--log-output OUT] [--logger-config FILE] [--insecure] [--print-unit] [--check] <config>";

function buildParser() {
  const cli = cac("circusd");
  cli
    .usage("[options] <config>")
    .option("--daemon", "run in the background; returns once the daemon answers (0), or says why it cannot start (1)")
    .option("--pidfile <file>", "write the daemon's pid to this file (overrides [circus] pidfile)")
    .option("--log-level <level>", "critical, error, warning, info or debug (overrides [circus] loglevel)")
    .option(
      "--log-output <out>",
      "'-' for stdout, a file, syslog://host[:port][?facility] or syslog:///dev/log[?facility] (overrides [circus] logoutput)",
    )
    .option(
      "--logger-config <file>",
      "logging configuration: Python logging.config YAML/INI/JSON, or JSON {level, output, format} (overrides level and output)",
    )
    .option("--print-unit", "print a systemd unit that runs this config, and exit")
    .option("--check", "load the config, say whether it can run (what `upgrade` asks a new binary), and exit")
    .option(
      "--insecure",
      "serve endpoints reachable from other hosts without CURVE (as [circus] insecure = true; warned at every start)",
    )
    .option("-v, --version", "display the version")
    .help();
  return cli;
}

/**
 * Run the daemon; resolves with the process exit code once it has stopped: 0 after a clean stop, 1 when
 * it cannot start (config, pidfile, a port in use), 2 for a command-line mistake.
 */
export async function runDaemon(argv: string[]): Promise<number> {
  // First, before anything can open a file: the state an upgrading predecessor left in a memfd.
  const handover = await takeHandover();
  const cli = buildParser();
  const parsed = parseFlags(cli, argv);
  if ("problem" in parsed) {
    process.stderr.write(`circusd: ${parsed.problem}\n${USAGE}\n`);
    return 2;
  }
  const flags = parsed.options as DaemonFlags & { help?: boolean; version?: boolean };
  if (flags.help) {
    cli.outputHelp();
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${circusVersionLine(null)}\n`);
    return 0;
  }
  const configPath = parsed.args[0];
  if (configPath === undefined) {
    process.stderr.write(`circusd: no config file given\n${USAGE}\n`);
    return 2;
  }
  if (parsed.args.length > 1) {
    process.stderr.write(
      `circusd: expected one config file, got ${parsed.args.length}: ${parsed.args.join(" ")}\n${USAGE}\n`,
    );
    return 2;
  }
  if (flags.printUnit) return printUnit(resolve(configPath), flags);
  if (flags.check) return checkConfig(resolve(configPath), flags.pidfile ? resolve(flags.pidfile) : null);
  const report = StartupReport.fromEnvironment();
  if (flags.daemon && report === null) {
    const { detach } = await import("./daemon/detach.ts");
    return detach(argv, "circusd");
  }
  // Until the daemon is up, its problems and warnings go to the `--daemon` caller too (its own stderr is
  // /dev/null).
  const problem = (text: string) => {
    process.stderr.write(text);
    report?.say(text);
  };
  if (report) setLogSink((line, level) => atLeast(level ?? "info", "warning") && report.say(line));
  else {
    // Lines before the config names the log output (its warnings) go to stderr: in journald's format there too.
    const { isJournalStream, journalLine } = await import("../streams/logoutput.ts");
    if (await isJournalStream(2)) {
      const stderrSink = setLogSink((line, level) => stderrSink(journalLine(line), level));
    }
  }

  // Before the config is read: copy_env copies the environment then, and systemd's variables are the daemon's alone.
  const { takeSystemdEnvironment } = await import("../os/systemd.ts");
  const systemdEnvironment = takeSystemdEnvironment();
  let config: CircusConfig;
  try {
    const { loadConfig } = await import("../config/load.ts");
    config = await loadConfig(resolve(configPath));
  } catch (error) {
    problem(`circusd: cannot start, the config has problems:\n${(error as Error).message}\n`);
    await logToOutput(flags, `cannot start, the config has problems:\n${(error as Error).message}`);
    return 1;
  }
  const logging = await configureLogging(flags, config, report);
  if ("problem" in logging) {
    problem(`circusd: ${logging.problem}\n`);
    return 2;
  }
  try {
    // An upgrade re-executes these arguments: never `--daemon` again (this process is the daemon).
    const daemonArgs = argv.filter((word) => word !== "--daemon");
    return await serve(config, flags, logging, { problem, report }, systemdEnvironment, { daemonArgs, handover });
  } finally {
    report?.close();
    await logging.output.close();
  }
}

/** A failure before the config gave its logging settings still reaches `--log-output` when one is given. */
async function logToOutput(flags: DaemonFlags, message: string): Promise<void> {
  if (!flags.logOutput) return;
  const { openLogOutput } = await import("../streams/logoutput.ts");
  try {
    const output = await openLogOutput(flags.logOutput);
    const previous = setLogSink(output);
    for (const line of message.split("\n")) log.error(line);
    setLogSink(previous);
    await output.close();
  } catch {
    // The output itself cannot be opened: stderr already has the message.
  }
}

/**
 * The state a predecessor handed over in an upgrade, or null for a plain start. One that cannot be read
 * is reported, and the start goes on as after a crash: the worker journal's workers are stopped and
 * started anew, rather than left unmanaged.
 */
async function takeHandover(): Promise<DaemonHandover | null> {
  const { readHandover } = await import("../daemon/upgrade.ts");
  try {
    return readHandover();
  } catch (error) {
    process.stderr.write(`circusd: cannot read the upgrade hand-over, starting afresh: ${(error as Error).message}\n`);
    return null;
  }
}

/**
 * `--check`: load the config and look at the pidfile's place (`--pidfile`, or `[circus] pidfile`); a live
 * daemon holding it is fine, as an upgrade checks while it runs. On success the last line tells an
 * upgrading daemon what this binary reads.
 */
async function checkConfig(configPath: string, pidfile: string | null): Promise<number> {
  const { loadConfig } = await import("../config/load.ts");
  let configured: string | null;
  try {
    configured = (await loadConfig(configPath)).circus.pidfile;
  } catch (error) {
    process.stderr.write(`circusd: the config has problems:\n${(error as Error).message}\n`);
    return 1;
  }
  const path = pidfile ?? configured;
  if (path !== null) {
    const { checkPidfile, PidfileError } = await import("../daemon/pidfile.ts");
    try {
      checkPidfile(path);
    } catch (error) {
      if (!(error instanceof PidfileError)) throw error;
      process.stderr.write(`circusd: ${error.message}\n`);
      return 1;
    }
  }
  const { checkAnswer } = await import("../daemon/upgrade.ts");
  process.stdout.write(`${configPath}: ok\n${checkAnswer()}\n`);
  return 0;
}

/** `--print-unit`: the systemd unit for this config on stdout (the config must load). */
async function printUnit(configPath: string, flags: DaemonFlags): Promise<number> {
  const { loadConfig } = await import("../config/load.ts");
  let config: CircusConfig;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    process.stderr.write(`circusd: cannot print a unit, the config has problems:\n${(error as Error).message}\n`);
    return 1;
  }
  const { statSync } = await import("node:fs");
  const { resolveUser } = await import("../os/users.ts");
  const { systemdUnit } = await import("./daemon/unit.ts");
  const owner = statSync(configPath).uid;
  let ownerName = String(owner);
  try {
    ownerName = resolveUser(owner).name;
  } catch {
    // An owner without a passwd entry: systemd takes the numeric id as well.
  }
  const unit = systemdUnit(config, {
    command: selfCommand(),
    configPath,
    pidfile: flags.pidfile ? resolve(flags.pidfile) : null,
    configOwner: ownerName,
  });
  process.stdout.write(unit);
  return 0;
}

interface Logging {
  output: LogOutput;
  /** The log files (reopened on SIGUSR1); none for stdout and syslog. */
  files: string[];
}

/**
 * Level and output from --logger-config / loggerconfig (our JSON, or Python's logging.config as YAML,
 * INI or JSON), else --log-level / --log-output, else [circus].
 */
async function configureLogging(
  flags: DaemonFlags,
  config: CircusConfig,
  report: StartupReport | null,
): Promise<Logging | { problem: string }> {
  const { loadLoggerConfig, openLogOutput } = await import("../streams/logoutput.ts");
  const { isPythonLoggingConfig, openPythonLogging } = await import("../streams/loggerconfig.ts");
  // A `--daemon` caller still waiting hears the warnings as well, up to `ready`.
  const teed = (output: LogOutput) =>
    report
      ? (line: string, level?: LogLevel) => {
          output(line);
          if (atLeast(level ?? "info", "warning")) report.say(line);
        }
      : output;
  let levelText = flags.logLevel ?? config.circus.loglevel;
  let spec = flags.logOutput ?? config.circus.logoutput;
  let format: string | null = null;
  // `default` is Circus's name for its built-in configuration: the same as none.
  const fromFile = config.circus.loggerconfig;
  const loggerConfig =
    flags.loggerConfig ?? (fromFile && fromFile !== "default" ? resolve(dirname(config.file), fromFile) : fromFile);
  try {
    if (loggerConfig && loggerConfig !== "default" && (await isPythonLoggingConfig(resolve(loggerConfig)))) {
      // Handler file names are relative to the daemon's working directory, as Python opens them.
      const python = await openPythonLogging(resolve(loggerConfig), process.cwd());
      setLogLevel(python.level);
      setLogSink(teed(python.output));
      return { output: python.output, files: python.files };
    }
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
    setLogSink(teed(output));
    const isFile = !/^(-|stdout|stderr|)$/.test(spec.trim()) && !spec.startsWith("syslog://");
    return { output, files: isFile ? [resolve(spec.trim())] : [] };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

interface StartupChannel {
  /** A reason the daemon cannot start: to stderr and to a waiting `--daemon` caller. */
  problem(text: string): void;
  /** The `--daemon` caller's pipe, told `ready` once the control endpoint is bound. */
  report: StartupReport | null;
}

async function serve(
  config: CircusConfig,
  flags: DaemonFlags,
  logging: Logging,
  startup: StartupChannel,
  systemdEnvironment: Record<string, string>,
  upgrade: { daemonArgs: string[]; handover: DaemonHandover | null },
): Promise<number> {
  const { startCircus } = await import("../daemon/start.ts");
  const { PidfileError } = await import("../daemon/pidfile.ts");
  // A stop asked for before the real handlers exist (they need the running daemon) is kept, not left to
  // the signal's default action, which would end the daemon without its stop and its last log lines.
  let stopAskedEarly: string | null = null;
  let realHandlers = false;
  const early = (["SIGTERM", "SIGQUIT", "SIGINT"] as const).map((signal) => {
    const handler = () => {
      if (!realHandlers) stopAskedEarly ??= signal;
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  let running: RunningCircus;
  try {
    running = await startCircus(config, {
      embedded: false,
      systemdEnvironment,
      insecure: flags.insecure === true,
      pidfile: flags.pidfile ?? null,
      log: false,
      daemonArgs: upgrade.daemonArgs,
      handover: upgrade.handover,
      beforeExec: () => logging.output.flush(),
      onReopen: () => {
        logging.output.reopen();
        return logging.files;
      },
      onListening: (daemon) => {
        if (startup.report) {
          setLogSink(logging.output);
          startup.report.ready(daemon.endpoint);
        }
        // The real handlers go in before the early ones come out: with no listener at all, even for an
        // instant, Bun restores the default action, and a SIGTERM then ended the daemon without its stop
        // (measured: swapping a lone SIGTERM listener off-then-on under signals got the process killed).
        realHandlers = true;
        const quit = installSignalHandlers(daemon);
        for (const remove of early) remove();
        if (stopAskedEarly !== null) quit(stopAskedEarly);
      },
    });
  } catch (error) {
    for (const remove of early) remove();
    const message = (error as Error).message;
    const text = error instanceof PidfileError ? message : `cannot start: ${message}`;
    startup.problem(`circusd: ${text}\n`);
    log.error(text);
    return 1;
  }
  await running.stopped;
  return running.fatal === null ? 0 : 1;
}

/**
 * Signals a user or the system may send that mean nothing to the daemon: ignored, where their default
 * action would kill it and orphan every worker (SIGXCPU, the real-time signals…) or stop it (SIGTTIN/
 * SIGTTOU in the background) — unless the runtime handles one already (SIGPWR is JavaScriptCore's, and
 * harmless). Fault signals (SEGV, BUS, ILL, FPE, TRAP, ABRT, SYS), KILL, STOP and the job control of
 * SIGTSTP/SIGCONT keep their default.
 */
function ignoreStraySignals(): void {
  const names = ["PIPE", "WINCH", "ALRM", "VTALRM", "PROF", "PWR", "XCPU", "XFSZ", "URG", "TTIN", "TTOU", "IO"];
  for (const name of [...names, "STKFLT"]) ignoreSignalIfUnhandled(signalNumber(name));
  for (let sig = signalNumber("RTMIN"); sig <= MAX_SIGNAL; sig++) ignoreSignalIfUnhandled(sig);
  // The kernel's first real-time signal, glibc's own: `kill -32` would end the daemon too.
  guardReservedSignal();
}

/**
 * The daemon's signals (README "circus daemon"): quit, reload, reopen; nothing else stops it. Returns the
 * quit action, for a stop asked for before these handlers existed.
 */
function installSignalHandlers(daemon: RunningCircus): (signal: string) => void {
  const { arbiter } = daemon;
  let interrupts = 0;
  const quit = (signal: string) => {
    log.info(`got ${signal}, quitting`);
    void daemon.stop();
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
    if (daemon.stopping) return log.info("got SIGHUP while stopping: ignored");
    log.info("got SIGHUP, reloading all watchers gracefully");
    void arbiter
      .reload({ graceful: true, sequential: false })
      .catch((error: Error) => log.error(`reload failed: ${error.message}`));
  });
  process.on("SIGUSR1", () => {
    log.info("got SIGUSR1, reopening log files");
    void daemon.reopen().catch((error: Error) => log.error(`reopen failed: ${error.message}`));
  });
  process.on("SIGUSR2", () => {
    if (daemon.stopping) return log.info("got SIGUSR2 while stopping: ignored");
    log.info("got SIGUSR2, upgrading the daemon in place");
    void daemon.upgrade().catch((error: Error) => log.error(`upgrade refused: ${error.message}`));
  });
  ignoreStraySignals();
  // A failure nobody awaited must not kill the daemon and strand its workers: log it and go on.
  process.on("unhandledRejection", (reason) =>
    log.error(`unexpected error: ${(reason as Error)?.stack ?? String(reason)}`),
  );
  return quit;
}
