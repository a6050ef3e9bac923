// The endpoint_owner boundary. With `[circus] endpoint_owner = alice` and an ipc control endpoint, the
// socket is alice's: requests from her (told apart by SO_PEERCRED) may start, stop and read anything,
// but may only create and change watchers that run as alice, with files alice could write herself; a
// watcher that runs as anyone else keeps what it runs, as whom and with which hooks and streams. Hooks
// and stream modules run inside the daemon, so they come from the config file only. Root (and the
// daemon's own user) are not limited.

import { applyWatcherOption } from "../config/options/watcher-wire.ts";
import type { CircusConfig } from "../config/types.ts";
import { streamClassOf } from "../config/options/stream.ts";
import type { WireValue } from "../config/options/spec.ts";
import type { StreamConfig, WatcherConfig } from "../config/types.ts";
import { type Credentials, whyCannotEnter, whyCannotWrite } from "../os/fs.ts";
import { resolveGroup, resolveUser, supplementaryGroups } from "../os/users.ts";
import { dirname, isAbsolute, resolve } from "../util/path.ts";
import { messageError } from "./errors.ts";
import { whyUntrustedSource } from "./security.ts";

/** The non-root endpoint_owner whose requests the boundary limits. */
export interface OwnerLimits extends Credentials {
  name: string;
}

/** Who sent a request, as far as the daemon can tell. */
export interface Requester {
  /** The peer's uid from SO_PEERCRED on an ipc endpoint; null over tcp. */
  uid: number | null;
  /** Set when the request comes from the limited endpoint_owner. */
  owner: OwnerLimits | null;
  /**
   * Over tcp: the uid owning the client's socket when the client runs on this host (from
   * /proc/net/tcp), null for a remote one. A function: only `upgrade` asks, the others never pay for it.
   */
  tcpUid?: () => number | null;
}

/**
 * The limits of `endpoint_owner` on `endpoint`, or null when there are none: no owner, a tcp endpoint
 * (as in Circus, endpoint_owner applies to ipc only), or an owner who is root or the daemon's own user.
 */
export function ownerLimits(endpointOwner: string | null, endpoint: string): OwnerLimits | null {
  if (endpointOwner === null || !endpoint.startsWith("ipc://")) return null;
  const user = resolveUser(endpointOwner);
  if (user.uid === 0 || user.uid === process.geteuid?.()) return null;
  return { name: user.name, uid: user.uid, groups: supplementaryGroups(user.name, user.gid) };
}

/** Whether a watcher whose `uid` option is this runs as the owner. */
function runsAs(owner: OwnerLimits, uid: string | number | null): boolean {
  if (uid === null) return false; // the daemon's own user
  if (uid === owner.uid || uid === owner.name) return true;
  try {
    return resolveUser(uid).uid === owner.uid;
  } catch {
    return false; // an unknown user is nobody the owner may act as
  }
}

/** The options that decide what a watcher runs, as whom, and what the daemon itself loads or writes for it. */
const EXECUTION: readonly (keyof WatcherConfig)[] = [
  "cmd",
  "args",
  "shell",
  "shell_args",
  "executable",
  "working_dir",
  "uid",
  "gid",
  "env",
  "copy_env",
  "rlimits",
  "hooks",
  "stdout_stream",
  "stderr_stream",
];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Refused, with the reason in Circus's error shape (errno 3). */
function refuse(reason: string): never {
  throw messageError(reason);
}

/** A stream the owner may configure: a built-in, writing (if at all) to a file the owner could write. */
function checkStream(owner: OwnerLimits, key: string, stream: StreamConfig | null, configDir: string): void {
  if (stream === null) return;
  const cls = streamClassOf(stream);
  if (typeof cls === "object" && "module" in cls) {
    refuse(`${key}: stream modules run inside the daemon and come from the config file only`);
  }
  if (cls !== "FileStream" && cls !== "WatchedFileStream" && cls !== "TimedRotatingFileStream") return;
  const filename = stream.filename?.trim();
  if (!filename) return; // a fresh temp file of the daemon's
  const path = isAbsolute(filename) ? filename : resolve(configDir, filename);
  const why = whyCannotWrite(path, owner);
  if (why) refuse(`${key}: endpoint_owner ${owner.name} could not write ${path} itself (${why})`);
}

