// `circus stats` (also `circusd-stats`): publish process and socket statistics of a running daemon on
// the stats endpoint, once a second, as Circus's circusd-stats does (§8.4).

import { cac } from "cac";
import { getLogger } from "../util/log.ts";
import { StatsStreamer, type StreamerOptions } from "./stats/streamer.ts";
import { whenAborted } from "../util/async.ts";
import { VERSION } from "../version.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT, DEFAULT_STATS_ENDPOINT } from "../config/options/circus.ts";
import { interruptOn } from "./shared/interrupt.ts";
import { startToolLogging, ToolLoggingError, type ToolLogOutput } from "./shared/tool-logging.ts";

const log = getLogger("circus.stats");

interface StatsFlags {
  endpoint: string;
  pubsub: string;
  statspoint: string;
  logLevel: string;
  /** A lone `-` arrives as true (cac). */
  logOutput: string | boolean;
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
    .option("--log-output <out>", "'-' for stdout, a file, or syslog://…", { default: "-" })
    .option("--ssh <server>", "reach the daemon through an ssh tunnel (user@host[:port])")
    .help()
    .version(VERSION);
  return cli;
}

/** The streamer's periods; only callers in-process (tests) change them, the command line does not. */
export type StatsTiming = Pick<StreamerOptions, "intervalMs" | "resyncMs">;

/** Run the streamer until HUP/QUIT/INT/TERM; resolves with the exit code. */
export async function runStats(argv: string[], timing: StatsTiming = {}): Promise<number> {
  const cli = buildParser();
  let flags: StatsFlags;
  try {
    flags = cli.parse(["", "", ...argv], { run: false }).options as StatsFlags;
  } catch (error) {
    process.stderr.write(`circusd-stats: ${(error as Error).message}\n`);
    return 2;
  }
  if (flags.help || flags.version) return 0;
  let output: ToolLogOutput;
  try {
    output = await startToolLogging(flags.logLevel, flags.logOutput);
  } catch (error) {
    if (!(error instanceof ToolLoggingError)) throw error;
    process.stderr.write(`circusd-stats: ${error.message}\n`);
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
      await output.close();
      return 1;
    }
    [endpoint, pubsub] = tunnels.map((t) => t.endpoint) as [string, string];
  }

  const streamer = new StatsStreamer({ ...timing, endpoint, pubsub, statspoint: String(flags.statspoint) });
  const stop = interruptOn(["SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM"], (signal) => log.info(`got ${signal}, stopping`));
  const stopped = whenAborted(stop.signal);
  try {
    await Promise.race([streamer.start(), stopped]);
  } catch (error) {
    process.stderr.write(`circusd-stats: cannot start: ${(error as Error).message}\n`);
    stop.off();
    await streamer.stop();
    for (const t of tunnels) t.close();
    await output.close();
    return 1;
  }
  await stopped;
  await streamer.stop();
  for (const t of tunnels) t.close();
  stop.off();
  log.info("stats streamer stopped");
  await output.close();
  return 0;
}
