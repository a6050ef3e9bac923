// Host names to IP addresses, one way for ZMTP endpoints, [socket:…] sections and syslog targets:
// literals pass through, `*` (and "", as Python binds it) is the wildcard, names go to Bun's resolver
// (not node:dns, whose module costs the compiled daemon megabytes of RSS). Also which hosts are this
// machine only (the config check of `[circus] httpd_host` and the web console's bind check).

export type IpVersion = 4 | 6;

/** 4 or 6 for an IP address literal, 0 for anything else (a host name). */
export function ipVersion(text: string): 0 | IpVersion {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text)) return 4;
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return 0;
  const halves = text.split("::");
  if (halves.length > 2) return 0;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  const tail = groups.at(-1) ?? "";
  const embedsV4 = tail.includes(".");
  if (embedsV4 && ipVersion(tail) !== 4) return 0;
  const hexGroups = embedsV4 ? groups.slice(0, -1) : groups;
  if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return 0;
  const count = hexGroups.length + (embedsV4 ? 2 : 0);
  return halves.length === 2 ? (count <= 7 ? 6 : 0) : count === 8 ? 6 : 0;
}

/**
 * True when `host` names only this machine: `localhost` (and `*.localhost`), 127.0.0.0/8, ::1 and
 * ::ffff:127.x, bracketed or not. Any other name could resolve to a reachable address, so it does not count.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return v4 !== null && v4[1] === "127" && v4.slice(2).every((o) => Number(o) <= 255);
}

/** Why a host gave no address: a literal of the other IP version, a failed lookup, or no address of that version. */
export type HostProblem = "wrong-version" | "unresolvable" | "no-address";

/** A host that cannot be turned into an address of the wanted IP version. */
export class HostResolutionError extends Error {
  override readonly name = "HostResolutionError";
  constructor(
    readonly host: string,
    readonly wanted: IpVersion | "any",
    readonly problem: HostProblem,
    cause?: unknown,
  ) {
    const v = wanted === "any" ? "IP" : `IPv${wanted}`;
    const why =
      problem === "wrong-version"
        ? `is an IPv${wanted === 4 ? 6 : 4} address, not an ${v} one`
        : problem === "no-address"
          ? `has no ${v} address`
          : `cannot be resolved to an ${v} address (${resolverReason(cause)})`;
    super(`host "${host}" ${why}`, { cause });
  }
}

function resolverReason(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  return (cause as Error & { code?: unknown }).code?.toString() ?? cause.message;
}

/**
 * The address to bind or connect to for `host` in IP version `version` ("any": either, literals as they
 * are, names to their first address). An IPv6 literal may carry a `%scope`, which is kept.
 */
export async function resolveHost(host: string, version: IpVersion | "any"): Promise<string> {
  if (host === "" || host === "*") return version === 6 ? "::" : "0.0.0.0";
  const literal = ipVersion(host.split("%", 1)[0]!);
  if (literal !== 0) {
    if (version !== "any" && literal !== version) throw new HostResolutionError(host, version, "wrong-version");
    return host;
  }
  let found: { address: string; family: number }[];
  try {
    found = await Bun.dns.lookup(host, version === "any" ? {} : { family: version });
  } catch (err) {
    throw new HostResolutionError(host, version, "unresolvable", err);
  }
  const first = found.find((a) => version === "any" || a.family === version);
  if (!first) throw new HostResolutionError(host, version, "no-address");
  return first.address;
}
