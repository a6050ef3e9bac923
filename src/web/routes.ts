// The console over HTTP, as one fetch-style handler (Request → Response) whatever serves it. Every
// answer carries a strict Content-Security-Policy; every page and API needs a session (a logged-in
// one when credentials are configured); every POST must come from our own origin with the
// session's CSRF token. Without credentials only loopback Host names are answered, so a rebinding
// DNS name cannot reach an unauthenticated console from a browser.

import { getLogger } from "../util/log.ts";
import type { Json, JsonObject } from "../protocol/command.ts";
import { CommandError } from "../protocol/errors.ts";
import { getCommand } from "../protocol/registry.ts";
import { isLoopbackHost } from "../util/host.ts";
import { findAsset } from "./assets.ts";
import { LoginThrottle, sameSecret } from "./auth.ts";
import type { WebConsole } from "./console.ts";
import {
  cookieValue,
  formField,
  type Handler,
  htmlResponse,
  json,
  MAX_BODY_BYTES,
  redirect,
  safeNext,
  secure,
} from "./http.ts";
import { loginPage, messagePage, shellPage, type PageName } from "./pages.ts";
import { authorize, ConsoleRefusal, hasRole } from "./roles.ts";
import type { Session } from "./sessions.ts";
import { snapshotView, type Viewer } from "./views.ts";

const log = getLogger("circus.web");

const PAGES: ReadonlyMap<string, { page: PageName; title: string }> = new Map([
  ["/", { page: "dashboard", title: "Dashboard" }],
  ["/sockets", { page: "sockets", title: "Sockets" }],
  ["/events", { page: "events", title: "Events" }],
  ["/add", { page: "add", title: "Add a watcher" }],
  ["/connect", { page: "connect", title: "Connect" }],
]);

