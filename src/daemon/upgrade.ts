// `circus ctl upgrade` and SIGUSR2: the daemon re-executes itself in place (same pid, so its workers
// stay its children) and hands its state to the new image. Everything that can fail is checked first
// (who asks, the binary's ownership, that it runs, answers its version, loads the config and reads this
// hand-over format); a failure leaves this image in charge and is the reply. Then: `daemon.upgrade`
// (before), every watcher stops spawning and pauses its output reading (nothing read is lost: unread
// bytes stay in the workers' sockets), the state goes into a memfd, the fds to keep lose close-on-exec,
// and execve. The new image reads the state (readHandover), adopts it, and publishes `daemon.upgrade`
// (after) once its subscribers are back.

import type { Arbiter } from "../arbiter/arbiter.ts";
import { handedFds, type ArbiterHandover } from "../arbiter/handover.ts";
import { trackChild } from "../arbiter/children.ts";
import { epochSeconds } from "../arbiter/bus.ts";
import type { InternalCurveKey } from "../protocol/security.ts";
import { execFile, resetSignalsForExec } from "../os/exec.ts";
import { isOpenFd, memoryFileWith, readAllAndClose, setCloseOnExec } from "../os/handover.ts";
import { selfCommand } from "../os/launcher.ts";
import { ignoreSignalIfUnhandled } from "../os/process.ts";
import { closeFd } from "../os/fs.ts";
import { signalNumber } from "../os/signals.ts";
import { nodeFs } from "../util/node.ts";
import { getLogger } from "../util/log.ts";
import { resolve } from "../util/path.ts";
import { VERSION } from "../version.ts";

const log = getLogger("circus");

/** The environment variable naming the fd of the hand-over state in the new image (never argv). */
export const HANDOVER_ENV = "CIRCUS_UPGRADE_STATE";
/** The hand-over format this image writes. */
export const HANDOVER_FORMAT = 1;
/** The formats this image can read (a newer daemon keeps reading the older ones it lists here). */
export const READABLE_FORMATS: readonly number[] = [1];
/** The bus topic of the upgrade events (beyond Circus, which has no daemon-level topics). */
export const UPGRADE_TOPIC = "daemon.upgrade";

/** How long the candidate binary may take to answer `--version` and `daemon --check`. */
const CHECK_TIMEOUT_MS = 15_000;
/** How long the new image waits for the subscribers of `daemon.upgrade` to be back before publishing `after`. */
const SUBSCRIBERS_BACK_MS = 2000;

/** Everything the next image needs, as JSON in a memfd. */
export interface DaemonHandover {
  format: number;
  /** Version of the image that wrote it. */
  from: string;
  /** Upgrades this daemon went through, this one included. */
  upgrades: number;
  /** When the daemon's first image started (epoch seconds): `logs` followers see no restart. */
  started: number;
  /** Epoch ms when the upgrade was asked for and when the exec happened (the new image logs its timings). */
  askedAtMs: number;
  execAtMs: number;
  /** The `circus daemon` arguments (after the word `daemon`) the daemon was started with. */
  daemonArgs: string[];
  /** Control and pub/sub endpoints as bound, with their listening fds (and who listened to `daemon.upgrade`). */
  control: { endpoint: string; fd: number };
  pubsub: { endpoint: string; fd: number; subscribers: number };
  /**
   * With CURVE, the pair the daemon's own watchers (plugins, circusd-stats, the console) were given: they
   * keep running and reconnect with it. Absent in a state written before it was added (a new pair then).
   */
  internalCurveKey?: InternalCurveKey | null;
  /** `[circus] health`'s listening socket: probes keep being accepted across the exec. Absent before it was added. */
  health?: { fd: number } | null;
  arbiter: ArbiterHandover;
}

/** An upgrade refused before anything changed: the daemon runs on as it was. */
export class UpgradeRefused extends Error {
  override name = "UpgradeRefused";
}

/** Who asks, as the control channel knows them (null uid: not knowable, e.g. over tcp). */
export interface UpgradeRequester {
  uid: number | null;
  /** Over tcp: the local client's uid, looked up when needed (null: a client on another host). */
  tcpUid?: () => number | null;
}

export interface UpgradeRequest {
  /** Another binary to run; default: the one this daemon runs. */
  binary?: string | null;
  /** Absent for SIGUSR2 (only root or the daemon's own user can send it). */
  requester?: UpgradeRequester;
}

export interface UpgradeAnswer {
  from: string;
  to: string;
  pid: number;
  binary: string;
  upgrades: number;
}

