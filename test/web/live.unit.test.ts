// The live stream of the pages, against a stand-in daemon link: a snapshot first, then ticks; a
// page that stops reading is dropped instead of buffered without end; an ended session is told so.

import { afterEach, describe, expect, test } from "bun:test";
import type { FollowedDaemon, LinkChange } from "../../src/web/link.ts";
import { LiveHub } from "../../src/web/live.ts";
import { ConsoleModel } from "../../src/web/model.ts";
import { SessionStore } from "../../src/web/sessions.ts";

/** A daemon link holding a real model; `emit` plays what the real link reports. */
class StandIn implements FollowedDaemon {
  readonly model = new ConsoleModel();
  readonly endpoint = "tcp://127.0.0.1:5555";
  state = "connected" as const;
  error = null;
  statsSource = "stream" as const;
  statsEndpoint = "tcp://127.0.0.1:5557";
  pubsubEndpoint = "tcp://127.0.0.1:5556";
  followed = new Map<string, number>();
  private listener: ((c: LinkChange) => void) | null = null;
  onChange(listener: (c: LinkChange) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }
  follow(name: string): () => void {
    this.followed.set(name, (this.followed.get(name) ?? 0) + 1);
    return () => this.followed.set(name, this.followed.get(name)! - 1);
  }
  tailOf(): null {
    return null;
  }
  emit(change: LinkChange): void {
    this.listener?.(change);
  }
  /** One stats round for watcher web: a tick for the hub to send. */
  round(i: number): void {
    this.model.ingestStat("stat.web.11", { pid: 11, cpu: i, mem_info1: "1.00M" }, 1000 + i);
    this.model.ingestStat("stat.web", { pid: [11] }, 1000 + i);
    this.emit({ kind: "tick" });
  }
}

const hubs: LiveHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.closeAll();
});

function setup(now = () => Date.now()) {
  const sessions = new SessionStore({ idleMs: 1000, now });
  const hub = new LiveHub(sessions);
  hubs.push(hub);
  const link = new StandIn();
  link.model.setStatuses({ web: "active" });
  hub.attach(link);
  return { sessions, hub, link };
}

async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<{ event: string; data: string }[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events: { event: string; data: string }[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    let end = text.indexOf("\n\n");
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) events.push({ event, data });
      end = text.indexOf("\n\n");
    }
  }
  reader.releaseLock();
  return events;
}

describe("live stream", () => {
  test("a page gets a snapshot, then a tick per round with its watcher's processes", async () => {
    const { sessions, hub, link } = setup();
    const session = sessions.create(null);
    const response = hub.open(session, { user: null, role: "admin" }, "web", new AbortController().signal);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(link.followed.get("web")).toBe(1);
    link.round(1);
    link.round(2);
    const events = await readEvents(response.body!, 3);
    expect(events.map((e) => e.event)).toEqual(["snapshot", "tick", "tick"]);
    expect(JSON.parse(events[0]!.data).watchers[0].name).toBe("web");
    expect(JSON.parse(events[2]!.data)).toEqual({
      common: { t: 1002, watchers: { web: [2, 1048576, 1] }, daemon: null, sockets: {} },
      pids: { "11": [2, 1048576] },
    });
  });

  test("a page that stops reading is dropped, and stops being followed", async () => {
    const { sessions, hub, link } = setup();
    const session = sessions.create(null);
    const response = hub.open(session, { user: null, role: "admin" }, "web", new AbortController().signal);
    expect(hub.size).toBe(1);
    for (let i = 0; i < 1000 && hub.size > 0; i++) link.round(i);
    expect(hub.size).toBe(0);
    expect(link.followed.get("web")).toBe(0);
    // What was queued is still readable, then the stream ends (the browser reconnects afresh).
    const reader = response.body!.getReader();
    let chunks = 0;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      chunks += 1;
    }
    expect(chunks).toBeGreaterThan(500);
    expect(chunks).toBeLessThan(700);
  });

  test("a page whose session ended is told so and closed", async () => {
    let now = 0;
    const { sessions, hub, link } = setup(() => now);
    const session = sessions.create({ user: "alice", role: "read" });
    const response = hub.open(session, { user: "alice", role: "read" }, null, new AbortController().signal);
    now = 5000;
    link.round(1);
    const events = await readEvents(response.body!, 5);
    expect(events.map((e) => e.event)).toEqual(["snapshot", "expired"]);
    expect(hub.size).toBe(0);
  });

  test("a page that drew the current snapshot from its HTML gets none again; a stale one does", async () => {
    const { sessions, hub, link } = setup();
    const viewer = { user: null, role: "admin" as const };
    const drawn = JSON.parse(hub.snapshot(viewer, null)).generation as number;
    const fresh = hub.open(sessions.create(null), viewer, null, new AbortController().signal, drawn);
    link.round(1);
    expect((await readEvents(fresh.body!, 1)).map((e) => e.event)).toEqual(["tick"]);
    const stale = hub.open(sessions.create(null), viewer, null, new AbortController().signal, drawn);
    link.round(2);
    expect((await readEvents(stale.body!, 2)).map((e) => e.event)).toEqual(["snapshot", "tick"]);
  });

  test("switching daemons sends every page a fresh snapshot", async () => {
    const { sessions, hub } = setup();
    const response = hub.open(sessions.create(null), { user: null, role: "admin" }, null, new AbortController().signal);
    const other = new StandIn();
    other.model.setStatuses({ api: "stopped" });
    hub.attach(other);
    const events = await readEvents(response.body!, 2);
    expect(events.map((e) => e.event)).toEqual(["snapshot", "snapshot"]);
    expect(JSON.parse(events[1]!.data).watchers.map((w: { name: string }) => w.name)).toEqual(["api"]);
  });
});
