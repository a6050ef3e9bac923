// Hand-drawn SVG charts: a line (and its area) over the last N samples, scaled to a rounded
// maximum. Sparklines on the dashboard, larger charts with their scale on a watcher page.

import { fmtBytes, fmtCpu, h } from "./dom.js";

const W = 300;
const H = 60;

/** @param {number} v */
function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/**
 * @typedef {"cpu" | "rss" | "count"} ChartKind
 * @param {ChartKind} kind
 * @param {number | null} v
 */
export function fmtValue(kind, v) {
  if (kind === "cpu") return fmtCpu(v);
  if (kind === "rss") return fmtBytes(v);
  return typeof v === "number" ? String(v) : "–";
}

/** The least top of the scale, so an idle series does not look like noise. */
const FLOOR = { cpu: 1, rss: 1024 * 1024, count: 1 };

export class Chart {
  /**
   * @param {{ kind: ChartKind, capacity: number, label: string, big?: boolean }} options
   */
  constructor(options) {
    this.kind = options.kind;
    this.capacity = options.capacity;
    this.label = options.label;
    /** @type {(number | null)[]} */
    this.values = [];
    this.area = h("path", { class: "area" });
    this.line = h("path", { class: "line", "vector-effect": "non-scaling-stroke" });
    this.svg = h(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "aria-hidden": "true" },
      this.area,
      this.line,
    );
    this.top = h("span", { class: "scale" });
    this.el = h(
      "figure",
      { class: options.big ? "chart big" : "chart spark", role: "img", "aria-label": options.label },
      this.svg,
      options.big ? this.top : null,
    );
  }

  /** @param {(number | null)[]} values */
  set(values) {
    this.values = values.slice(-this.capacity);
    this.draw();
  }

  /** @param {number | null} value */
  push(value) {
    this.values.push(value);
    if (this.values.length > this.capacity) this.values.splice(0, this.values.length - this.capacity);
    this.draw();
  }

  draw() {
    let max = FLOOR[this.kind];
    let points = 0;
    for (const v of this.values) {
      if (typeof v !== "number") continue;
      points += 1;
      if (v > max) max = v;
    }
    const top = niceCeil(max * 1.1);
    const step = W / Math.max(this.capacity - 1, 1);
    // Right-aligned: the newest sample is at the right edge, older ones scroll left.
    const x0 = W - (this.values.length - 1) * step;
    let line = "";
    let area = "";
    let open = false;
    let firstX = 0;
    let lastX = 0;
    this.values.forEach((v, i) => {
      const x = x0 + i * step;
      if (typeof v !== "number") {
        if (open) area += `L${lastX.toFixed(1)},${H}L${firstX.toFixed(1)},${H}Z`;
        open = false;
        return;
      }
      const y = H - (v / top) * (H - 2) - 1;
      const p = `${x.toFixed(1)},${y.toFixed(1)}`;
      if (!open) {
        line += `M${p}`;
        area += `M${p}`;
        firstX = x;
        open = true;
      } else {
        line += `L${p}`;
        area += `L${p}`;
      }
      lastX = x;
    });
    if (open) area += `L${lastX.toFixed(1)},${H}L${firstX.toFixed(1)},${H}Z`;
    this.line.setAttribute("d", line);
    this.area.setAttribute("d", area);
    this.el.dataset.points = String(points);
    const last = this.values.length ? this.values[this.values.length - 1] : null;
    this.el.setAttribute("aria-label", `${this.label}: ${fmtValue(this.kind, last ?? null)}`);
    // One sample per stats round (a second with circusd-stats): the width spans `capacity` seconds.
    const span = this.capacity >= 120 ? `${Math.round(this.capacity / 60)} min` : `${this.capacity} s`;
    this.top.textContent = `max ${fmtValue(this.kind, top)} · last ${span}`;
  }
}