/** What an upgrade acts on, provided by the running daemon (start.ts). */
export interface UpgradeHost {
  arbiter: Arbiter;
  configFile: string;
  daemonArgs: string[];
  upgrades: number;
  started: number;
  /** Listening fds and resolved endpoints of the control channel. */
  endpoints(): {
    control: { endpoint: string; fd: number };
    pubsub: { endpoint: string; fd: number; subscribers: number };
  };
  /** The health endpoint's listening fd, or null without `[circus] health`. */
  healthFd(): number | null;
  /** Refuse changing commands while the hand-over runs (true), or serve again after a failed exec (false). */
  setUpgrading(on: boolean): void;
  /** The exec failed after the reply said ok: `version` tells why from now on. */
  failed(reason: string): void;
  /** Answer the requests still in flight with an error saying `reason`; returns how many. */
  answerInFlight(reason: string): number;
  /** Write out the daemon's log output: nothing logged before the exec is lost. */
  beforeExec(): Promise<void>;
  /**
   * Variables the daemon took out of its environment that the next image needs too (systemd's
   * NOTIFY_SOCKET and watchdog: the pid systemd follows stays the same). Its sockets travel by name.
   */
  execEnv: Record<string, string>;
  /** The internal CURVE pair to hand over (null without CURVE). */
  internalCurveKey: InternalCurveKey | null;
}

/** A candidate checked and ready: the command line that runs it and the version it reported. */
interface Candidate {
  command: string[];
  binary: string;
  version: string;
}

/**
 * Check everything, then hand over and exec. Resolves with the answer for the client once the checks
 * passed and the hand-over is scheduled (it runs after the reply is on its way); rejects with
 * UpgradeRefused (naming the reason) when the daemon stays as it is.
 */
export async function upgradeDaemon(host: UpgradeHost, request: UpgradeRequest): Promise<UpgradeAnswer> {
  const asked = performance.now();
  checkRequester(request.requester);
  // One at a time: a second request (or SIGUSR2) while the first checks its binary is refused.
  if (underWay) throw new UpgradeRefused("an upgrade is already under way");
  underWay = true;
  let candidate: Candidate;
  try {
    candidate = await checkCandidate(request.binary ?? null, host.configFile);
  } catch (err) {
    underWay = false;
    throw err;
  }
  const answer: UpgradeAnswer = {
    from: VERSION,
    to: candidate.version,
    pid: process.pid,
    binary: candidate.binary,
    upgrades: host.upgrades + 1,
  };
  host.setUpgrading(true);
  host.arbiter.bus.publish(UPGRADE_TOPIC, {
    phase: "before",
    from: VERSION,
    to: candidate.version,
    time: epochSeconds(),
  });
  // After the reply and the `before` event are written (the exec closes their connections).
  const askedAtMs = Math.round(Date.now() - (performance.now() - asked));
  setTimeout(() => void handOverAndExec(host, candidate, answer, askedAtMs), REPLY_FLUSH_MS);
  return answer;
}

/** Time given to the reply and the `before` event to reach their sockets before the exec. */
const REPLY_FLUSH_MS = 5;

/** An upgrade is being checked or handed over (a failed exec clears it). */
let underWay = false;

function checkRequester(requester: UpgradeRequester | undefined): void {
  if (requester === undefined) return; // a signal: the kernel checked who may send it
  const me = process.geteuid?.() ?? 0;
  const uid = requester.uid ?? requester.tcpUid?.() ?? null;
  if (uid === null) {
    throw new UpgradeRefused(
      "upgrade needs to know who asks, and a client on another host cannot be told apart: run it on the daemon's host, or send SIGUSR2 to the daemon",
    );
  }
  if (uid !== 0 && uid !== me) {
    throw new UpgradeRefused(
      `only root${me === 0 ? "" : ` or the daemon's own user (uid ${me})`} may upgrade the daemon; you are uid ${uid}`,
    );
  }
}

