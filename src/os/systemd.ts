// The two systemd protocols a service speaks, as sd_notify(3) and sd_listen_fds(3) define them:
// notification datagrams to $NOTIFY_SOCKET (READY=1, STATUS=…, STOPPING=1, WATCHDOG=1) and the
// listening sockets systemd passes from fd 3 on ($LISTEN_PID, $LISTEN_FDS, $LISTEN_FDNAMES).

import { UnixDatagramSender } from "./unixdgram.ts";

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

/** The variables systemd sets for the service's main process, and only for it. */
const SYSTEMD_VARIABLES = [
  "NOTIFY_SOCKET",
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
  "LISTEN_PID",
  "LISTEN_FDS",
  "LISTEN_FDNAMES",
];

/**
 * Move systemd's variables out of `env` into a record of their own. Done before the config is read:
 * copy_env copies the environment at load, and a worker must never notify or take sockets in the
 * daemon's name.
 */
export function takeSystemdEnvironment(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const taken: Record<string, string> = {};
  for (const name of SYSTEMD_VARIABLES) {
    const value = env[name];
    if (value !== undefined) taken[name] = value;
    delete env[name];
  }
  return taken;
}

/** Sends sd_notify messages to the socket systemd (or any supervisor) named in NOTIFY_SOCKET. */
export class SystemdNotifier {
  private readonly sender: UnixDatagramSender;

  private constructor(readonly socketPath: string) {
    this.sender = new UnixDatagramSender(socketPath);
  }

  /**
   * The notifier of this process, or null when nobody listens (no NOTIFY_SOCKET). The variable is
   * removed from `env` so workers started with copy_env do not notify systemd in the daemon's name.
   */
  static fromEnv(env: Record<string, string | undefined> = process.env): SystemdNotifier | null {
    const path = env.NOTIFY_SOCKET;
    delete env.NOTIFY_SOCKET;
    if (path === undefined || path === "") return null;
    return new SystemdNotifier(path);
  }

  /** Send `KEY=value` lines as one datagram; throws OsError when the socket is gone. */
  send(fields: Record<string, string | number>): void {
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${String(v).replace(/\n/g, " ")}`)
      .join("\n");
    this.sender.send(new TextEncoder().encode(text));
  }

  close(): void {
    this.sender.close();
  }
}

/**
 * How often systemd expects WATCHDOG=1 (half of WatchdogSec, as sd_watchdog_enabled(3) advises), in
 * ms, or null when no watchdog is set for this process. The variables are removed from `env`.
 */
export function watchdogIntervalMs(
  env: Record<string, string | undefined> = process.env,
  pid = process.pid,
): number | null {
  const usec = env.WATCHDOG_USEC;
  const forPid = env.WATCHDOG_PID;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (usec === undefined || !/^\d+$/.test(usec) || Number(usec) === 0) return null;
  if (forPid !== undefined && forPid !== "" && Number(forPid) !== pid) return null;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

/** One socket systemd passed, by its fd and name (`FileDescriptorName=`, default the socket unit's name). */
export interface ListenFd {
  fd: number;
  name: string;
}

/**
 * The sockets systemd passed to this process (sd_listen_fds_with_names). Empty unless LISTEN_PID is
 * ours; the variables are removed from `env` so children never take them for theirs.
 */
export function takeListenFds(env: Record<string, string | undefined> = process.env, pid = process.pid): ListenFd[] {
  const forPid = env.LISTEN_PID;
  const count = env.LISTEN_FDS;
  const names = env.LISTEN_FDNAMES;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (forPid === undefined || Number(forPid) !== pid || count === undefined || !/^\d+$/.test(count)) return [];
  const nameList = names?.split(":") ?? [];
  const out: ListenFd[] = [];
  for (let i = 0; i < Number(count); i++) {
    // Held like the sockets the daemon binds (not close-on-exec): workers get them at these numbers.
    out.push({ fd: LISTEN_FDS_START + i, name: nameList[i] ?? "unknown" });
  }
  return out;
}
