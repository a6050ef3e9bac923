// Option tables: every known key of [circus], [watcher:*] and [socket:*] with its type and default.

/** How a key's value is read (`?` = may be absent → null). */
export type OptionType = "str" | "str?" | "bool" | "int" | "float" | "signal" | "octal?" | "id?" | "list" | "args";

export interface OptionSpec {
  type: OptionType;
  default: string | number | boolean | null;
  /** Accepted for compatibility but inert here; the text explains why (shown as a warning). */
  inert?: string;
}

export const CIRCUS_OPTIONS: Record<string, OptionSpec> = {
  endpoint: { type: "str", default: "tcp://127.0.0.1:5555" },
  endpoint_owner: { type: "str?", default: null },
  pubsub_endpoint: { type: "str", default: "tcp://127.0.0.1:5556" },
  multicast_endpoint: { type: "str", default: "udp://237.219.251.97:12027" },
  stats_endpoint: { type: "str", default: "tcp://127.0.0.1:5557" },
  statsd: { type: "bool", default: false },
  check_delay: { type: "float", default: 5.0 },
  warmup_delay: { type: "int", default: 0 },
  include: { type: "list", default: null },
  include_dir: { type: "list", default: null },
  httpd: { type: "bool", default: false },
  httpd_host: { type: "str", default: "localhost" },
  httpd_port: { type: "int", default: 8080 },
  debug: { type: "bool", default: false },
  debug_gc: { type: "bool", default: false, inert: "Python garbage-collector debugging has no equivalent here; ignored" },
  pidfile: { type: "str?", default: null },
  umask: { type: "octal?", default: null },
  loglevel: { type: "str", default: "info" },
  logoutput: { type: "str", default: "-" },
  loggerconfig: { type: "str?", default: null },
  fqdn_prefix: { type: "str?", default: null },
  tail_lines: { type: "int", default: 1000 },
  hooks_timeout: { type: "float", default: 30 },
};

/** Keys the Circus docs list for [circus] but 0.19 never reads. */
export const CIRCUS_UNREAD = new Set(["statsd_close_outputs", "httpd_close_outputs", "stream_backend", "papa_endpoint"]);

export const WATCHER_OPTIONS: Record<string, OptionSpec> = {
  cmd: { type: "str", default: "" },
  args: { type: "args", default: null },
  shell: { type: "bool", default: false },
  shell_args: { type: "str?", default: null },
  executable: { type: "str?", default: null },
  working_dir: { type: "str?", default: null },
  uid: { type: "id?", default: null },
  gid: { type: "id?", default: null },
  copy_env: { type: "bool", default: false },
  warmup_delay: { type: "int", default: 0 },
  autostart: { type: "bool", default: true },
  numprocesses: { type: "int", default: 1 },
  priority: { type: "int", default: 0 },
  singleton: { type: "bool", default: false },
  use_sockets: { type: "bool", default: false },
  stdin_socket: { type: "str?", default: null },
  close_child_stdin: { type: "bool", default: true },
  close_child_stdout: { type: "bool", default: false },
  close_child_stderr: { type: "bool", default: false },
  send_hup: { type: "bool", default: false },
  stop_signal: { type: "signal", default: 15 },
  stop_children: { type: "bool", default: false },
  graceful_timeout: { type: "float", default: 30 },
  max_retry: { type: "int", default: 5 },
  max_age: { type: "int", default: 0 },
  max_age_variance: { type: "int", default: 30 },
  respawn: { type: "bool", default: true },
  on_demand: { type: "bool", default: false },
};

/** Python-only watcher options: accepted with a warning. `free` ones stay visible in `options`, as in Circus. */
export const WATCHER_PYTHON_ONLY: Record<string, { free: boolean; why: string }> = {
  virtualenv: { free: false, why: "Python virtualenvs are not managed here; put the venv's bin/ on PATH via [env:NAME] instead; ignored" },
  virtualenv_py_ver: { free: false, why: "only meaningful with virtualenv; ignored" },
  copy_path: { free: false, why: "sets PYTHONPATH from circusd's sys.path, which does not exist here; ignored" },
  use_papa: { free: true, why: "Papa support was removed in Circus 0.18; kept as an inert free option" },
  check_flapping: { free: true, why: "legacy flag; kept as a free option (flapping control comes with the Flapping plugin)" },
};

/** Key prefixes that open sub-option groups of a watcher section. */
export const WATCHER_GROUPS = ["stdout_stream.", "stderr_stream.", "hooks.", "rlimit_", "flapping."];

/** Resource limits a watcher may set with `rlimit_<name>` (Linux RLIMIT_* names). */
export const RLIMIT_NAMES = [
  "as", "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock",
  "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
] as const;

export const SOCKET_OPTIONS: Record<string, OptionSpec> = {
  host: { type: "str", default: "localhost" },
  port: { type: "int", default: 8080 },
  family: { type: "str", default: "AF_INET" },
  type: { type: "str", default: "SOCK_STREAM" },
  proto: { type: "str", default: "0" },
  backlog: { type: "int", default: 2048 },
  path: { type: "str?", default: null },
  umask: { type: "int", default: 8 },
  replace: { type: "bool", default: false },
  interface: { type: "str?", default: null },
  so_reuseport: { type: "bool", default: false },
  blocking: { type: "bool", default: false },
};