/** The handler of `console`. */
export function createHandler(console: WebConsole): Handler {
  const throttle = new LoginThrottle();
  const cookieName = () => `circus_session_${console.port}`;
  const setCookie = (session: Session) => `${cookieName()}=${session.id}; Path=/; HttpOnly; SameSite=Strict`;
  const clearCookie = () => `${cookieName()}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

  /** Without credentials, only names that mean this machine (a rebinding DNS name is refused). */
  function hostAllowed(req: Request): boolean {
    if (console.auth.required) return true;
    const host = req.headers.get("host");
    if (!host) return false;
    const name = host.replace(/:\d+$/, "");
    return isLoopbackHost(name) || /^\[?[0-9a-f:.]+\]?$/i.test(name);
  }

  /** Same-origin POSTs only: a browser says where a request comes from, and it must be here. */
  function sameOrigin(req: Request): boolean {
    const site = req.headers.get("sec-fetch-site");
    if (site && site !== "same-origin" && site !== "none") return false;
    const origin = req.headers.get("origin");
    if (origin === null) return true;
    try {
      return new URL(origin).host === req.headers.get("host");
    } catch {
      return false;
    }
  }

  function viewerOf(session: Session): Viewer {
    return session.identity
      ? { user: session.identity.user, role: session.identity.role }
      : { user: null, role: "admin" }; // no credentials configured: loopback only, as the control socket
  }

  async function readJson(req: Request): Promise<JsonObject> {
    if (!(req.headers.get("content-type") ?? "").startsWith("application/json"))
      throw new ConsoleRefusal(400, "send the request as application/json");
    const text = await req.text();
    if (text.length > MAX_BODY_BYTES) throw new ConsoleRefusal(400, "request too large");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ConsoleRefusal(400, "the request is not valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new ConsoleRefusal(400, "the request must be a JSON object");
    return body as JsonObject;
  }

  async function runCommand(req: Request, viewer: Viewer): Promise<Response> {
    const body = await readJson(req);
    const command = typeof body.command === "string" ? body.command.toLowerCase() : "";
    const raw = body.properties ?? {};
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new ConsoleRefusal(400, "'properties' must be an object");
    const properties = authorize(viewer.role, command, raw as JsonObject);
    // The command's own check first, so a mistake is named before anything reaches the daemon.
    try {
      getCommand(command)?.validate(properties);
    } catch (err) {
      if (err instanceof CommandError) throw new ConsoleRefusal(400, err.message);
      throw err;
    }
    const link = console.link;
    if (!link) return json({ error: "the console is not connected to a daemon" }, 409);
    log.info(`${viewer.user ?? "local user"} (${viewer.role}): ${describeCommand(command, properties)}`);
    let reply: JsonObject;
    try {
      reply = await link.run(command, properties);
    } catch (err) {
      return json({ error: `${link.endpoint}: ${(err as Error).message}` }, 504);
    }
    if (reply.status === "error") return json({ error: String(reply.reason), errno: reply.errno as Json }, 422);
    return json({ reply });
  }

  async function connectTo(req: Request, viewer: Viewer): Promise<Response> {
    if (!hasRole(viewer.role, "admin")) throw new ConsoleRefusal(403, "connecting elsewhere needs the admin role");
    const body = await readJson(req);
    const endpoint = typeof body.endpoint === "string" ? body.endpoint.trim() : "";
    try {
      console.connect(endpoint);
    } catch (err) {
      throw new ConsoleRefusal(400, (err as Error).message);
    }
    log.info(`${viewer.user ?? "local user"} connected the console to ${endpoint}`);
    return json({ endpoint });
  }

  async function discover(): Promise<Response> {
    if (!console.multicast)
      return json({ multicast: null, daemons: [], error: "discovery is off: start circus web with --multicast" });
    try {
      return json({ multicast: console.multicast, daemons: await console.discover() });
    } catch (err) {
      return json({ multicast: console.multicast, daemons: [], error: (err as Error).message });
    }
  }

  async function login(req: Request, session: Session | null, peer: string): Promise<Response> {
    const form = await req.formData().catch(() => null);
    const field = (k: string) => {
      const v = form?.get(k);
      return typeof v === "string" ? v : "";
    };
    if (!session || !sameSecret(field("csrf"), session.csrf)) return refused(403, "The login form expired; reload it.");
    const next = safeNext(field("next"));
    const again = (error: string, status: number) =>
      htmlResponse(
        loginPage({
          csrf: session.csrf,
          next,
          passwords: console.auth.users.size > 0,
          token: console.auth.token !== null,
          error,
        }),
        status,
      );
    if (throttle.blocked(peer)) return again("Too many failed logins; wait a few minutes.", 429);
    const token = field("token");
    const identity = token
      ? console.auth.checkToken(token)
      : await console.auth.checkPassword(field("user"), field("password"));
    if (!identity) {
      throttle.fail(peer);
      log.warning(`failed login from ${peer}${token ? " (token)" : ` as "${field("user").slice(0, 64)}"`}`);
      return again("Wrong user, password or token.", 401);
    }
    throttle.succeed(peer);
    console.sessions.delete(session.id);
    const fresh = console.sessions.create(identity);
    log.info(`${identity.user} (${identity.role}) logged in from ${peer}`);
    return redirect(next, setCookie(fresh));
  }

  function refused(status: number, message: string): Response {
    return htmlResponse(messagePage("Refused", message), status);
  }

  function pageFor(path: string): { page: PageName; title: string; watcher?: string } | null {
    const fixed = PAGES.get(path);
    if (fixed) return fixed;
    const m = /^\/watchers\/([^/]+)$/.exec(path);
    if (!m) return null;
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      return null;
    }
    const resolved = console.link?.model.resolveName(name) ?? name;
    return { page: "watcher", title: resolved, watcher: resolved };
  }

  return async function handle(req: Request, peer: string): Promise<Response> {
    try {
      return secure(await route(req, peer));
    } catch (err) {
      if (err instanceof ConsoleRefusal) return secure(json({ error: err.message }, err.status));
      log.error(`${req.method} ${new URL(req.url).pathname}: ${(err as Error).stack ?? err}`);
      return secure(json({ error: "the console failed on this request; see its log" }, 500));
    }
  };

  async function route(req: Request, peer: string): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    if (!hostAllowed(req)) {
      return new Response("This console answers only to loopback names (localhost, 127.0.0.1) without a login.\n", {
        status: 421,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (req.method === "GET" && path.startsWith("/assets/")) {
      const asset = findAsset(path);
      if (!asset) return new Response("not found\n", { status: 404 });
      return new Response(asset.body, {
        headers: {
          "content-type": asset.type,
          "cache-control": asset.current ? "public, max-age=31536000, immutable" : "no-cache",
        },
      });
    }
    if (req.method === "GET" && path === "/favicon.ico") return new Response(null, { status: 404 });

    let session = console.sessions.get(cookieValue(req, cookieName()));
    let cookie: string | undefined;
    if (!console.auth.required && !session) {
      session = console.sessions.create(null);
      cookie = setCookie(session);
    }

    if (req.method === "POST") {
      if (!sameOrigin(req)) return json({ error: "cross-origin requests are refused" }, 403);
      if (path === "/login") return login(req, session, peer);
      const token = req.headers.get("x-csrf-token") ?? (await formField(req, "csrf"));
      if (!session || !token || !sameSecret(token, session.csrf))
        return path.startsWith("/api/")
          ? json({ error: "missing or wrong CSRF token; reload the page" }, 403)
          : refused(403, "The form expired; reload the page.");
      if (path === "/logout") {
        console.sessions.delete(session.id);
        return redirect("/login", clearCookie());
      }
      if (console.auth.required && !session.identity) return json({ error: "log in first" }, 401);
      console.sessions.touch(session);
      const viewer = viewerOf(session);
      if (path === "/api/command") return runCommand(req, viewer);
      if (path === "/api/connect") return connectTo(req, viewer);
      return json({ error: "not found" }, 404);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return json({ error: "method not allowed" }, 405);

    if (path === "/login") {
      if (!console.auth.required) return redirect("/", cookie);
      const pre = session ?? console.sessions.create(null);
      const page = loginPage({
        csrf: pre.csrf,
        next: safeNext(url.searchParams.get("next")),
        passwords: console.auth.users.size > 0,
        token: console.auth.token !== null,
        error: null,
      });
      const response = htmlResponse(page);
      if (!session) response.headers.set("set-cookie", setCookie(pre));
      return response;
    }

    const authenticated = session !== null && (session.identity !== null || !console.auth.required);
    if (!authenticated || !session) {
      if (path.startsWith("/api/")) return json({ error: "log in first" }, 401);
      return redirect(`/login?next=${encodeURIComponent(path)}`);
    }
    const viewer = viewerOf(session);
    const withCookie = (r: Response) => {
      if (cookie) r.headers.set("set-cookie", cookie);
      return r;
    };

    if (path === "/api/live") {
      const watcher = url.searchParams.get("watcher");
      const resolved = watcher ? (console.link?.model.resolveName(watcher) ?? watcher) : null;
      const since = Number(url.searchParams.get("since") ?? Number.NaN);
      return withCookie(
        console.hub.open(session, viewer, resolved, req.signal, Number.isInteger(since) ? since : null),
      );
    }
    console.sessions.touch(session);
    if (path === "/api/state") {
      const watcher = url.searchParams.get("watcher");
      const resolved = watcher ? (console.link?.model.resolveName(watcher) ?? watcher) : null;
      return withCookie(json(snapshotView(console.link, viewer, resolved)));
    }
    if (path === "/api/discover") return withCookie(await discover());
    const page = pageFor(path);
    if (!page) return withCookie(htmlResponse(messagePage("Not found", `There is no page at ${path}.`), 404));
    return withCookie(
      htmlResponse(
        shellPage({
          page: page.page,
          title: page.title,
          watcher: page.watcher,
          csrf: session.csrf,
          user: viewer.user,
          role: viewer.role,
          loginRequired: console.auth.required,
          snapshot: console.hub.snapshot(viewer, page.watcher ?? null),
        }),
      ),
    );
  }
}

/** A command for the log: its name, watcher and pid, and which options (never their values: env may hold secrets). */
function describeCommand(command: string, p: JsonObject): string {
  const parts = [command];
  if (typeof p.name === "string") parts.push(JSON.stringify(p.name));
  if (p.pid !== undefined) parts.push(`pid ${p.pid}`);
  if (p.signum !== undefined) parts.push(`signal ${p.signum}`);
  const options = p.options;
  if (typeof options === "object" && options !== null && !Array.isArray(options))
    parts.push(`options ${Object.keys(options).join(", ")}`);
  if (command === "add" && typeof p.cmd === "string") parts.push(`cmd ${JSON.stringify(p.cmd)}`);
  return parts.join(" ");
}