/**
 * Check a watcher as the owner would leave it: `before` is the watcher as it runs (null for `add`),
 * `after` with the request applied; relative stream files are read against `configDir`, as the daemon
 * opens them. Throws a CommandError (errno 3) naming what is refused and why.
 */
export function checkOwnerChange(
  owner: OwnerLimits,
  before: Readonly<WatcherConfig> | null,
  after: WatcherConfig,
  configDir: string,
): void {
  const changed = (key: keyof WatcherConfig) => before === null || !same(before[key], after[key]);
  // The daemon runs a ready.cmd probe itself (as root), whoever the watcher runs as: a command of the
  // owner's making there would run as root.
  if (after.ready.cmd !== null && after.ready.cmd.trim() !== "" && !same(before?.ready.cmd, after.ready.cmd)) {
    refuse(
      "ready.cmd runs as the daemon's user and comes from the config file only; use ready.http, ready.tcp, ready.log or ready.notify",
    );
  }
  if (before !== null && !runsAs(owner, before.uid)) {
    const key = EXECUTION.find(changed);
    if (key) {
      refuse(`watcher ${after.name} does not run as endpoint_owner ${owner.name}: only root may change its ${key}`);
    }
    return;
  }
  // Circus's own words when the uid is not the owner's.
  if (!runsAs(owner, after.uid)) refuse("uid does not match endpoint_owner");
  if (changed("gid") && after.gid !== null) {
    let gid: number;
    try {
      gid = resolveGroup(after.gid);
    } catch (err) {
      refuse(`gid: ${(err as Error).message}`);
    }
    if (!owner.groups.includes(gid)) refuse(`gid ${after.gid} is not a group of endpoint_owner ${owner.name}`);
  }
  if (changed("hooks") && Object.keys(after.hooks).length > 0) {
    refuse("hooks run inside the daemon and come from the config file only");
  }
  if (changed("copy_env") && after.copy_env) {
    refuse("copy_env would hand the daemon's own environment to endpoint_owner's watcher; give env instead");
  }
  if (changed("working_dir") && after.working_dir !== null) {
    const dir = resolve(after.working_dir); // the processes start from the daemon's directory
    const why = whyCannotEnter(dir, owner);
    if (why) refuse(`working_dir: endpoint_owner ${owner.name} could not enter ${dir} itself (${why})`);
  }
  if (changed("stdout_stream")) checkStream(owner, "stdout_stream", after.stdout_stream, configDir);
  if (changed("stderr_stream")) checkStream(owner, "stderr_stream", after.stderr_stream, configDir);
}

/** The watcher as `set` would leave it: a copy of `cfg` with every checked option applied. */
export function withOptionsApplied(
  cfg: Readonly<WatcherConfig>,
  options: Readonly<Record<string, WireValue>>,
  baseDir: string,
): WatcherConfig {
  const next = structuredClone(cfg) as WatcherConfig;
  for (const [key, value] of Object.entries(options)) applyWatcherOption(next, key, value, "set", baseDir);
  return next;
}

/**
 * What the endpoint_owner could change in the files the daemon runs code from: the config file, hook
 * and stream modules, plugin modules. "Hooks come from the config file only" holds only if the owner
 * cannot write that file or those modules; each problem names the file and the fix.
 */
export function untrustedSources(config: CircusConfig): string[] {
  const configDir = config.file ? dirname(resolve(config.file)) : process.cwd();
  const files = new Map<string, string>();
  if (config.file) files.set(resolve(config.file), "the config file");
  for (const w of config.watchers) {
    for (const [name, hook] of Object.entries(w.hooks)) {
      if (hook?.target.kind === "module") files.set(hook.target.module, `hook ${name} of watcher ${w.name}`);
    }
    for (const [key, stream] of [
      ["stdout_stream", w.stdout_stream],
      ["stderr_stream", w.stderr_stream],
    ] as const) {
      const cls = stream ? streamClassOf(stream) : null;
      if (cls && typeof cls === "object" && "module" in cls) {
        files.set(isAbsolute(cls.module) ? cls.module : resolve(configDir, cls.module), `${key} of watcher ${w.name}`);
      }
    }
  }
  for (const p of config.plugins) {
    if (p.target.startsWith("/")) files.set(p.target.slice(0, p.target.lastIndexOf(":")), `plugin ${p.name}`);
  }
  const problems: string[] = [];
  for (const [path, what] of files) {
    const why = whyUntrustedSource(path, what);
    if (why) problems.push(why);
  }
  return problems;
}
