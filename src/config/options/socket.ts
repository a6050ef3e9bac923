// The [socket:NAME] table: where and how a shared socket is bound, with Circus 0.19's defaults.

import { readText } from "../../os/fs.ts";
import { SOCKET_FAMILIES, SOCKET_TYPES } from "../../os/sockets.ts";
import { ScalarError } from "../scalars.ts";
import { bool, int, oneOf, optionalText, text } from "./kinds.ts";
import { OptionError, type OptionSpec, option, type ValueKind, type ValuesOf } from "./spec.ts";

/** Protocol numbers of the common names, for hosts without /etc/protocols (minimal containers). */
const PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ["ip", 0],
  ["icmp", 1],
  ["igmp", 2],
  ["tcp", 6],
  ["udp", 17],
  ["ipv6", 41],
  ["gre", 47],
  ["esp", 50],
  ["ah", 51],
  ["ipv6-icmp", 58],
  ["icmpv6", 58],
  ["sctp", 132],
  ["udplite", 136],
  ["raw", 255],
]);

let systemProtocols: Map<string, number> | null = null;

/** Names and aliases from /etc/protocols, lower-cased: what Circus's getprotobyname() finds. */
function protocolsFile(): Map<string, number> {
  if (systemProtocols) return systemProtocols;
  systemProtocols = new Map();
  let content = "";
  try {
    content = readText("/etc/protocols");
  } catch {
    // No /etc/protocols (minimal containers): the built-in names above still work.
    return systemProtocols;
  }
  for (const line of content.split("\n")) {
    const [name, num, ...aliases] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!name || !num || !/^\d+$/.test(num)) continue;
    for (const n of [name, ...aliases])
      if (!systemProtocols.has(n.toLowerCase())) systemProtocols.set(n.toLowerCase(), Number(num));
  }
  return systemProtocols;
}

function protocolNumber(raw: string): number {
  const t = raw.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  const n = protocolsFile().get(t) ?? PROTOCOLS.get(t);
  if (n !== undefined) return n;
  throw new ScalarError(`${JSON.stringify(raw)} is not a protocol, expected a name like tcp or udp, or a number`);
}

/** A protocol by name (`tcp`, any alias of /etc/protocols) or number, held as its number. */
const protocol: ValueKind<number> = {
  name: "protocol",
  textual: true,
  tomlExpected: 'a name like "tcp" or a number',
  fromText: protocolNumber,
  fromToml: (v) => protocolNumber(String(v)),
  fromWire: (v, key) => {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    if (typeof v !== "string") throw new OptionError(`'${key}' isn't a protocol`);
    try {
      return protocolNumber(v);
    } catch (err) {
      throw new OptionError(`'${key}' isn't a protocol`, 3, { cause: err });
    }
  },
  fromCtl: (t) => protocolNumber(t),
  render: String,
};

/** Every [socket:NAME] option. */
export const SOCKET_OPTIONS = {
  host: option(text, { default: "localhost", doc: "address to bind (the first IPv4 result, IPv6 with AF_INET6)" }),
  port: option(int, {
    default: 8080,
    range: { min: 0, max: 65535, text: "0 to 65535" },
    doc: "port to bind; 0 picks a free one (`listsockets` shows it)",
  }),
  family: option(oneOf(SOCKET_FAMILIES, "socket family"), { default: "AF_INET", doc: "address family, any case" }),
  type: option(oneOf(SOCKET_TYPES, "socket type"), { default: "SOCK_STREAM", doc: "socket type, any case" }),
  proto: option(protocol, { default: 0, doc: "protocol name or number (0 = the type's default)" }),
  backlog: option(int, {
    default: 2048,
    range: { min: 0, text: "a queue length like 2048" },
    doc: "listen queue length",
  }),
  path: option(optionalText, { default: null, doc: "unix socket path; forces AF_UNIX (host and port unused)" }),
  umask: option(int, {
    default: 8,
    doc: "umask while binding a unix socket, read as a decimal number (`022` is 22, as in Circus)",
  }),
  replace: option(bool, { default: false, doc: "remove an existing file at `path` instead of failing" }),
  interface: option(optionalText, { default: null, doc: "bind to this network device (SO_BINDTODEVICE)" }),
  so_reuseport: option(bool, {
    default: false,
    doc: "each process binds its own socket (SO_REUSEPORT) when its `cmd` names `circus.sockets.<name>`",
  }),
  blocking: option(bool, { default: false, doc: "leave the socket in blocking mode" }),
  systemd: option(bool, {
    default: false,
    doc: "take the listening socket systemd passes under this name (`LISTEN_FDS`/`LISTEN_FDNAMES`, `FileDescriptorName=`) instead of binding one; the port then survives a daemon restart (beyond Circus)",
  }),
} as const satisfies Record<string, OptionSpec<unknown>>;

export type SocketValues = ValuesOf<typeof SOCKET_OPTIONS>;

/** [socket:*] keys accepted with a warning. */
export const SOCKET_INERT: ReadonlyMap<string, string> = new Map([
  ["use_papa", "Papa support was removed in Circus 0.18; ignored"],
]);
