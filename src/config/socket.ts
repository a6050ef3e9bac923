// A [socket:NAME] section → SocketConfig, read by the socket table (options/socket.ts): name
// lower-cased, `path` forces AF_UNIX.

import { SectionReader } from "./fields.ts";
import { SOCKET_INERT, SOCKET_OPTIONS } from "./options/socket.ts";
import { putOwn } from "./options/spec.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import { didYouMean } from "./suggest.ts";
import type { SocketConfig } from "./types.ts";

const KNOWN: ReadonlySet<string> = new Set(Object.keys(SOCKET_OPTIONS));

/** Normalise one socket section; `vars` = `env.*` from [env] over the daemon environment. */
export function readSocket(section: RawSection, diag: Diagnostics, vars: Map<string, string>): SocketConfig {
  const r = new SectionReader(section, diag, vars);
  const name = section.name.slice("socket:".length).toLowerCase();
  if (name.trim() === "")
    diag.problem(section.location, section.label, "the socket has no name, expected a header like [socket:web]");
  const raw: Record<string, string> = {};
  for (const key of section.entries.keys()) putOwn(raw, key, r.text(key) ?? "");

  const socket: SocketConfig = { name, ...r.options(SOCKET_OPTIONS), raw, source: section.location };
  if (socket.path !== null) socket.family = "AF_UNIX";
  if (socket.family === "AF_UNIX" && socket.path === null)
    r.problem("path", "family = AF_UNIX needs a path, expected path = /run/app.sock");

  for (const key of section.entries.keys()) {
    if (KNOWN.has(key) || key === "__name__") continue;
    const inert = SOCKET_INERT.get(key);
    if (inert !== undefined) {
      r.warn(key, inert);
      continue;
    }
    const hint = didYouMean(key, KNOWN);
    r.warn(key, hint ? `unknown socket option, ignored; ${hint}` : "unknown socket option, ignored");
  }
  return socket;
}
