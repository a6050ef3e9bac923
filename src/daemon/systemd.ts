// The daemon as a systemd `Type=notify` service (sd_notify(3)): READY=1 once every watcher that counts
// is ready (arbiter.readiness(): the critical ones, else every autostart one), STATUS= with a summary
// as it changes, WATCHDOG=1 from the event loop every half WatchdogSec, STOPPING=1 when the stop begins.
// Without NOTIFY_SOCKET (not run by systemd) nothing is sent.

import type { Arbiter } from "../arbiter/arbiter.ts";
import { SystemdNotifier, watchdogIntervalMs } from "../os/systemd.ts";
import { getLogger } from "../util/log.ts";

const log = getLogger("circus");

/** Summaries closer together than this are merged, so a mass spawn does not flood systemd. */
const STATUS_MS = 200;
/** The events after which readiness or the summary may have changed (never per-process ones). */
const WATCHER_EVENTS = /\.(start|stop|ready|reload|spawn_failed|add|remove)$/;

export class SystemdService {
  private readySent = false;
  private lastStatus = "";
  private statusTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private arbiter: Arbiter | null = null;

  private constructor(
    private readonly notifier: SystemdNotifier,
    private readonly watchdogMs: number | null,
  ) {}

  /** The service of this process, or null when systemd does not listen (NOTIFY_SOCKET unset in `env`). */
  static fromEnv(env: Record<string, string | undefined>): SystemdService | null {
    const watchdogMs = watchdogIntervalMs(env);
    let notifier: SystemdNotifier | null = null;
    try {
      notifier = SystemdNotifier.fromEnv(env);
    } catch (err) {
      log.warning(`NOTIFY_SOCKET is unusable, systemd will not hear from the daemon: ${(err as Error).message}`);
    }
    return notifier === null ? null : new SystemdService(notifier, watchdogMs);
  }

  /** Follow `arbiter`: STATUS= as watchers change, READY=1 once they are all ready; start the watchdog pings. */
  attach(arbiter: Arbiter): void {
    this.arbiter = arbiter;
    this.unsubscribe = arbiter.bus.subscribe((topic) => {
      if (WATCHER_EVENTS.test(topic)) this.changed();
      // A watcher's first spawn is its only sign of going from stopped to starting (no event of its own
      // says so): without it, a watcher starting more than STATUS_MS after this attach was never shown
      // starting. A spawn cannot make the daemon ready, so it only schedules a summary (a cheap check).
      else if (topic.endsWith(".spawn")) this.scheduleStatus();
    });
    if (this.watchdogMs !== null) {
      this.watchdog = setInterval(() => this.send({ WATCHDOG: 1 }), this.watchdogMs);
      this.send({ WATCHDOG: 1 });
    }
    this.changed();
  }

  /** The stop begins: STOPPING=1 (the watchdog keeps pinging while the workers stop). */
  stopping(): void {
    this.flushStatus();
    this.send({ STOPPING: 1, STATUS: "stopping all watchers" });
  }

  /** The daemon is about to exit: no more messages. */
  close(): void {
    this.unsubscribe?.();
    if (this.watchdog !== null) clearInterval(this.watchdog);
    if (this.statusTimer !== null) clearTimeout(this.statusTimer);
    this.watchdog = null;
    this.statusTimer = null;
    this.notifier.close();
  }

  private changed(): void {
    const report = this.arbiter?.readiness();
    if (report === undefined) return;
    if (report.ready && !this.readySent) {
      this.readySent = true;
      this.flushStatus();
      this.send({ READY: 1, STATUS: this.summary() });
      return;
    }
    this.scheduleStatus();
  }

  /** Send the summary STATUS_MS from now (once, however many changes come meanwhile). */
  private scheduleStatus(): void {
    this.statusTimer ??= setTimeout(() => this.flushStatus(), STATUS_MS);
  }

  private flushStatus(): void {
    if (this.statusTimer !== null) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    const status = this.summary();
    if (status !== this.lastStatus) this.send({ STATUS: status });
  }

  /** `3 watchers: web active 4/4 ready, db starting 0/1 ready, cron stopped`. */
  private summary(): string {
    const watchers = this.arbiter?.watchers() ?? [];
    const parts = watchers.map((w) => {
      const state = w.status();
      if (state === "stopped") return `${w.name} stopped`;
      return `${w.name} ${state} ${w.readyCount()}/${w.numprocesses} ready`;
    });
    return `${watchers.length} watcher${watchers.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
  }

  private send(fields: Record<string, string | number>): void {
    if (typeof fields.STATUS === "string") this.lastStatus = fields.STATUS;
    try {
      this.notifier.send(fields);
    } catch (err) {
      log.debug(`sd_notify ${Object.keys(fields).join(",")}: ${(err as Error).message}`);
    }
  }
}
