// `circus stats` (also `circusd-stats`): publish process and socket statistics of a running daemon on
// the stats endpoint, once a second, as Circus's circusd-stats does (§8.4).

import { cac } from "cac";
import { openSync } from "node:fs";
import { resolve } from "node:path";
import { getLogger, parseLogLevel, setLogLevel, setLogSink } from "../util/log.ts";
import { StatsStreamer } from "./stats/streamer.ts";
import { whenAborted } from "../util/async.ts";
import { VERSION } from "../version.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT, DEFAULT_STATS_ENDPOINT } from "../config/options/circus.ts";
import { keepDashValues } from "./shared/dash-values.ts";
import { interruptOn } from "./shared/interrupt.ts";

const log = getLogger("circus.stats");

interface StatsFlags {
  endpoint: string;
  pubsub: string;
  statspoint: string;
  logLevel: string;
  logOutput: string;
  ssh?: string;
  help?: boolean;
  version?: boolean;
}

function buildParser() {
  const cli = cac("circusd-stats");
  cli
    .option("--endpoint <endpoint>", "the daemon's control endpoint", { default: DEFAULT_ENDPOINT })
    .option("--pubsub <endpoint>", "the daemon's pub/sub endpoint", { default: DEFAULT_PUBSUB_ENDPOINT })
    .option("--statspoint <endpoint>", "where to publish the stats", { default: DEFAULT_STATS_ENDPOINT })
    .option("--log-level <level>", "critical, error, warning, info or debug", { default: "info" })
    .option("--log-output <out>", "'-' for stdout, or a file", { default: "-" })
    .option("--ssh <server>", "reach the daemon through an ssh tunnel (user@host[:port])")
    .help()
    .version(VERSION);
  return cli;
}

function configureLogging(flags: StatsFlags): string | null {
  const level = parseLogLevel(String(flags.logLevel));
  if (!level) return `unknown log level "${flags.logLevel}"; use critical, error, warning, info or debug`;
  setLogLevel(level);
  const output = String(flags.logOutput);
  const writer =
    output === "-" || output === "stdout"
      ? Bun.stdout.writer()
      : Bun.file(openSync(resolve(output), "a", 0o644)).writer();
  setLogSink((line) => {
    writer.write(line + "\n");
    writer.flush();
  });
  return null;
}

/** Run the streamer until HUP/QUIT/INT/TERM; resolves with the exit code. */
export async function runStats(argv: string[]): Promise<number> {
  const cli = buildParser();
  let flags: StatsFlags;
  try {
    flags = cli.parse(["", "", ...keepDashValues(argv, ["--log-output"])], { run: false }).options as StatsFlags;
  } catch (error) {
    process.stderr.write(`circusd-stats: ${(error as Error).message}\n`);
    return 2;
  }
  if (flags.help || flags.version) return 0;
  const problem = configureLogging(flags);
  if (problem) {
    process.stderr.write(`circusd-stats: ${problem}\n`);
    return 2;
  }

  let tunnels: { endpoint: string; close(): void }[] = [];
  let endpoint = String(flags.endpoint);
  let pubsub = String(flags.pubsub);
  if (flags.ssh) {
    const { openSshTunnels } = await import("./shared/ssh.ts");
    try {
      tunnels = await openSshTunnels(flags.ssh, [endpoint, pubsub]);
    } catch (error) {
      process.stderr.write(`circusd-stats: ${(error as Error).message}\n`);
      return 1;
    }
    [endpoint, pubsub] = tunnels.map((t) => t.endpoint) as [string, string];
  }

  const streamer = new StatsStreamer({ endpoint, pubsub, statspoint: String(flags.statspoint) });
  const stop = interruptOn(["SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM"], (signal) => log.info(`got ${signal}, stopping`));
  const stopped = whenAborted(stop.signal);
  try {
    await Promise.race([streamer.start(), stopped]);
  } catch (error) {
    process.stderr.write(`circusd-stats: cannot start: ${(error as Error).message}\n`);
    stop.off();
    await streamer.stop();
    for (const t of tunnels) t.close();
    return 1;
  }
  await stopped;
  await streamer.stop();
  for (const t of tunnels) t.close();
  stop.off();
  log.info("stats streamer stopped");
  return 0;
}
