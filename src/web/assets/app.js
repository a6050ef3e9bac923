// The console's script: picks the page from <body data-page>, opens the live stream and hands each
// server event to the page. The header's connection line is kept here for every page.

import * as add from "./add.js";
import { live } from "./api.js";
import * as connect from "./connect.js";
import * as dashboard from "./dashboard.js";
import { setText } from "./dom.js";
import * as events from "./events.js";
import * as sockets from "./sockets.js";
import * as watcher from "./watcher.js";

/**
 * @typedef {{ mount(main: HTMLElement, context: Context): Page }} PageModule
 * @typedef {{ [event: string]: ((data: any) => void) | undefined }} Page
 * @typedef {{ role: string, watcher: string | null, can(role: string): boolean }} Context
 */

/** @type {Record<string, PageModule>} */
const PAGES = { dashboard, watcher, sockets, events, add, connect };
const RANK = { read: 0, operate: 1, admin: 2 };

const body = document.body;
const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const conn = document.getElementById("conn");
const role = body.dataset.role ?? "read";
/** @type {Context} */
const context = {
  role,
  watcher: body.dataset.watcher || null,
  can: (needed) => (RANK[role] ?? 0) >= (RANK[needed] ?? 9),
};
const page = (PAGES[body.dataset.page ?? ""] ?? dashboard).mount(main, context);

/** @param {any} c */
function showConnection(c) {
  if (!conn) return;
  let text;
  if (c.state === "disconnected") text = "not connected";
  else if (c.state === "connected")
    text = `${c.endpoint} · stats ${c.stats === "stream" ? "stream" : c.stats === "polling" ? "polled" : "waiting"}`;
  else if (c.state === "connecting") text = `connecting to ${c.endpoint}…`;
  else text = `${c.endpoint} unreachable`;
  setText(conn, text);
  conn.className = `conn c-${c.state}`;
  conn.title = c.error ?? "";
}

/** @param {string} name @param {any} data */
function dispatch(name, data) {
  const handler = page[name];
  if (handler) handler(data);
}

const source = live(context.watcher, {
  snapshot: (s) => {
    showConnection(s.connection);
    dispatch("snapshot", s);
  },
  connection: (c) => {
    showConnection(c);
    dispatch("connection", c);
  },
  tick: (t) => dispatch("tick", t),
  watcher: (w) => dispatch("watcher", w),
  removed: (r) => dispatch("removed", r),
  feed: (e) => dispatch("feed", e),
  options: (o) => dispatch("options", o),
  processes: (p) => dispatch("processes", p),
  logs: (l) => dispatch("logs", l),
  lost: () => {
    if (conn) setText(conn, "console unreachable, retrying…");
    // A closed stream (not a retry) usually means the session ended: find out and go to the login.
    if (source.readyState === EventSource.CLOSED) {
      fetch("/api/state", { credentials: "same-origin" }).then((r) => {
        if (r.status === 401) location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
        else setTimeout(() => location.reload(), 2000);
      });
    }
  },
});

// "/" focuses the page's filter, as in many consoles; never while typing in a field.
document.addEventListener("keydown", (e) => {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = /** @type {HTMLElement} */ (e.target);
  if (target.closest("input, textarea, select")) return;
  const filter = /** @type {HTMLInputElement | null} */ (document.querySelector("input[data-filter]"));
  if (filter) {
    e.preventDefault();
    filter.focus();
  }
});
