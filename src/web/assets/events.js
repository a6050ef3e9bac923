// Every event of the daemon as it happens (the pub/sub stream), newest first, with a filter.

import { fill, fmtTime, h, watcherHref } from "./dom.js";

const KEEP = 500;

/**
 * @param {HTMLElement} main
 * @param {import("./app.js").Context} _ctx
 */
export function mount(main, _ctx) {
  const list = h("ol", { class: "feed full", "aria-live": "off" });
  const filter = h("input", {
    type: "search",
    placeholder: "Filter: watcher or event ( / )",
    "aria-label": "Filter events",
    "data-filter": true,
    oninput: () => {
      for (const li of list.children) apply(/** @type {HTMLElement} */ (li));
    },
  });

  /** @param {HTMLElement} li */
  function apply(li) {
    const q = filter.value.trim().toLowerCase();
    li.hidden = q !== "" && !(li.dataset.search ?? "").includes(q);
  }

  /** @param {any} e */
  function item(e) {
    const detail = Object.entries(e.detail)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
      .join(" ");
    const li = h(
      "li",
      { "data-search": `${e.watcher} ${e.event} ${detail}`.toLowerCase() },
      h("time", null, fmtTime(e.time)),
      " ",
      h("a", { href: watcherHref(e.watcher) }, e.watcher),
      " ",
      h("strong", null, e.event),
      detail ? h("span", { class: "muted" }, ` ${detail}`) : null,
    );
    apply(li);
    return li;
  }

  return {
    /** @param {any} s */
    snapshot(s) {
      fill(list, s.feed.slice().reverse().map(item));
      fill(main, h("h1", null, "Events"), h("div", { class: "toolbar" }, filter), list);
    },
    /** @param {any} e */
    feed(e) {
      list.insertBefore(item(e), list.firstChild);
      while (list.children.length > KEEP) list.lastChild?.remove();
    },
  };
}
