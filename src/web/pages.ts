// The HTML the server sends: one shell per page (the script draws its content from the live stream)
// and the login page, which works without script. Every dynamic value goes through `html`.

import { VERSION } from "../version.ts";
import { assetUrl, pageModules } from "./assets.ts";
import { html, SafeHtml } from "./html.ts";
import { hasRole, type WebRole } from "./roles.ts";

export type PageName = "dashboard" | "watcher" | "sockets" | "events" | "add" | "connect";

const NAV: { page: PageName; href: string; label: string; role?: WebRole }[] = [
  { page: "dashboard", href: "/", label: "Dashboard" },
  { page: "sockets", href: "/sockets", label: "Sockets" },
  { page: "events", href: "/events", label: "Events" },
  { page: "add", href: "/add", label: "Add watcher", role: "admin" },
  { page: "connect", href: "/connect", label: "Connect" },
];

function head(title: string): SafeHtml {
  return html`<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · circus</title>
<link rel="icon" href="${assetUrl("icon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl("app.css")}">`;
}

export interface ShellOptions {
  page: PageName;
  title: string;
  csrf: string;
  user: string | null;
  role: WebRole;
  /** The watcher of a watcher page. */
  watcher?: string;
  /** True when users log in (a logout button is shown). */
  loginRequired: boolean;
  /** The page's first snapshot as JSON, so it draws without waiting for the live stream. */
  snapshot: string;
}

/**
 * JSON inside <script type="application/json">: the browser never runs it, and with every `<`
 * written as \u003c no `</script>` in a watcher name or an output line can end the element.
 */
function jsonData(id: string, json: string): SafeHtml {
  return new SafeHtml(`<script type="application/json" id="${id}">${json.replaceAll("<", "\\u003c")}</script>`);
}

/** A page of the console: header, navigation, and an empty main the script fills. */
export function shellPage(o: ShellOptions): string {
  const nav = NAV.filter((n) => !n.role || hasRole(o.role, n.role)).map(
    (n) => html`<li><a href="${n.href}"${n.page === o.page ? html` aria-current="page"` : ""}>${n.label}</a></li>`,
  );
  const who = o.loginRequired
    ? html`<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="${o.csrf}"><span class="who">${o.user} · ${o.role}</span> <button type="submit">Log out</button></form>`
    : html`<span class="who">${o.role}</span>`;
  return html`<!doctype html>
<html lang="en">
<head>
${head(o.title)}
<meta name="csrf-token" content="${o.csrf}">
${pageModules(o.page).map(
  (m) => html`<link rel="modulepreload" href="${assetUrl(m)}">
`,
)}<script type="module" src="${assetUrl("app.js")}"></script>
</head>
<body data-page="${o.page}" data-watcher="${o.watcher ?? ""}" data-role="${o.role}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/" aria-label="circus dashboard">circus</a>
<nav aria-label="Pages"><ul>${nav}</ul></nav>
<span id="conn" class="conn" role="status" aria-live="polite">connecting…</span>
${who}
</header>
<main id="main" tabindex="-1"><p class="loading">Loading…</p><noscript><p>This console needs JavaScript for its live view.</p></noscript></main>
<div id="toasts" class="toasts" role="status" aria-live="polite"></div>
${jsonData("snapshot", o.snapshot)}
<footer>circus ${VERSION}</footer>
</body>
</html>
`.text;
}

export interface LoginOptions {
  csrf: string;
  next: string;
  passwords: boolean;
  token: boolean;
  error: string | null;
}

/** The login form (plain HTML: it works without script). */
export function loginPage(o: LoginOptions): string {
  const user = o.passwords
    ? html`<label>User <input name="user" autocomplete="username" autocapitalize="none" spellcheck="false"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>`
    : "";
  const token = o.token
    ? html`<label>${o.passwords ? "Or a token" : "Token"} <input name="token" type="password" autocomplete="off" spellcheck="false"></label>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
${head("Log in")}
</head>
<body class="login">
<main id="main">
<h1>circus</h1>
<form method="post" action="/login" class="card">
<input type="hidden" name="csrf" value="${o.csrf}">
<input type="hidden" name="next" value="${o.next}">
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
${user}
${token}
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`.text;
}

/** A short page for errors reached by navigation (unknown page, refused request). */
export function messagePage(title: string, message: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
${head(title)}
</head>
<body class="login">
<main id="main"><h1>${title}</h1><p>${message}</p><p><a href="/">Back to the dashboard</a></p></main>
</body>
</html>
`.text;
}
