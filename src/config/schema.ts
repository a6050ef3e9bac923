// Option tables: every known key of [circus], [watcher:*] and [socket:*] with its type and default.

import type { CircusOptions, SocketConfig, WatcherConfig } from "./types.ts";

/** How a key's value is read (`?` = may be absent → null). */
export type OptionType = "str" | "str?" | "bool" | "int" | "float" | "signal" | "octal?" | "id?" | "list" | "args";

export const CIRCUS_DEFAULTS: CircusOptions = {
  endpoint: "tcp://127.0.0.1:5555",
  endpoint_owner: null,
  pubsub_endpoint: "tcp://127.0.0.1:5556",
  multicast_endpoint: "udp://237.219.251.97:12027",
  stats_endpoint: "tcp://127.0.0.1:5557",
  statsd: false,
  check_delay: 5.0,
  warmup_delay: 0,
  httpd: false,
  httpd_host: "localhost",
  httpd_port: 8080,
  httpd_auth_file: null,
  httpd_token_file: null,
  debug: false,
  pidfile: null,
  umask: null,
  loglevel: "info",
  logoutput: "-",
  loggerconfig: null,
  fqdn_prefix: null,
  tail_lines: 1000,
  hooks_timeout: 30,
};

/** Every key [circus] understands, with its type. */
export const CIRCUS_OPTIONS: Record<keyof CircusOptions | "include" | "include_dir" | "debug_gc", OptionType> = {
  endpoint: "str",
  endpoint_owner: "str?",
  pubsub_endpoint: "str",
  multicast_endpoint: "str",
  stats_endpoint: "str",
  statsd: "bool",
  check_delay: "float",
  warmup_delay: "int",
  include: "list",
  include_dir: "list",
  httpd: "bool",
  httpd_host: "str",
  httpd_port: "int",
  httpd_auth_file: "str?",
  httpd_token_file: "str?",
  debug: "bool",
  debug_gc: "bool",
  pidfile: "str?",
  umask: "octal?",
  loglevel: "str",
  logoutput: "str",
  loggerconfig: "str?",
  fqdn_prefix: "str?",
  tail_lines: "int",
  hooks_timeout: "float",
};

/** [circus] keys accepted for compatibility but inert here, with the reason shown as a warning. */
export const CIRCUS_INERT: Record<string, string> = {
  debug_gc: "Python garbage-collector debugging has no equivalent here; ignored",
};

/** Keys the Circus docs list for [circus] but 0.19 never reads. */
export const CIRCUS_UNREAD = new Set([
  "statsd_close_outputs",
  "httpd_close_outputs",
  "stream_backend",
  "papa_endpoint",
]);

/** Watcher fields that come straight from one option key. */
export type WatcherOptionKey = Exclude<
  keyof WatcherConfig,
  "name" | "rlimits" | "stdout_stream" | "stderr_stream" | "hooks" | "env" | "free" | "source"
>;

/** Circus 0.19 defaults of a watcher's plain options (also what `add` over the wire starts from). */
export const WATCHER_DEFAULTS: Pick<WatcherConfig, WatcherOptionKey> = {
  cmd: "",
  args: null,
  shell: false,
  shell_args: null,
  executable: null,
  working_dir: null,
  uid: null,
  gid: null,
  copy_env: false,
  warmup_delay: 0,
  autostart: true,
  numprocesses: 1,
  priority: 0,
  singleton: false,
  use_sockets: false,
  stdin_socket: null,
  close_child_stdin: true,
  close_child_stdout: false,
  close_child_stderr: false,
  send_hup: false,
  stop_signal: 15,
  stop_children: false,
  graceful_timeout: 30,
  max_retry: 5,
  max_age: 0,
  max_age_variance: 30,
  respawn: true,
  on_demand: false,
};

/** Every plain watcher option with its type (`warmup_delay` is an int in files, as in Circus). */
export const WATCHER_OPTIONS: Record<WatcherOptionKey, OptionType> = {
  cmd: "str",
  args: "args",
  shell: "bool",
  shell_args: "str?",
  executable: "str?",
  working_dir: "str?",
  uid: "id?",
  gid: "id?",
  copy_env: "bool",
  warmup_delay: "int",
  autostart: "bool",
  numprocesses: "int",
  priority: "int",
  singleton: "bool",
  use_sockets: "bool",
  stdin_socket: "str?",
  close_child_stdin: "bool",
  close_child_stdout: "bool",
  close_child_stderr: "bool",
  send_hup: "bool",
  stop_signal: "signal",
  stop_children: "bool",
  graceful_timeout: "float",
  max_retry: "int",
  max_age: "int",
  max_age_variance: "int",
  respawn: "bool",
  on_demand: "bool",
};

/** Python-only watcher options: accepted with a warning. `free` ones stay visible in `options`, as in Circus. */
export const WATCHER_PYTHON_ONLY: Record<string, { free: boolean; why: string }> = {
  virtualenv: {
    free: false,
    why: "Python virtualenvs are not managed here; put the venv's bin/ on PATH via [env:NAME] instead; ignored",
  },
  virtualenv_py_ver: { free: false, why: "only meaningful with virtualenv; ignored" },
  copy_path: { free: false, why: "sets PYTHONPATH from circusd's sys.path, which does not exist here; ignored" },
  use_papa: { free: true, why: "Papa support was removed in Circus 0.18; kept as an inert free option" },
  check_flapping: {
    free: true,
    why: "legacy flag; kept as a free option (flapping control comes with the Flapping plugin)",
  },
};

/** Key prefixes that open sub-option groups of a watcher section. */
export const WATCHER_GROUPS = ["stdout_stream.", "stderr_stream.", "hooks.", "rlimit_", "flapping."];

/** Resource limits a watcher may set with `rlimit_<name>` (Linux RLIMIT_* names). */
export const RLIMIT_NAMES = [
  "as",
  "cpu",
  "fsize",
  "data",
  "stack",
  "core",
  "rss",
  "nproc",
  "nofile",
  "memlock",
  "locks",
  "sigpending",
  "msgqueue",
  "nice",
  "rtprio",
  "rttime",
] as const;

/** Socket option keys and their types; `proto`, `family`, `type` are names checked by socket.ts. */
export const SOCKET_OPTIONS: Record<Exclude<keyof SocketConfig, "name" | "raw" | "source">, OptionType> = {
  host: "str",
  port: "int",
  family: "str",
  type: "str",
  proto: "str",
  backlog: "int",
  path: "str?",
  umask: "int",
  replace: "bool",
  interface: "str?",
  so_reuseport: "bool",
  blocking: "bool",
};

/** Socket defaults (Circus 0.19; umask 8 is read as decimal, a kept quirk). */
export const SOCKET_DEFAULTS = {
  host: "localhost",
  port: 8080,
  family: "AF_INET",
  type: "SOCK_STREAM",
  proto: 0,
  backlog: 2048,
  umask: 8,
} as const;
