// The live stream of the pages (server-sent events): a snapshot when a page connects, then the
// changes as the daemon link reports them. A page that stops reading is dropped rather than
// buffered without bound; its EventSource reconnects and starts again from a fresh snapshot.

import type { FollowedDaemon, LinkChange } from "./link.ts";
import type { Session, SessionStore } from "./sessions.ts";
import {
  connectionView,
  processesView,
  snapshotView,
  tickCommon,
  tickProcesses,
  watcherView,
  type Viewer,
} from "./views.ts";

/** Chunks a page may have unread before it is dropped (a second of ticks is one chunk). */
const MAX_UNREAD = 512;
const HEARTBEAT_MS = 15_000;

const encoder = new TextEncoder();

interface LivePage {
  session: Session;
  viewer: Viewer;
  watcher: string | null;
  controller: ReadableStreamDefaultController<Uint8Array>;
  unfollow: (() => void) | null;
  closed: boolean;
}

function frame(event: string, data: string): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${data}\n\n`);
}

export class LiveHub {
  private readonly pages = new Set<LivePage>();
  private link: FollowedDaemon | null = null;
  private detach: (() => void) | null = null;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  /**
   * Counts every change sent to the pages. A page's HTML carries a snapshot taken at some
   * generation; its stream skips the snapshot when nothing changed since (the usual case), so the
   * first render does not wait for the stream and is not drawn twice.
   */
  generation = 0;

  constructor(private readonly sessions: SessionStore) {
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
  }

  /** Follow a (new) daemon link; every open page gets a fresh snapshot. */
  attach(link: FollowedDaemon | null): void {
    this.generation += 1;
    this.detach?.();
    this.link = link;
    this.detach = link ? link.onChange((c) => this.onChange(c)) : null;
    for (const page of this.pages) {
      page.unfollow?.();
      page.unfollow = link && page.watcher ? link.follow(page.watcher) : null;
      this.send(page, "snapshot", this.snapshot(page.viewer, page.watcher));
    }
  }

  /**
   * Open the stream of one page; `watcher` is the watcher page's watcher (null elsewhere). `since`
   * is the generation of the snapshot the page already drew, if any.
   */
  open(
    session: Session,
    viewer: Viewer,
    watcher: string | null,
    signal: AbortSignal,
    since: number | null = null,
  ): Response {
    let page: LivePage | null = null;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          page = { session, viewer, watcher, controller, unfollow: null, closed: false };
          this.pages.add(page);
          if (this.link && watcher) page.unfollow = this.link.follow(watcher);
          controller.enqueue(encoder.encode("retry: 2000\n\n"));
          if (since !== this.generation) this.send(page, "snapshot", this.snapshot(viewer, watcher));
        },
        cancel: () => {
          if (page) this.close(page, false);
        },
      },
      { highWaterMark: 64 },
    );
    signal.addEventListener("abort", () => page && this.close(page, false));
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** A snapshot as JSON, with the generation it was taken at. */
  snapshot(viewer: Viewer, watcher: string | null): string {
    return JSON.stringify({ ...snapshotView(this.link, viewer, watcher), generation: this.generation });
  }

  get size(): number {
    return this.pages.size;
  }

  private send(page: LivePage, event: string, data: string): void {
    if (page.closed) return;
    if ((page.controller.desiredSize ?? 0) < -MAX_UNREAD) {
      this.close(page, true);
      return;
    }
    try {
      page.controller.enqueue(frame(event, data));
    } catch {
      this.close(page, false);
    }
  }

  private close(page: LivePage, end: boolean): void {
    if (page.closed) return;
    page.closed = true;
    this.pages.delete(page);
    page.unfollow?.();
    if (end) {
      try {
        page.controller.close();
      } catch {
        // already closed by the client
      }
    }
  }

  /** A page whose session ended is told so (it goes to the login page) and closed. */
  private alive(page: LivePage): boolean {
    if (this.sessions.get(page.session.id)) return true;
    this.send(page, "expired", "{}");
    this.close(page, true);
    return false;
  }

  private beat(): void {
    for (const page of this.pages) {
      if (!this.alive(page)) continue;
      try {
        page.controller.enqueue(encoder.encode(": ping\n\n"));
      } catch {
        this.close(page, false);
      }
    }
  }

  private onChange(change: LinkChange): void {
    const link = this.link;
    if (!link) return;
    this.generation += 1;
    const model = link.model;
    switch (change.kind) {
      case "tick": {
        const tick = model.takeTick();
        if (!tick) return;
        const common = tickCommon(tick);
        const perWatcher = new Map<string, string>();
        for (const page of this.pages) {
          if (!this.alive(page)) continue;
          if (!page.watcher) {
            this.send(page, "tick", `{"common":${common}}`);
            continue;
          }
          let pids = perWatcher.get(page.watcher);
          if (pids === undefined) {
            pids = tickProcesses(tick, page.watcher);
            perWatcher.set(page.watcher, pids);
          }
          this.send(page, "tick", `{"common":${common},"pids":${pids}}`);
        }
        return;
      }
      case "watcher": {
        const w = model.watchers.get(change.name);
        if (!w) return;
        this.broadcast("watcher", JSON.stringify(watcherView(model, w, 0)));
        this.forWatcher(change.name, "options", () => JSON.stringify({ name: w.name, options: w.options }));
        return;
      }
      case "removed":
        this.broadcast("removed", JSON.stringify({ name: change.name }));
        return;
      case "event":
        this.broadcast("feed", JSON.stringify(change.event));
        return;
      case "sockets":
      case "connection":
        this.broadcast("connection", JSON.stringify(connectionView(link)));
        if (change.kind === "sockets") {
          for (const page of this.pages) this.send(page, "snapshot", this.snapshot(page.viewer, page.watcher));
        }
        return;
      case "processes":
        this.forWatcher(change.name, "processes", () => JSON.stringify(processesView(model, change.name)));
        return;
      case "logs": {
        const tail = link.tailOf(change.name);
        this.forWatcher(change.name, "logs", () => JSON.stringify({ lines: change.lines, error: tail?.error ?? null }));
        return;
      }
    }
  }

  private broadcast(event: string, data: string): void {
    for (const page of this.pages) this.send(page, event, data);
  }

  private forWatcher(name: string, event: string, data: () => string): void {
    let text: string | null = null;
    for (const page of this.pages) {
      if (page.watcher !== name) continue;
      text ??= data();
      this.send(page, event, text);
    }
  }

  /** End every stream (the console is stopping). */
  closeAll(): void {
    clearInterval(this.heartbeat);
    this.detach?.();
    for (const page of [...this.pages]) this.close(page, true);
  }
}
