// `circus daemon --print-unit <config>`: the systemd unit for running that config, the one source of it
// (README shows its output; decisions §7). Read from the config: who the daemon must run as, whether the
// control endpoint is a private ipc socket, and how long a stop may take.

import { probeOf } from "../../config/options/ready.ts";
import type { CircusConfig } from "../../config/types.ts";
import { dirname } from "../../util/path.ts";
import { VERSION } from "../../version.ts";

export interface UnitOptions {
  /** argv prefix that runs this circus (the installed binary's absolute path). */
  command: string[];
  /** Absolute path of the config file. */
  configPath: string;
  /** `--pidfile` as given, absolute. */
  pidfile: string | null;
  /** Name of the user owning the config file (who the daemon runs as when no watcher switches users). */
  configOwner: string;
}

/** Runtime directory systemd creates for the unit (`RuntimeDirectory=circus` → /run/circus). */
export const RUNTIME_DIR = "/run/circus";

/**
 * Words of a command line as systemd reads them: quoted only when needed, and `%` and `$` doubled, since
 * systemd expands specifiers (`%h`) and variables (`$HOME`) inside quotes too.
 */
function commandLine(words: string[]): string {
  return words
    .map((w) => w.replace(/[%$]/g, "$&$&"))
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `"${w.replace(/(["\\])/g, "\\$1")}"`))
    .join(" ");
}

/** Why the daemon needs root, or null when it can run as the config's owner. */
function needsRoot(config: CircusConfig): string | null {
  const switching = config.watchers.filter((w) => w.uid !== null || w.gid !== null).map((w) => w.name);
  if (switching.length > 0) return `watcher${switching.length > 1 ? "s" : ""} ${switching.join(", ")} set uid/gid`;
  if (config.circus.endpoint_owner) return "endpoint_owner chowns the control socket";
  return null;
}

/**
 * How long systemd may wait for READY=1: the probes of a dependency chain run one after another, so
 * the sum of every probed watcher's ready.timeout (a bound, however the dependencies go) and a margin.
 */
function startTimeout(config: CircusConfig): number {
  const probed = config.watchers.filter((w) => probeOf(w.ready) !== null && w.autostart && !w.on_demand);
  const total = probed.reduce((sum, w) => sum + w.ready.timeout + w.warmup_delay * w.numprocesses, 0);
  return Math.max(90, Math.ceil(total) + 30);
}

/** The unit text for `config`. */
export function systemdUnit(config: CircusConfig, options: UnitOptions): string {
  const root = needsRoot(config);
  const user = root ? "root" : options.configOwner;
  const { endpoint, pubsub_endpoint } = config.circus;
  const ipcUnderRuntime = [endpoint, pubsub_endpoint].some((e) => e.startsWith(`ipc://${RUNTIME_DIR}/`));
  const graceful = Math.max(0, ...config.watchers.map((w) => w.graceful_timeout));
  const activated = config.sockets.filter((s) => s.systemd).map((s) => s.name);
  const exec = [...options.command, "daemon", options.configPath];
  if (options.pidfile) exec.push("--pidfile", options.pidfile);
  const lines = [
    `# circus.service, printed by \`circus daemon --print-unit ${options.configPath}\` (circus ${VERSION}).`,
    "# Save it as /etc/systemd/system/circus.service, then: systemctl daemon-reload && systemctl enable --now circus",
    "[Unit]",
    "Description=Circus process and socket manager",
    "Documentation=https://circus.readthedocs.io",
    "After=network.target",
    "",
    "[Service]",
    "# The daemon says READY=1 once every autostart watcher (every critical one, when any is) is ready,",
    "# and what it is waiting for in STATUS= (systemctl status shows it).",
    "Type=notify",
    "NotifyAccess=main",
    `TimeoutStartSec=${startTimeout(config)}`,
    "# WatchdogSec=30 makes systemd restart a daemon whose event loop stops answering: it pings every 15 s.",
    root
      ? `# root: ${root} (the daemon switches to them itself).`
      : "# The daemon runs as the config file's owner: no watcher switches users.",
    `User=${user}`,
    "# Relative paths in the config (cmd, stream files, a watcher without working_dir) are read from the",
    "# config's directory, as when the daemon is started by hand next to it.",
    `WorkingDirectory=${commandLine([dirname(options.configPath)])}`,
    `ExecStart=${commandLine(exec)}`,
    "# SIGHUP reloads every watcher gracefully: new processes up before the old ones go.",
    "ExecReload=/bin/kill -HUP $MAINPID",
    "# A new circus binary takes over in place, every worker kept: `circus ctl upgrade --waiting`, or",
    "# `systemctl kill -s USR2 circus` (same pid, so systemd keeps following it).",
    "# SIGTERM to the daemon alone: it stops its workers itself (graceful_timeout, then SIGKILL to each",
    "# worker's process group); systemd kills what is left when TimeoutStopSec runs out.",
    "KillMode=mixed",
    `TimeoutStopSec=${Math.max(60, Math.ceil(graceful) + 30)}`,
    "Restart=on-failure",
    "LimitNOFILE=65536",
    ipcUnderRuntime
      ? `# ${RUNTIME_DIR}, owned by User=, holds the ipc control socket (mode 0600: only User= may connect).`
      : `# The control endpoint ${endpoint} is open to every local user: an ipc endpoint such as\n# ipc://${RUNTIME_DIR}/control.sock in [circus] limits it to User= (the socket is made mode 0600).`,
    ...(activated.length > 0
      ? [
          `# [socket:${activated.join("], [socket:")}] ${activated.length > 1 ? "have" : "has"} systemd = true: a circus.socket unit passes ${activated.length > 1 ? "them" : "it"}`,
          `# (ListenStream= and FileDescriptorName=${activated[0]} per socket); the port then outlives a daemon restart.`,
        ]
      : []),
    "RuntimeDirectory=circus",
    "RuntimeDirectoryPreserve=restart",
    "# Hardening: no privilege gained through setuid programs, a private /tmp, /usr /boot /etc read-only,",
    "# kernel tunables, modules and control groups out of reach.",
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=full",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ];
  return lines.join("\n") + "\n";
}