/** The binary to run and its checks: ownership, `daemon --check CONFIG` (version, config, hand-over formats). */
async function checkCandidate(binary: string | null, configFile: string): Promise<Candidate> {
  const self = selfCommand();
  // A link is followed to its file: the links the build installs (circusd, circusctl…) select a tool by
  // their name, so `--binary /usr/local/bin/circusd` would run `circusd daemon --check` and fail.
  const path = binary === null ? self[0]! : followLinks(resolve(binary));
  // From source (`bun src/main.ts`) the daemon's own "binary" is bun plus the entry script.
  const command = binary === null ? self : [path];
  checkBinaryFile(path);
  // One run answers all three: it starts, loads the config and tells its version and the hand-over
  // formats it reads. Only when it fails is `--version` asked, to say which part failed.
  const check = await runCandidate([...command, "daemon", "--check", configFile]);
  let answer: { version?: unknown; handover?: unknown } = {};
  try {
    answer = JSON.parse(check.output.trim().split("\n").at(-1) ?? "") as typeof answer;
  } catch {
    // Not our answer: see below what kind of binary it is.
  }
  if (check.code !== 0 || typeof answer.version !== "string") {
    const versionRun = await runCandidate([...command, "--version"]);
    if (versionRun.code !== 0) {
      throw new UpgradeRefused(`${path} --version failed (${versionRun.why}): ${versionRun.output || "no output"}`);
    }
    const version = /\bcircus (\d[^\s,)]*)/.exec(versionRun.output)?.[1];
    if (version === undefined) {
      throw new UpgradeRefused(
        `${path} is not a circus binary: --version printed ${JSON.stringify(versionRun.output.slice(0, 200))}`,
      );
    }
    if (check.code !== 0) {
      throw new UpgradeRefused(`${path} (circus ${version}) cannot run the config: ${check.output || check.why}`);
    }
    throw new UpgradeRefused(
      `${path} (circus ${version}) cannot take over from this daemon: it does not read this daemon's hand-over (format ${HANDOVER_FORMAT}); stop and start the daemon instead, or upgrade to a version that reads it`,
    );
  }
  const version = answer.version;
  const formats = Array.isArray(answer.handover) ? answer.handover : [];
  if (!formats.includes(HANDOVER_FORMAT)) {
    throw new UpgradeRefused(
      `${path} (circus ${version}) cannot take over from this daemon: it reads hand-over formats [${formats.join(", ")}], this daemon writes ${HANDOVER_FORMAT}; stop and start the daemon instead, or upgrade to a version that reads it`,
    );
  }
  return { command, binary: path, version };
}

