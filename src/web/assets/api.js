// Talking to the console server: POSTs carry the session's CSRF token; the live stream is an
// EventSource; results and errors show as short notices.

import { h } from "./dom.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

/**
 * A notice in the corner (role=status, so screen readers hear it).
 * @param {string} text
 * @param {"ok" | "error"} [kind]
 */
export function notify(text, kind = "ok") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const note = h("p", { class: `toast ${kind}` }, text);
  box.appendChild(note);
  setTimeout(() => note.remove(), kind === "error" ? 8000 : 3000);
}

/**
 * POST JSON to the server; resolves with the decoded answer, or null after showing the error.
 * @param {string} url
 * @param {unknown} body
 * @returns {Promise<any>}
 */
export async function post(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    notify(`The console did not answer (${err instanceof Error ? err.message : err})`, "error");
    return null;
  }
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    return null;
  }
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) {
    notify(answer.error ?? `HTTP ${response.status}`, "error");
    return null;
  }
  return answer;
}

/**
 * Send a control command; resolves with the daemon's reply, or null (the error was shown).
 * @param {string} command
 * @param {Record<string, unknown>} properties
 * @param {string} [done] what to say when it worked
 */
export async function command(command, properties, done) {
  const answer = await post("/api/command", { command, properties });
  if (answer && done) notify(done);
  return answer ? answer.reply : null;
}

/**
 * @typedef {{ [event: string]: (data: any) => void }} Handlers
 * Open the live stream of this page; each server event calls the handler of that name. `since` is
 * the generation of the snapshot already drawn (the server then sends one only if it is stale).
 * @param {string | null} watcher
 * @param {Handlers} handlers
 * @param {number | null} since
 */
export function live(watcher, handlers, since) {
  const query = new URLSearchParams();
  if (watcher) query.set("watcher", watcher);
  if (since !== null) query.set("since", String(since));
  const source = new EventSource(`/api/live?${query}`);
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => handler(JSON.parse(/** @type {MessageEvent} */ (e).data)));
  }
  source.addEventListener("expired", () => {
    source.close();
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  });
  source.onerror = () => handlers.lost?.(null);
  return source;
}
