// The sockets the daemon binds for its watchers: fd, name, address, backlog, and read-readiness
// samples from the stats stream (circusd-stats counts them; polling cannot).

import { Chart } from "./charts.js";
import { fill, h, setText } from "./dom.js";

const SPARK = 60;

/**
 * @param {HTMLElement} main
 * @param {import("./app.js").Context} _ctx
 */
export function mount(main, _ctx) {
  /** @type {Map<string, { chart: Chart, last: HTMLElement }>} */
  const rows = new Map();
  const note = h("p", { class: "muted" });

  return {
    /** @param {any} s */
    snapshot(s) {
      rows.clear();
      const body = s.sockets.map((/** @type {any} */ sock) => {
        const chart = new Chart({ kind: "count", capacity: SPARK, label: `Reads of socket ${sock.name}` });
        chart.set(sock.reads);
        const last = h("span", { class: "figure" }, sock.reads.length ? String(sock.reads.at(-1)) : "–");
        rows.set(String(sock.fd), { chart, last });
        return h(
          "tr",
          { "data-fd": sock.fd },
          h("th", { scope: "row", class: "num" }, String(sock.fd)),
          h("td", null, sock.name),
          h("td", null, h("code", null, sock.address)),
          h("td", { class: "num" }, sock.backlog ?? "–"),
          h("td", { class: "usage", "data-label": "Reads" }, chart.el, last),
        );
      });
      setText(
        note,
        s.connection.stats === "stream"
          ? "Reads: how often a socket had a connection waiting, per second (circusd-stats)."
          : "Read counts come from the stats stream; set statsd = true in [circus] to see them.",
      );
      fill(
        main,
        h("h1", null, "Sockets"),
        note,
        s.sockets.length === 0
          ? h("p", { class: "muted" }, "The daemon binds no socket.")
          : h(
              "table",
              { class: "sockets" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  ["fd", "Name", "Address", "Backlog", "Reads"].map((t) => h("th", { scope: "col" }, t)),
                ),
              ),
              h("tbody", null, body),
            ),
      );
    },
    /** @param {any} t */
    tick(t) {
      for (const [fd, reads] of Object.entries(t.common.sockets)) {
        const r = rows.get(fd);
        if (!r) continue;
        r.chart.push(/** @type {number} */ (reads));
        setText(r.last, String(reads));
      }
    },
  };
}
