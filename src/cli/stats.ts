// `circus stats` (also `circusd-stats`): publish process and socket statistics of a running daemon on
// the stats endpoint, once a second, as Circus's circusd-stats does (§8.4).

import { cac } from "cac";
import { getLogger } from "../util/log.ts";
import { StatsStreamer, type StreamerOptions } from "./stats/streamer.ts";
import { whenAborted } from "../util/async.ts";
import { circusVersionLine } from "../version.ts";
import { DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT, DEFAULT_STATS_ENDPOINT } from "../config/options/circus.ts";
import type { SocketOptions } from "../zmtp/index.ts";
import { interruptOn } from "./shared/interrupt.ts";
import { parseFlags } from "./shared/flags.ts";
import { parseEndpoint } from "../zmtp/endpoint.ts";
import { EndpointError } from "../zmtp/errors.ts";
import { curveFlagList, curveFromFlags } from "./shared/curve.ts";
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
  curveServerKey?: string;
  curveKey?: string;
  curveSecretKey?: string;
  curveAuthorizedKeys?: string;
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
    .option(
      "--curve-secret-key <file>",
      "serve the stats endpoint with CURVE, with this certificate (.key_secret; the daemon passes its own)",
    )
    .option(
      "--curve-authorized-keys <folder>",
      "with --curve-secret-key: the clients' .key files (our own --curve-key is always admitted)",
    )
    .option("-v, --version", "display the version");
  for (const [name, f] of curveFlagList()) cli.option(`--${name} <${f.arg}>`, f.help);
  cli.help();
  return cli;
}

/** The streamer's periods; only callers in-process (tests) change them, the command line does not. */
export type StatsTiming = Pick<StreamerOptions, "intervalMs" | "resyncMs">;

/** Run the streamer until HUP/QUIT/INT/TERM; resolves with the exit code. */
export async function runStats(argv: string[], timing: StatsTiming = {}): Promise<number> {
  const cli = buildParser();
  const parsed = parseFlags(cli, argv);
  if ("problem" in parsed) {
    process.stderr.write(`circusd-stats: ${parsed.problem} (\`circusd-stats --help\` lists the options)\n`);
    return 2;
  }
  const flags = parsed.options as unknown as StatsFlags;
  if (flags.help) {
    cli.outputHelp();
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${circusVersionLine(null)}\n`);
    return 0;
  }
  for (const endpoint of [flags.endpoint, flags.pubsub, flags.statspoint]) {
    try {
      parseEndpoint(endpoint);
    } catch (error) {
      if (!(error instanceof EndpointError)) throw error;
      process.stderr.write(`circusd-stats: ${error.message}\n`);
      return 2;
    }
  }
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

  let security: Pick<StreamerOptions, "curve" | "serve">;
  try {
    security = await streamerSecurity(flags);
  } catch (error) {
    for (const t of tunnels) t.close();
    process.stderr.write(`circusd-stats: ${(error as Error).message}\n`);
    await output.close();
    return 2;
  }
  const streamer = new StatsStreamer({
    ...timing,
    endpoint,
    pubsub,
    statspoint: String(flags.statspoint),
    ...security,
  });
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

/**
 * The keys of the streamer: as a client of the daemon (--curve-server-key / --curve-key, or the
 * environment the daemon gives it), and as the CURVE server of the stats endpoint when
 * --curve-secret-key is given. Its own client key is admitted there, like the daemon admits it; the
 * authorized folder is re-read when a file is added to it or removed.
 */
async function streamerSecurity(flags: StatsFlags): Promise<Pick<StreamerOptions, "curve" | "serve">> {
  const curve = await curveFromFlags(flags);
  const { connectionCap } = await import("../protocol/security.ts");
  const serve: SocketOptions = { maxConnections: connectionCap(1) };
  if (flags.curveSecretKey === undefined) return { curve, serve };
  const { readCurveKeyPair, z85Encode } = await import("../zmtp/index.ts");
  const { AuthorizedKeys } = await import("../protocol/security.ts");
  const keyPair = await readCurveKeyPair(String(flags.curveSecretKey));
  const own = curve?.keyPair ? z85Encode(curve.keyPair.publicKey) : null;
  const folder = flags.curveAuthorizedKeys === undefined ? null : new AuthorizedKeys(String(flags.curveAuthorizedKeys));
  if (folder) await folder.load();
  serve.curve = {
    role: "server",
    keyPair,
    authorize: async (peer) => {
      if (peer.z85 === own) return true;
      if (folder === null) return true;
      await folder.refresh();
      return folder.has(peer.z85);
    },
  };
  return { curve, serve };
}
