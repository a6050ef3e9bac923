// Building the page: elements are created with the DOM API and text goes in as text (never through
// innerHTML), so a watcher name or a log line holding markup is shown, not run. Plus the formats.

const SVG_NS = "http://www.w3.org/2000/svg";
const SVG_TAGS = new Set(["svg", "path", "line", "text", "g", "rect", "title", "polyline"]);

/**
 * h("button", { class: "x", onclick: fn }, "Start") → an element. Attribute values are set with
 * setAttribute (escaped by the browser); children are nodes or strings (text nodes).
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children
 * @returns {any}
 */
export function h(tag, attrs, ...children) {
  const el = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {any[]} children
 */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replace the children of `el`.
 * @param {Element} el
 * @param {...any} children
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Set an element's text when it changed (cheap on every tick).
 * @param {Element} el
 * @param {string} text
 */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** @param {number | null | undefined} v */
export function fmtCpu(v) {
  return typeof v === "number" ? `${v.toFixed(1)} %` : "–";
}

/** @param {number | null | undefined} n */
export function fmtBytes(n) {
  if (typeof n !== "number") return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** @param {number | null | undefined} seconds */
export function fmtAge(seconds) {
  if (typeof seconds !== "number" || !(seconds >= 0)) return "–";
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** @param {number} ms */
export function fmtTime(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/**
 * An option value as text for display and editing (objects as JSON, env as KEY=value lines).
 * @param {string} key
 * @param {unknown} value
 */
export function optionText(key, value) {
  if (value === null || value === undefined) return "";
  if (key === "env" && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The URL of a watcher's page. @param {string} name */
export function watcherHref(name) {
  return `/watchers/${encodeURIComponent(name)}`;
}

/** A status badge. @param {string} status */
export function badge(status) {
  return h("span", { class: `badge s-${status.replace(/[^a-z]/g, "")}` }, status);
}