/** `path` with its symbolic links resolved; as given when it cannot be (checkBinaryFile says why). */
function followLinks(path: string): string {
  try {
    return nodeFs().realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Decisions §4: the binary must be a regular executable file owned by root (or by the daemon's own
 * user when it does not run as root), writable by nobody else.
 */
function checkBinaryFile(path: string): void {
  const fs = nodeFs();
  let st: ReturnType<typeof fs.statSync>;
  try {
    st = fs.statSync(path);
  } catch (err) {
    throw new UpgradeRefused(`cannot use ${path}: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw new UpgradeRefused(`${path} is not a regular file`);
  if ((st.mode & 0o111) === 0) throw new UpgradeRefused(`${path} is not executable (chmod 755 it)`);
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) {
    throw new UpgradeRefused(
      `${path} is owned by uid ${st.uid}: the daemon only runs a binary owned by root${me === 0 ? "" : ` or uid ${me}`}`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    throw new UpgradeRefused(
      `${path} is writable by its group or by others (mode ${(st.mode & 0o777).toString(8)}): chmod go-w it first`,
    );
  }
}

/** Run one check of the candidate; its output (stdout then stderr, trimmed) and how it ended. */
async function runCandidate(cmd: string[]): Promise<{ code: number | null; output: string; why: string }> {
  let child: ReturnType<typeof Bun.spawn>;
  try {
    const { [HANDOVER_ENV]: _state, ...env } = process.env;
    child = Bun.spawn({ cmd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (err) {
    return { code: null, output: "", why: (err as Error).message };
  }
  trackChild(child.pid, child.exited);
  const timer = setTimeout(() => child.kill(9), CHECK_TIMEOUT_MS);
  const [out, err] = await Promise.all([
    new Response(child.stdout as ReadableStream).text(),
    new Response(child.stderr as ReadableStream).text(),
  ]);
  const code = await child.exited;
  clearTimeout(timer);
  const why = child.signalCode
    ? `killed by ${child.signalCode}${child.signalCode === "SIGKILL" ? " (timed out)" : ""}`
    : `exit status ${code}`;
  return { code: child.signalCode ? null : code, output: `${out}${err}`.trim(), why };
}

/** The point of no return, reached only after every check passed. */
async function handOverAndExec(
  host: UpgradeHost,
  candidate: Candidate,
  answer: UpgradeAnswer,
  askedAtMs: number,
): Promise<void> {
  let arbiterState: ArbiterHandover | null = null;
  let kept: number[] = [];
  try {
    arbiterState = await host.arbiter.handOver();
    const endpoints = host.endpoints();
    const state: DaemonHandover = {
      format: HANDOVER_FORMAT,
      from: VERSION,
      upgrades: answer.upgrades,
      started: host.started,
      askedAtMs,
      execAtMs: 0,
      daemonArgs: host.daemonArgs,
      control: endpoints.control,
      pubsub: endpoints.pubsub,
      internalCurveKey: host.internalCurveKey,
      health: host.healthFd() === null ? null : { fd: host.healthFd()! },
      arbiter: arbiterState,
    };
    log.info(
      `upgrading: exec ${candidate.command.join(" ")} (circus ${VERSION} → ${candidate.version}; ` +
        `${Date.now() - askedAtMs} ms since asked)`,
    );
    // A `--waiting` command still waiting for its outcome would lose its reply with its connection.
    const answered = host.answerInFlight(
      `the daemon re-executed itself (upgrade to circus ${candidate.version}) before this command's outcome was known; ` +
        "what it began goes on in the new daemon: check with status",
    );
    if (answered > 0) await new Promise((r) => setTimeout(r, REPLY_FLUSH_MS));
    await host.beforeExec();
    state.execAtMs = Date.now();
    const stateFd = memoryFileWith("circus-upgrade", new TextEncoder().encode(JSON.stringify(state)));
    kept = [stateFd, endpoints.control.fd, endpoints.pubsub.fd, ...handedFds(arbiterState)];
    if (state.health) kept.push(state.health.fd);
    for (const fd of kept) setCloseOnExec(fd, false);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, host.execEnv);
    env[HANDOVER_ENV] = String(stateFd);
    resetSignalsForExec();
    execFile(candidate.command[0]!, [...candidate.command, "daemon", ...host.daemonArgs], env);
  } catch (err) {
    // Still this image: put everything back as it was and carry on.
    ignoreSignalIfUnhandled(signalNumber("PIPE")); // reset for the exec; the daemon ignores it
    for (const fd of kept) if (isOpenFd(fd)) setCloseOnExec(fd, true);
    if (kept[0] !== undefined) closeFd(kept[0]);
    if (arbiterState) host.arbiter.thaw(arbiterState);
    host.setUpgrading(false);
    const reason = (err as Error).message;
    log.error(`upgrade failed, this daemon carries on: ${reason}`);
    host.failed(reason);
    underWay = false;
    host.arbiter.bus.publish(UPGRADE_TOPIC, {
      phase: "failed",
      from: VERSION,
      to: candidate.version,
      reason,
      time: epochSeconds(),
    });
  }
}

/**
 * In the new image: the state the previous one left (its fd named by HANDOVER_ENV), or null when this
 * is a plain start. The variable is removed so workers never inherit it. Throws when the state cannot
 * be read; the caller then stops the adopted processes rather than leave them unmanaged.
 */
export function readHandover(): DaemonHandover | null {
  const text = process.env[HANDOVER_ENV];
  if (text === undefined) return null;
  delete process.env[HANDOVER_ENV];
  const fd = Number(text);
  if (!Number.isInteger(fd) || fd < 0) throw new Error(`${HANDOVER_ENV}=${JSON.stringify(text)} is not an fd number`);
  const state = JSON.parse(new TextDecoder().decode(readAllAndClose(fd))) as DaemonHandover;
  if (!READABLE_FORMATS.includes(state.format)) {
    throw new Error(`hand-over format ${state.format} is not one this version reads (${READABLE_FORMATS.join(", ")})`);
  }
  return state;
}

/** Publish `daemon.upgrade` (after) once the previous image's subscribers are back (or a moment passed). */
export async function announceUpgraded(
  arbiter: Arbiter,
  state: DaemonHandover,
  subscribers: () => number,
): Promise<void> {
  const deadline = Date.now() + SUBSCRIBERS_BACK_MS;
  while (subscribers() < state.pubsub.subscribers && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  arbiter.bus.publish(UPGRADE_TOPIC, {
    phase: "after",
    from: state.from,
    to: VERSION,
    upgrades: state.upgrades,
    workers: arbiter.numprocesses(),
    time: epochSeconds(),
  });
}

/** `circus daemon --check CONFIG`'s last line: what an upgrading daemon reads before it execs this binary. */
export function checkAnswer(): string {
  return JSON.stringify({ version: VERSION, handover: READABLE_FORMATS });
}
