// WatchDog (circus.plugins.watchdog.WatchDog): workers send UDP heartbeats (`<pid>;<timestamp>` by
// default); a worker silent for `loop_rate × max_count` seconds is killed, and its watcher replaces it.
// Run from a config, the daemon binds the UDP socket and passes it (`--fd`), so a restart of the plugin
// never meets EADDRINUSE (decisions §5).

import type { EventTopic, WatcherEventData } from "../events.ts";
import { float, int, optional, PythonRegExp, regex, signal, text } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option, type ValuesOf } from "../../config/options/spec.ts";
import { CircusPlugin, type ListenAddress, PERIOD, PORT } from "../plugin.ts";

export const WATCHDOG_OPTIONS = {
  loop_rate: option(float, {
    default: 60,
    range: PERIOD,
    doc: "seconds between two checks for silent processes",
  }),
  watchers_regex: option(regex, {
    default: new PythonRegExp(".*"),
    doc: "watchers to look after (matched at the start of the name)",
  }),
  msg_regex: option(regex, {
    default: new PythonRegExp("^(?P<pid>.*);(?P<timestamp>.*)$"),
    doc: "how to read a heartbeat; the group `pid` names the sender",
  }),
  max_count: option(int, {
    default: 3,
    range: { min: 1, text: "1 or more checks" },
    doc: "checks without a heartbeat before the process is killed",
  }),
  ip: option(text, { default: "127.0.0.1", doc: "address the heartbeat socket listens on" }),
  port: option(int, { default: 1664, range: PORT, doc: "UDP port of the heartbeat socket" }),
  watchers_stop_signal: option(optional(signal), {
    default: null,
    doc: "signal to kill a silent process with (default: its watcher's stop_signal)",
  }),
  watchers_graceful_timeout: option(optional(float), {
    default: null,
    range: { min: 0, text: "0 or more seconds" },
    doc: "seconds before SIGKILL (default: its watcher's graceful_timeout)",
  }),
};

type WatchdogValues = ValuesOf<typeof WATCHDOG_OPTIONS>;
type DgramSocket = import("node:dgram").Socket;

interface Monitored {
  watcher: string;
  lastActivity: number;
}

export class WatchDog extends CircusPlugin<typeof WATCHDOG_OPTIONS> {
  static override pluginName = "watchdog";
  static override options: PluginOptionTable = WATCHDOG_OPTIONS;
  private readonly pids = new Map<string, Monitored>();
  private socket: DgramSocket | null = null;
  private readonly unknownSenders = new Set<string>();

  static listenAddress(options: Record<string, unknown>): ListenAddress {
    const o = options as WatchdogValues;
    return { type: "udp", host: o.ip, port: o.port };
  }

  /** The port heartbeats go to (after binding; useful with port 0). */
  get port(): number | null {
    return this.socket?.address().port ?? null;
  }

  override async handleInit(): Promise<void> {
    await this.bind();
    await this.discover();
    this.every(this.options.loop_rate, () => this.lookAfter());
  }

  override handleRecv(topic: EventTopic, event: WatcherEventData): void {
    if (!this.options.watchers_regex.test(topic.watcher)) return;
    if (event.process_pid === undefined) return;
    const pid = String(event.process_pid);
    if (topic.action === "spawn") {
      this.pids.set(pid, { watcher: topic.watcher, lastActivity: Date.now() });
      this.logger.info(`added new monitored pid for ${topic.watcher}:${pid}`);
    } else if (topic.action === "reap" && this.pids.delete(pid)) {
      this.logger.info(`removed monitored pid for ${topic.watcher}:${pid}`);
    }
  }

  override handleStop(): void {
    this.socket?.close();
    this.socket = null;
  }

  /** Record a heartbeat (exported for tests of the message format). */
  heartbeat(text: string): void {
    const groups = this.options.msg_regex.exec(text)?.groups;
    const pid = groups?.pid?.trim();
    if (pid === undefined) {
      this.logger.debug(`watchdog message not understood: ${JSON.stringify(text)}`);
      return;
    }
    const entry = this.pids.get(pid);
    if (entry) entry.lastActivity = Date.now();
    else if (!this.unknownSenders.has(pid)) {
      this.unknownSenders.add(pid);
      this.logger.warning(`received watchdog for a non monitored process: ${pid}`);
    }
  }

  private async bind(): Promise<void> {
    const dgram = await import("node:dgram");
    const socket = dgram.createSocket(this.options.ip.includes(":") ? "udp6" : "udp4");
    socket.on("message", (data) => this.heartbeat(data.toString("utf8")));
    socket.on("error", (err) => this.logger.error(`watchdog socket: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      const done = () => {
        socket.off("error", reject);
        resolve();
      };
      if (this.listenFd !== null)
        socket.bind({ fd: this.listenFd } as unknown as { port: number }, done); // node's types lack `fd`
      else socket.bind(this.options.port, this.options.ip, done);
    });
    this.socket = socket;
    const a = socket.address();
    this.logger.info(`Watchdog listening UDP on ${a.address}:${a.port}`);
  }

  /** Every live pid of the watched watchers, as if each had just sent a heartbeat (Circus's discovery). */
  private async discover(): Promise<void> {
    const list = await this.call("list");
    for (const name of (list.watchers ?? []) as string[]) {
      const topicName = name.replace(/ /g, "_");
      if (!this.options.watchers_regex.test(topicName)) continue;
      const reply = await this.call("list", { name });
      for (const pid of (reply.pids ?? []) as number[]) {
        this.pids.set(String(pid), { watcher: topicName, lastActivity: Date.now() });
        this.logger.info(`discovered: ${name}, pid:${pid}`);
      }
    }
  }

  private async lookAfter(): Promise<void> {
    const tooOld = Date.now() - this.options.loop_rate * this.options.max_count * 1000;
    for (const [pid, entry] of [...this.pids]) {
      if (entry.lastActivity >= tooOld) continue;
      this.logger.info(`watcher:${entry.watcher}, pid:${pid} is not responding. Kill it !`);
      const props: Record<string, string | number> = { name: await this.realName(entry.watcher), pid: Number(pid) };
      if (this.options.watchers_stop_signal !== null) props.signum = this.options.watchers_stop_signal;
      if (this.options.watchers_graceful_timeout !== null)
        props.graceful_timeout = this.options.watchers_graceful_timeout;
      this.cast("kill", props);
      // The watcher stops it (within its graceful timeout) and spawns a replacement, announced by `spawn`.
      this.pids.delete(pid);
    }
  }
}
