// In-process event bus carrying Circus's watcher events (§4). The protocol layer subscribes once and
// republishes every event on the ZeroMQ PUB socket; plugins and tests subscribe the same way.

import { getLogger } from "../util/log.ts";

const log = getLogger("circus.bus");

/** The events a watcher emits, as named in Circus topics. */
export type WatcherEvent =
  | "spawn"
  | "reap"
  | "kill"
  | "start"
  | "stop"
  | "reload"
  | "updated"
  | "add"
  | "remove"
  | "hook_success"
  | "hook_failure"
  /** Beyond Circus (decisions §1): max_retry ran out; payload `{time, error}`. */
  | "spawn_failed"
  /**
   * Beyond Circus: spawning fails and is retried without end (EMFILE, EAGAIN, ENOMEM…, or max_retry
   * = -1), once per episode; payload `{time, error, transient}`. Running processes are kept.
   */
  | "spawn_retrying"
  /**
   * Beyond Circus, watchers with a readiness probe only: `{process_pid, time}` when a process passed its
   * probe; `{time}` (no pid) when the watcher has all its processes ready again.
   */
  | "ready";

export type EventPayload = Record<string, unknown>;
export type EventListener = (topic: string, payload: EventPayload) => void;

/** Circus's topic spelling: `watcher.<name lower-cased, spaces → _>.<event>`. */
export function watcherTopic(watcherName: string, event: WatcherEvent): string {
  return `watcher.${watcherName.toLowerCase().replace(/ /g, "_")}.${event}`;
}

/** Seconds since the epoch as a float, the `time` field of every payload. */
export function epochSeconds(ms: number = Date.now()): number {
  return ms / 1000;
}

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  /** Deliver synchronously, in subscription order; a throwing listener never stops the others. */
  publish(topic: string, payload: EventPayload): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(topic, payload);
      } catch (err) {
        log.error(`event listener failed on ${topic}: ${String(err)}`);
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
