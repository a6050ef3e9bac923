// A watcher event as a plugin receives it: the topic already split into watcher name and action,
// the payload decoded. Names may contain dots (`watcher.my.app.reap`): the action is the last part.

/** The topic of one event, split. */
export interface EventTopic {
  /** As published: `watcher.<name>.<action>`. */
  topic: string;
  /** The watcher name as it appears in topics (lower-cased, spaces as `_`). */
  watcher: string;
  /** `spawn`, `reap`, `kill`, `start`, `stop`, `reload`, `updated`, `add`, `remove`, `hook_success`, … */
  action: string;
}

import type { ExitReason } from "../arbiter/exits.ts";

/** Why a process exited, in the `reason` key of `reap` events (decisions §2); absent from older daemons. */
export type { ExitReason };

/** The decoded payload of a watcher event; which keys are present depends on the action (§4). */
export interface WatcherEventData {
  time?: number;
  process_pid?: number;
  /** Exit status, or −signal number when the process was killed by a signal (reap). */
  exit_code?: number | null;
  reason?: ExitReason | string;
  /** Hook name (hook_success / hook_failure). */
  name?: string;
  /** Why spawning failed (spawn_failed, spawn_retrying) or a hook failed. */
  error?: string;
  /** spawn_retrying: a shortage (EMFILE, EAGAIN, ENOMEM…) rather than max_retry = -1 retrying a permanent failure. */
  transient?: boolean;
  [key: string]: unknown;
}

/** Split `watcher.<name>.<action>`; null for a topic of another shape. */
export function splitTopic(topic: string): EventTopic | null {
  if (!topic.startsWith("watcher.")) return null;
  const dot = topic.lastIndexOf(".");
  if (dot <= "watcher.".length) return null;
  return { topic, watcher: topic.slice("watcher.".length, dot), action: topic.slice(dot + 1) };
}

/** The payload as an event object (non-object JSON or text becomes `{}` with the text under `raw`). */
export function eventData(payload: unknown, raw: string): WatcherEventData {
  if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) return payload as WatcherEventData;
  return { raw };
}
