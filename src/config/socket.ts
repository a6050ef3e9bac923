// A [socket:NAME] section → SocketConfig (name lower-cased; `path` forces AF_UNIX; umask read as decimal).

import { readText } from "../os/fs.ts";
import { SectionReader } from "./fields.ts";
import type { Diagnostics, RawSection } from "./raw.ts";
import { SOCKET_DEFAULTS as D, SOCKET_OPTIONS } from "./schema.ts";
import { suggest } from "./suggest.ts";
import type { SocketConfig, SocketFamily, SocketType } from "./types.ts";

const FAMILIES: readonly SocketFamily[] = ["AF_INET", "AF_INET6", "AF_UNIX"];
const TYPES: readonly SocketType[] = ["SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"];
/** Protocol numbers of the common names, for hosts without /etc/protocols (minimal containers). */
const PROTOCOLS: Record<string, number> = {
  ip: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  "ipv6-icmp": 58,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
  raw: 255,
};

let systemProtocols: Map<string, number> | null = null;

/** Names and aliases from /etc/protocols, lower-cased: what Circus's getprotobyname() finds. */
function protocolsFile(): Map<string, number> {
  if (systemProtocols) return systemProtocols;
  systemProtocols = new Map();
  let text = "";
  try {
    text = readText("/etc/protocols");
  } catch {
    return systemProtocols; // no /etc/protocols (a minimal container): the built-in names serve
  }
  for (const line of text.split("\n")) {
    const [name, number, ...aliases] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!name || !number || !/^\d+$/.test(number)) continue;
    for (const n of [name, ...aliases])
      if (!systemProtocols.has(n.toLowerCase())) systemProtocols.set(n.toLowerCase(), Number(number));
  }
  return systemProtocols;
}

function oneOf<T extends string>(r: SectionReader, key: string, allowed: readonly T[], fallback: T): T {
  const text = r.text(key);
  if (text === undefined) return fallback;
  const upper = text.trim().toUpperCase();
  const hit = allowed.find((a) => a === upper);
  if (hit) return hit;
  r.problem(key, `${JSON.stringify(text)} is not a socket ${key}, expected one of ${allowed.join(", ")}`);
  return fallback;
}

function protoOf(r: SectionReader): number {
  const text = r.text("proto");
  if (text === undefined) return 0;
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  const n = protocolsFile().get(t) ?? (Object.hasOwn(PROTOCOLS, t) ? PROTOCOLS[t] : undefined);
  if (n !== undefined) return n;
  r.problem("proto", `${JSON.stringify(text)} is not a protocol, expected a name like tcp or udp, or a number`);
  return 0;
}

/** Normalise one socket section; `vars` = `env.*` from [env] over the daemon environment. */
export function readSocket(section: RawSection, diag: Diagnostics, vars: Map<string, string>): SocketConfig {
  const r = new SectionReader(section, diag, vars);
  const name = section.name.slice("socket:".length).toLowerCase();
  if (name.trim() === "")
    diag.problem(section.location, section.label, "the socket has no name, expected a header like [socket:web]");
  const path = r.strOrNull("path");
  const raw: Record<string, string> = {};
  for (const key of section.entries.keys()) raw[key] = r.text(key) ?? "";

  const socket: SocketConfig = {
    name,
    host: r.str("host", D.host),
    port: r.int("port", D.port),
    family: oneOf(r, "family", FAMILIES, D.family),
    type: oneOf(r, "type", TYPES, D.type),
    proto: protoOf(r),
    backlog: r.int("backlog", D.backlog),
    path,
    // Circus reads this umask as a decimal number (022 → 22); kept so existing configs bind the same way.
    umask: r.int("umask", D.umask),
    replace: r.bool("replace", false),
    interface: r.strOrNull("interface"),
    so_reuseport: r.bool("so_reuseport", false),
    blocking: r.bool("blocking", false),
    raw,
    source: section.location,
  };
  if (path !== null) socket.family = "AF_UNIX";
  if (socket.family === "AF_UNIX" && path === null)
    r.problem("path", "family = AF_UNIX needs a path, expected path = /run/app.sock");
  if (socket.port < 0 || socket.port > 65535) r.problem("port", `${socket.port} is out of range, expected 0 to 65535`);
  if (socket.backlog < 0) r.problem("backlog", `${socket.backlog} is negative, expected a queue length like 2048`);

  for (const key of section.entries.keys()) {
    if (key in SOCKET_OPTIONS || key === "__name__") continue;
    if (key === "use_papa") {
      r.warn(key, "Papa support was removed in Circus 0.18; ignored");
      continue;
    }
    const near = suggest(key, Object.keys(SOCKET_OPTIONS));
    r.warn(
      key,
      near ? `unknown socket option, ignored; did you mean ${JSON.stringify(near)}?` : "unknown socket option, ignored",
    );
  }
  return socket;
}
