// The console's script: picks the page from <body data-page>, opens the live stream and hands each
// server event to the page. The header's connection line is kept here for every page.

import { live } from "./api.js";
import { setText } from "./dom.js";

/**
 * @typedef {{ mount(main: HTMLElement, context: Context): Page }} PageModule
 * @typedef {{ [event: string]: ((data: any) => void) | undefined }} Page
 * @typedef {{ role: string, watcher: string | null, can(role: string): boolean }} Context
 */

/** Page name → its module; only this page's module is loaded (the server preloads it with the rest). */
const PAGES = new Set(["dashboard", "watcher", "sockets", "events", "add", "connect"]);
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
const pageName = PAGES.has(body.dataset.page ?? "") ? body.dataset.page : "dashboard";
/** @type {Page | null} */
let page = null;
/** Server events that arrive before the page's module is ready, handled in order once it is. */
/** @type {[string, any][]} */
const early = [];
import(`./${pageName}.js`).then((/** @type {PageModule} */ module) => {
  page = module.mount(main, context);
  for (const [name, data] of early.splice(0)) dispatch(name, data);
});

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
  if (!page) {
    early.push([name, data]);
    return;
  }
  const handler = page[name];
  if (handler) handler(data);
  if (name === "snapshot") drawn(null);
  else if (name === "tick") drawn(data.common.t);
}

/**
 * After the browser has the frame: the first snapshot marks `circus:drawn` (first render, for
 * benchmarks and curious users in the performance panel); every tick fires `circus:tick` with the
 * time its samples reached the console, so a watcher of the page can see how far behind it is.
 * @param {number | null} t
 */
function drawn(t) {
  requestAnimationFrame(() => {
    if (t === null) {
      if (performance.getEntriesByName("circus:drawn").length === 0) performance.mark("circus:drawn");
    } else document.dispatchEvent(new CustomEvent("circus:tick", { detail: t }));
  });
}

// The page's HTML carries its first snapshot: draw it now, without waiting for the stream.
const embedded = document.getElementById("snapshot")?.textContent;
const first = embedded ? JSON.parse(embedded) : null;
if (first) {
  showConnection(first.connection);
  dispatch("snapshot", first);
}

const source = live(
  context.watcher,
  {
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
  },
  first?.generation ?? null,
);

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
