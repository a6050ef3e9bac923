// `circus top` (also `circus-top`): a live, read-only view of CPU and memory per watcher and of socket
// hits, drawn from the circusd-stats stream (§8.3), with each watcher's state from the control channel.
// Without a stream for 3 s it says so and polls `stats` over the control channel instead, switching back
// as soon as the stream speaks. `--once` (implied when stdout is no terminal) prints one plain snapshot.

import { cac } from "cac";
import { CircusClient, subscribe, type Subscription } from "../protocol/client.ts";
import { whenAborted } from "../util/async.ts";
import { VERSION } from "../version.ts";
import { parseEndpoint } from "../zmtp/endpoint.ts";
import { EndpointError } from "../zmtp/errors.ts";
import { parseFlags } from "./shared/flags.ts";
import { interruptOn } from "./shared/interrupt.ts";
import { exitStatusAfterOutput, stdout } from "./shared/output.ts";
import { TopModel } from "./top/model.ts";
import { pollControl, pollWatchers } from "./top/poll.ts";
import { maxScroll, renderScreen, type RenderOptions, type SortKey } from "./top/render.ts";
import { Screen } from "./top/screen.ts";
import { DEFAULT_ENDPOINT, DEFAULT_STATS_ENDPOINT } from "../config/options/circus.ts";
import type { ClientCurveKeys } from "../protocol/client.ts";
import { curveFlagList, curveFromFlags } from "./shared/curve.ts";

/** How top paces itself; only callers in-process (tests) change it, the command line does not. */
export interface TopTiming {
  /** How long the stream may stay silent before top falls back to the control channel (3 s). */
  streamGraceMs?: number;
  /** How often the screen is redrawn and, while polling, the control channel asked (1 s). */
  frameMs?: number;
  /** Between the two samples of a `--once` snapshot (0.5 s). */
  snapshotSampleMs?: number;
}
const TOOL = "circus-top";

interface TopFlags {
  endpoint?: string;
  controlEndpoint?: string;
  ssh?: string;
  processTimeout: string;
  once?: boolean;
  curveServerKey?: string;
  curveKey?: string;
  help?: boolean;
  version?: boolean;
}

function buildParser() {
  const cli = cac(TOOL);
  cli
    .option(
      "--endpoint <endpoint>",
      `the stats endpoint (default: the daemon's stats_endpoint, else ${DEFAULT_STATS_ENDPOINT})`,
    )
    .option(
      "--control-endpoint <endpoint>",
      `the daemon's control endpoint (default $CIRCUSCTL_ENDPOINT, else ${DEFAULT_ENDPOINT})`,
    )
    .option("--ssh <server>", "reach the endpoints through an ssh tunnel (user@host[:port])")
    .option("--process-timeout <seconds>", "forget a pid after this long without a sample", { default: 3 })
    .option("--once", "print one plain snapshot and exit (the default when stdout is not a terminal)");
  for (const [name, f] of curveFlagList()) cli.option(`--${name} <${f.arg}>`, f.help);
  cli.help().version(VERSION);
  return cli;
}

function fail(message: string, status: number): number {
  process.stderr.write(`${TOOL}: ${message}\n`);
  return status;
}

