// Putting the console's handler on the network: Bun.serve on a host and port, or an inherited
// listening fd (`--fd`, how circusd runs circushttpd) through node:net + node:http, since
// Bun.serve({fd}) ignores the fd (decisions §5). Both speak the same fetch-style handler.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { MAX_BODY_BYTES, type Handler } from "./http.ts";

export interface Listening {
  /** The address actually bound (an IP literal). */
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Seconds a connection may stay silent; the live stream speaks every second and pings every 15 s. */
const IDLE_TIMEOUT_S = 60;

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The URL a browser opens for a listener. */
export function listeningUrl(l: Listening): string {
  const host = l.host === "0.0.0.0" ? "127.0.0.1" : l.host === "::" ? "::1" : l.host;
  return `http://${urlHost(host)}:${l.port}/`;
}

/** Serve `handler` on `host:port` (port 0 picks a free one). */
export function serveOnPort(handler: Handler, host: string, port: number): Listening {
  const server = Bun.serve({
    hostname: host,
    port,
    idleTimeout: IDLE_TIMEOUT_S,
    maxRequestBodySize: MAX_BODY_BYTES,
    fetch: (req, srv) => handler(req, srv.requestIP(req)?.address ?? ""),
  });
  const address = server.url;
  return {
    host: address.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: server.port ?? port,
    close: async () => {
      await server.stop(true);
    },
  };
}

/** Serve `handler` on the listening socket `fd` this process inherited. */
export async function serveOnFd(handler: Handler, fd: number): Promise<Listening> {
  const net = await import("node:net");
  const http = await import("node:http");
  const httpServer = http.createServer((req, res) => void answer(handler, req, res));
  httpServer.keepAliveTimeout = IDLE_TIMEOUT_S * 1000;
  const listener = net.createServer((socket) => httpServer.emit("connection", socket));
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen({ fd }, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const address = listener.address();
  if (address === null || typeof address === "string") {
    listener.close();
    throw new Error(`fd ${fd} is not a listening TCP socket`);
  }
  const sockets = new Set<Socket>();
  httpServer.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        listener.close(() => resolve());
        httpServer.close();
      }),
  };
}

/** One node:http request through the fetch-style handler, streaming the answer with backpressure. */
async function answer(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  let body: Uint8Array | undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { "content-type": "text/plain" }).end("request too large\n");
        return;
      }
      chunks.push(chunk);
    }
    body = Buffer.concat(chunks);
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  let request: Request;
  try {
    request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method: req.method,
      headers,
      body,
      signal: abort.signal,
    });
  } catch {
    // A Host header or target no URL can hold: the client's mistake, answered as such.
    res.writeHead(400, { "content-type": "text/plain" }).end("bad request\n");
    return;
  }
  const response = await handler(request, req.socket.remoteAddress ?? "");
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    out[k] = k === "set-cookie" ? response.headers.getSetCookie() : v;
  });
  res.writeHead(response.status, out);
  if (!response.body || req.method === "HEAD") {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // the client went away
  } finally {
    void reader.cancel().catch(() => {});
    res.end();
  }
}

/** Resolve when `res` can take more (or is gone), without leaving listeners behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
