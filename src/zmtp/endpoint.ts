// Endpoint strings (`tcp://host:port`, `ipc://path`, `ipc://@abstract`) parsed into typed addresses.

import { HostResolutionError, resolveHost } from "../util/host.ts";
import { SUN_PATH_SIZE } from "../util/sockaddr.ts";
import { EndpointError } from "./errors.ts";

export interface TcpEndpoint {
  transport: "tcp";
  /** Host as written, without IPv6 brackets; `*` means all IPv4 interfaces. */
  host: string;
  /** 0 asks for an ephemeral port (written `0` or `*`). */
  port: number;
}

export interface IpcEndpoint {
  transport: "ipc";
  /** Filesystem path, or the abstract name (without `@`) when `abstract`. */
  path: string;
  abstract: boolean;
}

export type Endpoint = TcpEndpoint | IpcEndpoint;

/** Longest ipc path in bytes: `sun_path` less the terminating NUL. */
export const MAX_IPC_PATH = SUN_PATH_SIZE - 1;

/** Parse an endpoint string; throws EndpointError saying what is wrong. */
export function parseEndpoint(text: string): Endpoint {
  const sep = text.indexOf("://");
  if (sep < 0) throw new EndpointError(text, 'expected "tcp://host:port" or "ipc://path"');
  const scheme = text.slice(0, sep);
  const rest = text.slice(sep + 3);
  if (scheme === "tcp") return parseTcp(text, rest);
  if (scheme === "ipc") return parseIpc(text, rest);
  throw new EndpointError(text, `unsupported transport "${scheme}" (use tcp or ipc)`);
}

function parseTcp(text: string, rest: string): TcpEndpoint {
  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") throw new EndpointError(text, "IPv6 address must be written [addr]:port");
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) throw new EndpointError(text, "missing port (use :0 or :* for any free port)");
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(":")) throw new EndpointError(text, "IPv6 addresses must be in brackets, e.g. tcp://[::1]:5555");
  }
  if (host === "") throw new EndpointError(text, "missing host (use * for all interfaces)");
  let port: number;
  if (portText === "*") port = 0;
  else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else throw new EndpointError(text, `port "${portText}" is not a number from 0 to 65535`);
  return { transport: "tcp", host, port };
}

function parseIpc(text: string, rest: string): IpcEndpoint {
  if (rest === "") throw new EndpointError(text, "missing path");
  const abstract = rest.startsWith("@");
  const path = abstract ? rest.slice(1) : rest;
  if (abstract && path === "") throw new EndpointError(text, "missing abstract socket name after @");
  // Abstract names carry a leading NUL in sun_path, and Bun's sockets NUL-terminate them as well, so
  // they get one byte less.
  const bytes = new TextEncoder().encode(path).length + (abstract ? 1 : 0);
  if (bytes > MAX_IPC_PATH) {
    throw new EndpointError(
      text,
      `ipc path is ${bytes} bytes; the limit is ${MAX_IPC_PATH} (use a shorter or relative path)`,
    );
  }
  return { transport: "ipc", path, abstract };
}

/** Format an endpoint back to its string form (IPv6 hosts get brackets). */
export function formatEndpoint(ep: Endpoint): string {
  if (ep.transport === "ipc") return `ipc://${ep.abstract ? "@" : ""}${ep.path}`;
  const host = ep.host.includes(":") ? `[${ep.host}]` : ep.host;
  return `tcp://${host}:${ep.port}`;
}

/** The `unix` option value Bun expects: abstract names start with NUL. */
export function unixPath(ep: IpcEndpoint): string {
  return ep.abstract ? `\0${ep.path}` : ep.path;
}

/**
 * The address to bind/connect for a tcp endpoint: `*` is every IPv4 interface, an IPv6 literal stays as
 * written, host names resolve to IPv4 as libzmq does by default.
 */
export async function endpointAddress(ep: TcpEndpoint, text: string): Promise<string> {
  try {
    return await resolveHost(ep.host, ep.host.includes(":") ? 6 : 4);
  } catch (err) {
    if (!(err instanceof HostResolutionError)) throw err;
    throw new EndpointError(text, err.message, { cause: err });
  }
}
