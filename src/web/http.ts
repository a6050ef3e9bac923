// HTTP pieces of the console: the security headers every answer carries, response helpers,
// cookies, form fields, and the handler shape both listeners serve.

/** No script, style, image or connection from anywhere but this console; no framing, no inline code. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'";

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

/** Request bodies larger than this are refused (a command fits in a few hundred bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Add the security headers (and no caching unless the answer says otherwise). */
export function secure(response: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) response.headers.set(k, v);
  if (!response.headers.has("cache-control")) response.headers.set("cache-control", "no-store");
  return response;
}

/** A JSON answer. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } });
}

/** An HTML answer. */
export function htmlResponse(text: string, status = 200): Response {
  return new Response(text, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/** 303 See Other, optionally setting a cookie. */
export function redirect(location: string, cookie?: string): Response {
  const headers: Record<string, string> = { location };
  if (cookie) headers["set-cookie"] = cookie;
  return new Response(null, { status: 303, headers });
}

/** A local path to go back to after the login; anything else (`//evil`, `https:…`) becomes `/`. */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

/** The value of cookie `name` in the request, or null. */
export function cookieValue(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The console's request handler: fetch-style, with the client's address. */
export type Handler = (req: Request, peer: string) => Promise<Response>;

/** A field of a urlencoded or multipart form body, read without consuming the request. */
export async function formField(req: Request, name: string): Promise<string | null> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) return null;
  const form = await req
    .clone()
    .formData()
    .catch(() => null);
  const v = form?.get(name);
  return typeof v === "string" ? v : null;
}
