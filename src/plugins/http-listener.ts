// A small HTTP/1.1 server for GET endpoints (the Prometheus exposition), on a listening socket the
// daemon passed (`Bun.listen({fd})`: Bun.serve ignores an fd, decisions §5) or on its own address.
// Keep-alive, HEAD, partial writes; request bodies are skipped; no node:http (it costs RSS).

import type { Logger } from "../util/log.ts";

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
}

export type HttpHandler = (method: string, path: string, headers: Map<string, string>) => Promise<HttpResponse>;

export interface HttpListenerOptions {
  /** An inherited listening socket; when null, `hostname:port` is bound here. */
  fd: number | null;
  hostname: string;
  port: number;
  handler: HttpHandler;
  logger: Logger;
}

/** A running listener; `stop()` closes it and its connections. */
export interface HttpListener {
  /** The bound port (null for an inherited socket: the daemon knows it). */
  port: number | null;
  stop(): void;
}

const MAX_HEAD = 16 * 1024;
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
};
const encoder = new TextEncoder();

interface Connection {
  input: Buffer;
  /** Bytes of a request body still to skip. */
  skip: number;
  output: Uint8Array[];
  busy: boolean;
  closeAfter: boolean;
}

type Sock = import("bun").Socket<Connection>;

function head(status: number, headers: Record<string, string>, length: number, close: boolean): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${length}`, `Connection: ${close ? "close" : "keep-alive"}`, "", "");
  return encoder.encode(lines.join("\r\n"));
}

function flush(sock: Sock): void {
  const c = sock.data;
  while (c.output.length > 0) {
    const chunk = c.output[0]!;
    const n = sock.write(chunk);
    if (n < chunk.length) {
      c.output[0] = chunk.subarray(Math.max(n, 0));
      return; // the rest goes out on drain
    }
    c.output.shift();
  }
  if (c.closeAfter && !c.busy) sock.end();
}

async function respond(
  sock: Sock,
  method: string,
  target: string,
  headers: Map<string, string>,
  opts: HttpListenerOptions,
) {
  const path = target.split("?")[0] ?? "/";
  let res: HttpResponse;
  if (method !== "GET" && method !== "HEAD") res = { status: 405, headers: { Allow: "GET, HEAD" }, body: "" };
  else {
    try {
      res = await opts.handler(method, path, headers);
    } catch (err) {
      opts.logger.error(`HTTP ${method} ${path}: ${(err as Error).message}`);
      res = { status: 500, body: "internal error\n" };
    }
  }
  const body = typeof res.body === "string" ? encoder.encode(res.body) : res.body;
  const c = sock.data;
  c.output.push(head(res.status, res.headers ?? {}, body.length, c.closeAfter));
  if (method !== "HEAD" && body.length > 0) c.output.push(body);
}

/** Parse as many requests as the buffer holds and answer them in order. */
async function serve(sock: Sock, opts: HttpListenerOptions): Promise<void> {
  const c = sock.data;
  if (c.busy) return;
  c.busy = true;
  try {
    for (;;) {
      if (c.skip > 0) {
        const n = Math.min(c.skip, c.input.length);
        c.input = c.input.subarray(n);
        c.skip -= n;
        if (c.skip > 0) break;
      }
      const end = c.input.indexOf("\r\n\r\n");
      if (end < 0) {
        if (c.input.length > MAX_HEAD) {
          c.closeAfter = true;
          c.output.push(head(431, {}, 0, true));
        }
        break;
      }
      const lines = c.input.toString("latin1", 0, end).split("\r\n");
      c.input = c.input.subarray(end + 4);
      const [method = "", target = "", version = ""] = lines[0]!.split(" ");
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      if (!version.startsWith("HTTP/1.") || !target.startsWith("/") || headers.has("transfer-encoding")) {
        c.closeAfter = true;
        c.output.push(head(400, {}, 0, true));
        break;
      }
      const connection = (headers.get("connection") ?? "").toLowerCase();
      c.closeAfter = version === "HTTP/1.0" ? connection !== "keep-alive" : connection === "close";
      c.skip = Number(headers.get("content-length") ?? 0) || 0;
      await respond(sock, method, target, headers, opts);
      flush(sock);
      if (c.closeAfter) break;
    }
  } finally {
    c.busy = false;
  }
  flush(sock);
}

/** Start serving; throws when the address cannot be bound. */
export function listenHttp(opts: HttpListenerOptions): HttpListener {
  const socket = {
    open(sock: Sock) {
      sock.data = { input: Buffer.alloc(0), skip: 0, output: [], busy: false, closeAfter: false };
    },
    data(sock: Sock, chunk: Buffer) {
      if (sock.data.closeAfter) return;
      sock.data.input = sock.data.input.length ? Buffer.concat([sock.data.input, chunk]) : Buffer.from(chunk);
      void serve(sock, opts);
    },
    drain(sock: Sock) {
      flush(sock);
    },
    error(_sock: Sock, err: Error) {
      opts.logger.debug(`HTTP connection: ${err.message}`);
    },
  };
  if (opts.fd !== null) {
    // Bun.listen accepts an fd at run time; its types only know host/port and unix.
    const inherited = Bun.listen<Connection>({ fd: opts.fd, socket } as unknown as Parameters<
      typeof Bun.listen<Connection>
    >[0]);
    return { port: null, stop: () => inherited.stop(true) };
  }
  const listener = Bun.listen<Connection>({ hostname: opts.hostname, port: opts.port, socket });
  return { port: listener.port, stop: () => listener.stop(true) };
}