/** Run the view until `q` (or Ctrl-C / SIGTERM), or print one snapshot; resolves with the exit code. */
export async function runTop(argv: string[], timing: TopTiming = {}): Promise<number> {
  const cli = buildParser();
  const parsed = parseFlags(cli, argv);
  if ("problem" in parsed) return fail(`${parsed.problem} (\`${TOOL} --help\` lists the options)`, 2);
  const flags = parsed.options as unknown as TopFlags;
  if (flags.help) {
    cli.outputHelp();
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${TOOL} ${VERSION}\n`);
    return 0;
  }
  if (parsed.args.length > 0) return fail(`unexpected argument ${parsed.args[0]}`, 2);
  const processTimeoutMs = Number(flags.processTimeout) * 1000;
  if (!(processTimeoutMs > 0)) return fail("--process-timeout must be a positive number of seconds", 2);
  const shownControl = flags.controlEndpoint ?? (process.env.CIRCUSCTL_ENDPOINT || DEFAULT_ENDPOINT);
  try {
    parseEndpoint(shownControl);
    if (flags.endpoint !== undefined) parseEndpoint(flags.endpoint);
  } catch (error) {
    if (!(error instanceof EndpointError)) throw error;
    return fail(error.message, 2);
  }

  let curve: ClientCurveKeys | undefined;
  try {
    curve = await curveFromFlags(flags);
  } catch (error) {
    return fail((error as Error).message, 2);
  }

  const tunnels: { endpoint: string; close(): void }[] = [];
  const closeTunnels = () => {
    for (const t of tunnels) t.close();
  };
  const through = async (endpoint: string): Promise<string> => {
    if (!flags.ssh) return endpoint;
    const { openSshTunnel } = await import("./shared/ssh.ts");
    const t = await openSshTunnel(flags.ssh, endpoint);
    tunnels.push(t);
    return t.endpoint;
  };

  let client: CircusClient | null = null;
  try {
    const controlEp = await through(shownControl);
    client = new CircusClient({ endpoint: controlEp, timeoutMs: 2000, curve, failFast: true });
    const once = flags.once === true || process.stdout.isTTY !== true;
    if (once) return await snapshot(client, shownControl, timing.snapshotSampleMs ?? 500);
    // The stats endpoint is the daemon's own unless given: ask it, as circusctl's users expect.
    let shownStats = flags.endpoint;
    if (shownStats === undefined) {
      const reply = await client.call("globaloptions").catch(() => null);
      const configured = (reply?.options as Record<string, unknown> | undefined)?.stats_endpoint;
      shownStats = typeof configured === "string" && configured ? configured : DEFAULT_STATS_ENDPOINT;
    }
    const statsEp = await through(shownStats);
    return await live(client, {
      statsEp,
      shownStats,
      shownControl,
      processTimeoutMs,
      curve,
      streamGraceMs: timing.streamGraceMs ?? 3000,
      frameMs: timing.frameMs ?? 1000,
    });
  } catch (error) {
    return fail((error as Error).message, 1);
  } finally {
    await client?.close();
    closeTunnels();
  }
}

/** `--once`: every figure from the control channel, printed once without escapes. */
async function snapshot(client: CircusClient, shownControl: string, sampleMs: number): Promise<number> {
  const model = new TopModel();
  // The daemon's CPU figure is the share since its previous sample of that pid: sample twice.
  await pollControl(client, model);
  await Bun.sleep(sampleMs);
  await Promise.all([pollWatchers(client, model), pollControl(client, model)]);
  const lines = renderScreen(model, {
    width: Number.MAX_SAFE_INTEGER,
    height: null,
    sortBy: "cpu",
    source: `control channel ${shownControl}`,
  });
  // The header's key list means nothing in a snapshot.
  lines[1] = `control channel ${shownControl}`;
  stdout.write(lines.join("\n") + "\n");
  return exitStatusAfterOutput(TOOL, 0);
}

interface LiveOptions {
  curve: ClientCurveKeys | undefined;
  statsEp: string;
  shownStats: string;
  shownControl: string;
  processTimeoutMs: number;
  streamGraceMs: number;
  frameMs: number;
}

/** Keys of a terminal in raw mode → what they do. */
type Action = "quit" | "cpu" | "mem" | "help" | "up" | "down" | "pageUp" | "pageDown" | "home" | "end" | "other";

function decodeKeys(data: string): Action[] {
  const actions: Action[] = [];
  const sequences: [string, Action][] = [
    ["\x1b[A", "up"],
    ["\x1b[B", "down"],
    ["\x1b[5~", "pageUp"],
    ["\x1b[6~", "pageDown"],
    ["\x1b[H", "home"],
    ["\x1b[1~", "home"],
    ["\x1b[F", "end"],
    ["\x1b[4~", "end"],
  ];
  const single = new Map<string, Action>([
    ["q", "quit"],
    ["Q", "quit"],
    ["\x03", "quit"],
    ["c", "cpu"],
    ["m", "mem"],
    ["?", "help"],
    ["h", "help"],
    ["k", "up"],
    ["j", "down"],
    [" ", "pageDown"],
    ["g", "home"],
    ["G", "end"],
  ]);
  for (let i = 0; i < data.length; ) {
    const seq = sequences.find(([s]) => data.startsWith(s, i));
    if (seq) {
      actions.push(seq[1]);
      i += seq[0].length;
      continue;
    }
    actions.push(single.get(data[i]!) ?? "other");
    i += 1;
  }
  return actions;
}

async function live(client: CircusClient, opts: LiveOptions): Promise<number> {
  const model = new TopModel();
  const screen = new Screen(process.stdout);
  const startedAt = Date.now();
  const colour = !process.env.NO_COLOR;
  let lastStream = 0;
  let sortBy: SortKey = "cpu";
  let scroll = 0;
  let help = false;
  let polling = false;
  let pollError: string | null = null;

  const streaming = () => Date.now() - Math.max(lastStream, startedAt) <= opts.streamGraceMs;
  const sub: Subscription = subscribe(
    opts.statsEp,
    ["stat."],
    (e) => {
      lastStream = Date.now();
      model.ingest(e.topic, e.payload, lastStream);
    },
    { curve: opts.curve },
  );

  const renderOptions = (): RenderOptions => {
    const stream = streaming();
    let notice: string | null = null;
    if (!stream) {
      notice = `no stats received from ${opts.shownStats} — is \`statsd = true\` set in [circus]?`;
      if (pollError) notice += ` Control channel ${opts.shownControl}: ${pollError}`;
    } else if (pollError) notice = `control channel ${opts.shownControl}: ${pollError}`;
    return {
      width: screen.width,
      height: screen.height,
      sortBy,
      source: stream ? `stats stream ${opts.shownStats}` : `polling stats on ${opts.shownControl}`,
      notice,
      scroll,
      colour,
      help,
    };
  };
  const draw = (force = false) => {
    const options = renderOptions();
    scroll = Math.min(scroll, maxScroll(model, options));
    screen.draw(renderScreen(model, { ...options, scroll }), force);
  };

  const tick = async () => {
    model.prune(opts.processTimeoutMs);
    if (!polling) {
      polling = true;
      try {
        await pollWatchers(client, model);
        if (!streaming()) await pollControl(client, model);
        pollError = null;
      } catch (error) {
        pollError = (error as Error).message;
        model.watchers.clear();
      } finally {
        polling = false;
      }
    }
    draw();
  };

  const stop = interruptOn(["SIGINT", "SIGTERM"]);
  const onKey = (data: Buffer | string) => {
    for (const action of decodeKeys(data.toString())) {
      const page = Math.max(1, screen.height - 6);
      if (help && action !== "quit") {
        help = false;
        continue;
      }
      if (action === "quit") stop.stop();
      else if (action === "cpu" || action === "mem") sortBy = action;
      else if (action === "help") help = true;
      else if (action === "up") scroll = Math.max(0, scroll - 1);
      else if (action === "down") scroll += 1;
      else if (action === "pageUp") scroll = Math.max(0, scroll - page);
      else if (action === "pageDown") scroll += page;
      else if (action === "home") scroll = 0;
      else if (action === "end") scroll = Number.MAX_SAFE_INTEGER;
    }
    draw(true);
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
  void tick();
  const timer = setInterval(() => void tick(), opts.frameMs);

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
  return 0;
}
