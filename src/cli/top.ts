// `circus top` (also `circus-top`): a live, read-only view of CPU and memory per watcher and of socket
// hits, drawn from the circusd-stats stream (§8.3). Without a stream for 3 s it says so and polls
// `stats` over the control channel instead, switching back as soon as the stream speaks.

import { cac } from "cac";
import { CircusClient, subscribe, type Subscription } from "../protocol/client.ts";
import { whenAborted } from "../util/async.ts";
import { VERSION } from "../version.ts";
import { interruptOn } from "./shared/interrupt.ts";
import { TopModel } from "./top/model.ts";
import { pollControl } from "./top/poll.ts";
import { renderScreen, type SortKey } from "./top/render.ts";
import { Screen } from "./top/screen.ts";
import { DEFAULT_ENDPOINT, DEFAULT_STATS_ENDPOINT } from "../config/options/circus.ts";
import { curveFlagList, curveFromFlags } from "./shared/curve.ts";

/** How top paces itself; only callers in-process (tests) change it, the command line does not. */
export interface TopTiming {
  /** How long the stream may stay silent before top falls back to the control channel (3 s). */
  streamGraceMs?: number;
  /** How often the screen is redrawn and, while polling, the control channel asked (1 s). */
  frameMs?: number;
}

interface TopFlags {
  endpoint: string;
  controlEndpoint: string;
  ssh?: string;
  processTimeout: number;
  curveServerKey?: string;
  curveKey?: string;
  help?: boolean;
  version?: boolean;
}

function buildParser() {
  const cli = cac("circus-top");
  cli
    .option("--endpoint <endpoint>", "the stats endpoint (circusd-stats)", { default: DEFAULT_STATS_ENDPOINT })
    .option("--control-endpoint <endpoint>", "the daemon's control endpoint, polled when no stats stream", {
      default: DEFAULT_ENDPOINT,
    })
    .option("--ssh <server>", "reach the endpoints through an ssh tunnel (user@host[:port])")
    .option("--process-timeout <seconds>", "forget a pid after this long without a sample", { default: 3 });
  for (const [name, f] of curveFlagList()) cli.option(`--${name} <${f.arg}>`, f.help);
  cli.help().version(VERSION);
  return cli;
}

/** Run the view until `q` (or Ctrl-C / SIGTERM); resolves with the exit code. */
export async function runTop(argv: string[], timing: TopTiming = {}): Promise<number> {
  const streamGraceMs = timing.streamGraceMs ?? 3000;
  const frameMs = timing.frameMs ?? 1000;
  const cli = buildParser();
  let flags: TopFlags;
  try {
    flags = cli.parse(["", "", ...argv], { run: false }).options as TopFlags;
  } catch (error) {
    process.stderr.write(`circus-top: ${(error as Error).message}\n`);
    return 2;
  }
  if (flags.help || flags.version) return 0;
  const processTimeoutMs = Number(flags.processTimeout) * 1000;
  if (!(processTimeoutMs > 0)) {
    process.stderr.write(`circus-top: --process-timeout must be a positive number of seconds\n`);
    return 2;
  }

  let curve: Awaited<ReturnType<typeof curveFromFlags>>;
  try {
    curve = await curveFromFlags(flags);
  } catch (error) {
    process.stderr.write(`circus-top: ${(error as Error).message}\n`);
    return 2;
  }

  let tunnels: { endpoint: string; close(): void }[] = [];
  let statsEp = String(flags.endpoint);
  let controlEp = String(flags.controlEndpoint);
  if (flags.ssh) {
    const { openSshTunnels } = await import("./shared/ssh.ts");
    try {
      tunnels = await openSshTunnels(flags.ssh, [statsEp, controlEp]);
    } catch (error) {
      process.stderr.write(`circus-top: ${(error as Error).message}\n`);
      return 1;
    }
    [statsEp, controlEp] = tunnels.map((t) => t.endpoint) as [string, string];
  }

  const shownStats = String(flags.endpoint);
  const shownControl = String(flags.controlEndpoint);
  const model = new TopModel();
  const screen = new Screen(process.stdout);
  const startedAt = Date.now();
  let lastStream = 0;
  let sortBy: SortKey = "cpu";
  let client: CircusClient | null = null;
  let polling = false;
  let pollError: string | null = null;

  const streaming = () => Date.now() - Math.max(lastStream, startedAt) <= streamGraceMs;
  const sub: Subscription = subscribe(
    statsEp,
    ["stat."],
    (e) => {
      lastStream = Date.now();
      model.ingest(e.topic, e.payload, lastStream);
    },
    { curve },
  );

  const draw = (force = false) => {
    const stream = streaming();
    const source = stream ? `stats stream ${shownStats}` : `polling stats on ${shownControl}`;
    let notice: string | null = null;
    if (!stream) {
      notice = `no stats received from ${shownStats} — is \`statsd = true\` set in [circus]?`;
      if (pollError) notice += ` Control channel ${shownControl}: ${pollError}`;
    }
    screen.draw(renderScreen(model, { width: screen.width, height: screen.height, sortBy, source, notice }), force);
  };

  const tick = async () => {
    model.prune(processTimeoutMs);
    if (!streaming() && !polling) {
      polling = true;
      client ??= new CircusClient({ endpoint: controlEp, timeoutMs: 2000, curve });
      try {
        await pollControl(client, model);
        pollError = null;
      } catch (error) {
        pollError = (error as Error).message;
      } finally {
        polling = false;
      }
    }
    draw();
  };

  const stop = interruptOn(["SIGINT", "SIGTERM"]);
  const onKey = (data: Buffer | string) => {
    for (const ch of data.toString()) {
      if (ch === "q" || ch === "Q" || ch === "\x03") stop.stop();
      else if (ch === "c" || ch === "m") {
        sortBy = ch === "c" ? "cpu" : "mem";
        draw(true);
      }
    }
  };
  const onResize = () => draw(true);
  const restore = () => screen.leave();

  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on("data", onKey);
  stdin.resume();
  process.stdout.on("resize", onResize);
  process.on("SIGWINCH", onResize);
  process.on("exit", restore);
  screen.enter();
  draw(true);
  const timer = setInterval(() => void tick(), frameMs);

  await whenAborted(stop.signal);
  clearInterval(timer);
  screen.leave();
  process.off("exit", restore);
  process.stdout.off("resize", onResize);
  process.off("SIGWINCH", onResize);
  stop.off();
  stdin.off("data", onKey);
  if (stdin.isTTY) stdin.setRawMode(false);
  stdin.pause();
  await sub.close();
  await (client as CircusClient | null)?.close();
  for (const t of tunnels) t.close();
  return 0;
}
