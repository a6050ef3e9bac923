// `circus stats` (also `circusd-stats`): publish process and socket statistics of a running daemon on
// the stats endpoint, once a second, as Circus's circusd-stats does (§8.4).

import { cac } from "cac";
import { getLogger } from "../log.ts";
import { StatsStreamer } from "../stats/streamer.ts";
import { VERSION } from "../version.ts";
import { configureToolLogging } from "./tool-logging.ts";

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
    .option("--endpoint <endpoint>", "the daemon's control endpoint", { default: "tcp://127.0.0.1:5555" })
    .option("--pubsub <endpoint>", "the daemon's pub/sub endpoint", { default: "tcp://127.0.0.1:5556" })
    .option("--statspoint <endpoint>", "where to publish the stats", { default: "tcp://127.0.0.1:5557" })
    .option("--log-level <level>", "critical, error, warning, info or debug", { default: "info" })
    .option("--log-output <out>", "'-' for stdout, or a file", { default: "-" })
    .option("--ssh <server>", "reach the daemon through an ssh tunnel (user@host[:port])")
    .help()
    .version(VERSION);
  return cli;
}

/** Run the streamer until HUP/QUIT/INT/TERM; resolves with the exit code. */
export async function runStats(argv: string[]): Promise<number> {
  const cli = buildParser();
  let flags: StatsFlags;
  try {
    flags = cli.parse(["", "", ...argv], { run: false }).options as StatsFlags;
  } catch (error) {
    process.stderr.write(`circusd-stats: ${(error as Error).message}\n`);
    return 2;
  }
  if (flags.help || flags.version) return 0;
  const problem = configureToolLogging(flags.logLevel, flags.logOutput);
  if (problem) {
    process.stderr.write(`circusd-stats: ${problem}\n`);
    return 2;
  }

  const tunnels: { close(): void }[] = [];
  let endpoint = String(flags.endpoint);
  let pubsub = String(flags.pubsub);
  if (flags.ssh) {
    const { openSshTunnel } = await import("./ctl/ssh.ts");
    try {
      const control = await openSshTunnel(flags.ssh, endpoint);
      tunnels.push(control);
      const events = await openSshTunnel(flags.ssh, pubsub);
      tunnels.push(events);
      endpoint = control.endpoint;
      pubsub = events.endpoint;
    } catch (error) {
      for (const t of tunnels) t.close();
      process.stderr.write(`circusd-stats: ${(error as Error).message}\n`);
      return 1;
    }
  }

  const streamer = new StatsStreamer({ endpoint, pubsub, statspoint: String(flags.statspoint) });
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const signals = ["SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM"] as const;
  const onSignal = (signal: string) => {
    log.info(`got ${signal}, stopping`);
    finished();
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    const started = streamer.start();
    await Promise.race([started, done]);
  } catch (error) {
    process.stderr.write(`circusd-stats: cannot start: ${(error as Error).message}\n`);
    await streamer.stop();
    for (const t of tunnels) t.close();
    return 1;
  }
  await done;
  await streamer.stop();
  for (const t of tunnels) t.close();
  for (const s of signals) process.off(s, onSignal);
  log.info("stats streamer stopped");
  return 0;
}
