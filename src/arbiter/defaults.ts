// Circus's default watcher and daemon options, so a library user (or a test) can describe a watcher with
// just a name and a command. The config loader has its own defaults for files; this is the minimal set the
// arbiter needs when it is driven without a config file (Circus's get_arbiter).

import type { CircusOptions, WatcherConfig } from "../config/types.ts";

export type WatcherInput = Partial<WatcherConfig> & { name: string; cmd: string };

/** A full WatcherConfig from a partial one, using Circus 0.19's defaults (§1.4). */
export function watcherDefaults(input: WatcherInput): WatcherConfig {
  return {
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
    rlimits: {},
    stdout_stream: null,
    stderr_stream: null,
    hooks: {},
    env: {},
    free: {},
    source: null,
    ...input,
  };
}

/** Circus 0.19's `[circus]` defaults (§1.3). */
export function circusDefaults(input: Partial<CircusOptions> = {}): CircusOptions {
  return {
    endpoint: "tcp://127.0.0.1:5555",
    endpoint_owner: null,
    pubsub_endpoint: "tcp://127.0.0.1:5556",
    multicast_endpoint: "udp://237.219.251.97:12027",
    stats_endpoint: "tcp://127.0.0.1:5557",
    statsd: false,
    check_delay: 5,
    warmup_delay: 0,
    httpd: false,
    httpd_host: "localhost",
    httpd_port: 8080,
    debug: false,
    pidfile: null,
    umask: null,
    loglevel: "info",
    logoutput: "-",
    loggerconfig: null,
    fqdn_prefix: null,
    tail_lines: 100,
    hooks_timeout: 30,
    ...input,
  };
}
