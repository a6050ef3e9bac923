// The dashboard: the daemon's own CPU and memory, every watcher with its state, process count,
// CPU and memory sparklines and its actions, and the latest events.

import { command } from "./api.js";
import { Chart, fmtValue } from "./charts.js";
import { badge, fill, fmtTime, h, setText, watcherHref } from "./dom.js";

const SPARK = 60;
const FEED = 15;

/**
 * The start/stop/restart/reload/−/+ buttons of one watcher (empty for read-only users).
 * @param {string} name
 * @param {import("./app.js").Context} ctx
 */
export function watcherActions(name, ctx) {
  if (!ctx.can("operate")) return null;
  /** What each button sends, and what to say once the daemon took it. */
  const ACTIONS = {
    start: { label: "Start", props: {}, done: `starting ${name}` },
    stop: { label: "Stop", props: {}, done: `stopping ${name}` },
    restart: { label: "Restart", props: {}, done: `restarting ${name}` },
    reload: { label: "Reload", props: {}, done: `reloading ${name}` },
    decr: { label: "−", props: { nb: 1 }, done: `one process less for ${name}` },
    incr: { label: "+", props: { nb: 1 }, done: `one process more for ${name}` },
  };
  // One listener for the six buttons: a dashboard of 100 watchers builds fast.
  const onclick = (/** @type {Event} */ e) => {
    const button = /** @type {HTMLElement} */ (e.target).closest("button[data-action]");
    const action = button?.getAttribute("data-action");
    if (!action || !Object.hasOwn(ACTIONS, action)) return;
    const a = ACTIONS[/** @type {keyof typeof ACTIONS} */ (action)];
    command(action, { name, ...a.props }, a.done);
  };
  return h(
    "span",
    { class: "actions", onclick },
    Object.entries(ACTIONS).map(([action, a]) =>
      h(
        "button",
        {
          type: "button",
          class: a.label.length === 1 ? "small" : null,
          "data-action": action,
          "aria-label": `${action} ${name}`,
        },
        a.label,
      ),
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {import("./app.js").Context} ctx
 */
export function mount(main, ctx) {
  /** @type {Map<string, { row: HTMLElement, update(w: any): void, tick(p: any[]): void }>} */
  const rows = new Map();
  const daemonCpu = new Chart({ kind: "cpu", capacity: SPARK, label: "CPU of circusd" });
  const daemonMem = new Chart({ kind: "rss", capacity: SPARK, label: "Memory of circusd" });
  const daemonCpuText = h("span", { class: "figure" });
  const daemonMemText = h("span", { class: "figure" });
  const daemonPid = h("span", { class: "muted" });
  const tbody = h("tbody");
  const feed = h("ol", { class: "feed", "aria-label": "Latest events" });
  const counts = h("span", { class: "muted", "aria-live": "off" });
  const filter = h("input", {
    type: "search",
    placeholder: "Filter watchers ( / )",
    "aria-label": "Filter watchers",
    "data-filter": true,
    oninput: () => applyFilter(),
  });
  const empty = h("p", { class: "muted", hidden: true }, "No watcher.");

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const [name, r] of rows) r.row.hidden = q !== "" && !name.toLowerCase().includes(q);
  }

  function updateCounts() {
    let procs = 0;
    for (const r of rows.values()) procs += Number(r.row.dataset.processes ?? 0);
    setText(counts, `${rows.size} watchers · ${procs} processes`);
    empty.hidden = rows.size > 0;
  }

  /** @param {any} w */
  function makeRow(w) {
    const cpu = new Chart({ kind: "cpu", capacity: SPARK, label: `CPU of ${w.name}` });
    const mem = new Chart({ kind: "rss", capacity: SPARK, label: `Memory of ${w.name}` });
    const status = h("td", { class: "status" });
    const procs = h("td", { class: "num" });
    const cpuText = h("span", { class: "figure" });
    const memText = h("span", { class: "figure" });
    const row = h(
      "tr",
      { "data-name": w.name },
      h(
        "th",
        { scope: "row" },
        h("a", { href: watcherHref(w.name) }, w.name),
        w.internal ? h("span", { class: "tag" }, "circus") : null,
      ),
      status,
      procs,
      h("td", { class: "usage", "data-label": "CPU" }, cpu.el, cpuText),
      h("td", { class: "usage", "data-label": "Memory" }, mem.el, memText),
      h("td", null, watcherActions(w.name, ctx)),
    );
    cpu.set(w.usage.cpu);
    mem.set(w.usage.rss);
    const r = {
      row,
      /** @param {any} x */
      update(x) {
        fill(status, badge(x.status));
        row.dataset.status = x.status;
        row.dataset.processes = String(x.processes);
        setText(procs, x.numprocesses === null ? String(x.processes) : `${x.processes} / ${x.numprocesses}`);
        setText(cpuText, fmtValue("cpu", cpu.values.at(-1) ?? null));
        setText(memText, fmtValue("rss", mem.values.at(-1) ?? null));
      },
      /** @param {any[]} p */
      tick(p) {
        cpu.push(p[0]);
        mem.push(p[1]);
        setText(cpuText, fmtValue("cpu", p[0]));
        setText(memText, fmtValue("rss", p[1]));
      },
    };
    r.update(w);
    return r;
  }

  /** @param {any} e */
  function feedItem(e) {
    const detail = Object.entries(e.detail)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
      .join(" ");
    return h(
      "li",
      null,
      h("time", null, fmtTime(e.time)),
      " ",
      h("a", { href: watcherHref(e.watcher) }, e.watcher),
      " ",
      h("strong", null, e.event),
      detail ? h("span", { class: "muted" }, ` ${detail}`) : null,
    );
  }

  return {
    /** @param {any} s */
    snapshot(s) {
      rows.clear();
      const list = s.watchers.map((/** @type {any} */ w) => {
        const r = makeRow(w);
        rows.set(w.name, r);
        return r.row;
      });
      fill(tbody, list);
      daemonCpu.set(s.daemon?.usage.cpu ?? []);
      daemonMem.set(s.daemon?.usage.rss ?? []);
      setText(daemonPid, s.daemon?.pid ? `pid ${s.daemon.pid}` : "");
      setText(daemonCpuText, fmtValue("cpu", daemonCpu.values.at(-1) ?? null));
      setText(daemonMemText, fmtValue("rss", daemonMem.values.at(-1) ?? null));
      fill(feed, s.feed.slice(-FEED).reverse().map(feedItem));
      const notConnected = s.connection.state === "disconnected";
      fill(
        main,
        h("h1", { class: "visually-hidden" }, "Dashboard"),
        notConnected
          ? h("p", { class: "notice" }, "Not connected to a daemon. ", h("a", { href: "/connect" }, "Connect"))
          : null,
        h(
          "section",
          { class: "daemon", "aria-label": "circusd" },
          h("h2", null, "circusd ", daemonPid),
          h("div", { class: "usage" }, h("span", { class: "label" }, "CPU"), daemonCpu.el, daemonCpuText),
          h("div", { class: "usage" }, h("span", { class: "label" }, "Memory"), daemonMem.el, daemonMemText),
          ctx.can("operate")
            ? h(
                "button",
                { type: "button", onclick: () => command("reloadconfig", {}, "reloading the configuration") },
                "Reload config",
              )
            : null,
        ),
        h("div", { class: "toolbar" }, filter, counts),
        h(
          "table",
          { class: "watchers" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "col" }, "Watcher"),
              h("th", { scope: "col" }, "Status"),
              h("th", { scope: "col" }, "Processes"),
              h("th", { scope: "col" }, "CPU"),
              h("th", { scope: "col" }, "Memory"),
              h("th", { scope: "col" }, ctx.can("operate") ? "Actions" : ""),
            ),
          ),
          tbody,
        ),
        empty,
        h("section", { class: "events", "aria-label": "Latest events" }, h("h2", null, "Latest events"), feed),
      );
      applyFilter();
      updateCounts();
    },
    /** @param {any} t */
    tick(t) {
      for (const [name, p] of Object.entries(t.common.watchers)) rows.get(name)?.tick(/** @type {any[]} */ (p));
      if (t.common.daemon) {
        daemonCpu.push(t.common.daemon[0]);
        daemonMem.push(t.common.daemon[1]);
        setText(daemonCpuText, fmtValue("cpu", t.common.daemon[0]));
        setText(daemonMemText, fmtValue("rss", t.common.daemon[1]));
      }
    },
    /** @param {any} w */
    watcher(w) {
      const r = rows.get(w.name);
      if (r) r.update(w);
      else {
        const made = makeRow(w);
        rows.set(w.name, made);
        const after = [...tbody.children].find((el) => (el.getAttribute("data-name") ?? "") > w.name);
        tbody.insertBefore(made.row, after ?? null);
        applyFilter();
      }
      updateCounts();
    },
    /** @param {{ name: string }} r */
    removed(r) {
      rows.get(r.name)?.row.remove();
      rows.delete(r.name);
      updateCounts();
    },
    /** @param {any} e */
    feed(e) {
      feed.insertBefore(feedItem(e), feed.firstChild);
      while (feed.children.length > FEED) feed.lastChild?.remove();
    },
  };
}
