// The console's static files, imported as text so `bun build --compile` carries them inside the
// binary: no CDN, nothing to install, works offline. URLs hold a hash of the contents, so browsers
// may cache them for good and a new binary is never served a stale script.

import addJs from "./assets/add.js" with { type: "text" };
import apiJs from "./assets/api.js" with { type: "text" };
import appCss from "./assets/app.css" with { type: "text" };
import appJs from "./assets/app.js" with { type: "text" };
import chartsJs from "./assets/charts.js" with { type: "text" };
import connectJs from "./assets/connect.js" with { type: "text" };
import dashboardJs from "./assets/dashboard.js" with { type: "text" };
import domJs from "./assets/dom.js" with { type: "text" };
import eventsJs from "./assets/events.js" with { type: "text" };
import iconSvg from "./assets/icon.svg" with { type: "text" };
import optionsJs from "./assets/options.js" with { type: "text" };
import socketsJs from "./assets/sockets.js" with { type: "text" };
import watcherJs from "./assets/watcher.js" with { type: "text" };

const JS = "text/javascript; charset=utf-8";

const FILES: ReadonlyMap<string, { text: string; type: string }> = new Map([
  ["add.js", { text: addJs, type: JS }],
  ["api.js", { text: apiJs, type: JS }],
  ["app.css", { text: appCss, type: "text/css; charset=utf-8" }],
  ["app.js", { text: appJs, type: JS }],
  ["charts.js", { text: chartsJs, type: JS }],
  ["connect.js", { text: connectJs, type: JS }],
  ["dashboard.js", { text: dashboardJs, type: JS }],
  ["dom.js", { text: domJs, type: JS }],
  ["events.js", { text: eventsJs, type: JS }],
  ["icon.svg", { text: iconSvg, type: "image/svg+xml" }],
  ["options.js", { text: optionsJs, type: JS }],
  ["sockets.js", { text: socketsJs, type: JS }],
  ["watcher.js", { text: watcherJs, type: JS }],
]);

/** A hash of every asset: part of their URLs. */
export const ASSET_VERSION = Bun.hash([...FILES.values()].map((f) => f.text).join("\0"))
  .toString(16)
  .slice(0, 12);

/** The URL of asset `name`. */
export function assetUrl(name: string): string {
  return `/assets/${ASSET_VERSION}/${name}`;
}

/** The modules `name` imports (`from "./x.js"`), read from its text, and theirs, once each. */
function moduleGraph(name: string, seen = new Set<string>()): Set<string> {
  const file = FILES.get(name);
  if (seen.has(name) || !file) return seen;
  seen.add(name);
  for (const m of file.text.matchAll(/(?:from|import\() *["'`]\.\/([a-z]+\.js)["'`]/g)) moduleGraph(m[1]!, seen);
  return seen;
}

/**
 * Every script a page runs: app.js, the page's own module (app.js imports it by name) and all they
 * import. The shell preloads them together, so the browser fetches them in one round trip instead
 * of one per level of imports.
 */
export function pageModules(page: string): string[] {
  return [...moduleGraph(`${page}.js`, moduleGraph("app.js"))];
}

/** The asset at `/assets/<version>/<name>`, or null. */
export function findAsset(path: string): { body: string; type: string; current: boolean } | null {
  const m = /^\/assets\/([0-9a-f]+)\/([a-z]+\.[a-z]+)$/.exec(path);
  const f = m ? FILES.get(m[2]!) : undefined;
  if (!m || !f) return null;
  return { body: f.text, type: f.type, current: m[1] === ASSET_VERSION };
}
