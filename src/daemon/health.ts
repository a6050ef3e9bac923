// `[circus] health = host:port`: an HTTP endpoint for liveness and readiness probes (Kubernetes, load
// balancers). `/healthz` is answered by the daemon's own event loop, so an answer proves it turns;
// `/readyz` says whether every watcher that counts is ready (arbiter.readiness()), 200 or 503. Both
// answer JSON; nothing else is served, and nothing can be changed through it.

import type { Arbiter } from "../arbiter/arbiter.ts";
import { splitHostPort } from "../config/options/ready.ts";
import { bindSocket, closeSocket, type BoundSocket } from "../os/sockets.ts";
import { getLogger } from "../util/log.ts";
import { serveOnFd, type Listening } from "../web/serve.ts";

const log = getLogger("circus");

export interface HealthEndpoint {
  /** The address it listens on (the real port when 0 was asked for). */
  readonly url: string;
  /** The listening socket: an upgrade hands it to the next image, so probes are never refused. */
  readonly fd: number;
  close(): Promise<void>;
}

/**
 * Serve the endpoint on `address` (`host:port`), or on `inheritedFd` (the listening socket a previous
 * image handed over); throws when it cannot listen (the daemon does not start). The socket is the
 * daemon's own (bound through src/os), served by node:http on its fd, so it can outlive an exec.
 */
export async function startHealthEndpoint(
  address: string,
  arbiter: Arbiter,
  inheritedFd: number | null = null,
): Promise<HealthEndpoint> {
  const parsed = splitHostPort(address) ?? { host: address, port: 0 };
  const started = Date.now();
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  let bound: BoundSocket | null = null;
  let listening: Listening;
  try {
    if (inheritedFd === null) {
      bound = await bindSocket({
        family: parsed.host.includes(":") ? "AF_INET6" : "AF_INET",
        type: "SOCK_STREAM",
        proto: 0,
        host: parsed.host,
        port: parsed.port,
        path: null,
        backlog: 128,
        umask: 0o22,
        replace: false,
        interface: null,
        reusePort: false,
        blocking: false,
      });
    }
    listening = await serveOnFd(handle, inheritedFd ?? bound!.fd);
  } catch (err) {
    if (bound) closeSocket(bound);
    const e = err as { code?: unknown; message?: unknown };
    const why = typeof e.code === "string" ? e.code : String(e.message ?? err).split("\n")[0];
    throw new Error(
      `[circus] health = ${address}: cannot listen there (${why}); pick a free port on an address of this host`,
    );
  }
  const fd = inheritedFd ?? bound!.fd;
  const host = listening.host.includes(":") ? `[${listening.host}]` : listening.host;
  const url = `http://${host}:${listening.port}`;
  log.info(`health endpoint at ${url}/healthz and ${url}/readyz`);
  return {
    url,
    fd,
    close: async () => {
      await listening.close();
      if (bound) closeSocket(bound);
    },
  };

  async function handle(req: Request): Promise<Response> {
    try {
      return route(req);
    } catch (err) {
      // Never a stack on stderr: one log line, one JSON answer.
      log.error(`health endpoint: ${(err as Error).message.split("\n")[0]}`);
      return json(500, { error: "internal error" });
    }
  }

  function route(req: Request): Response {
    // An HTTP/1.0 probe sends no Host header: the URL is then just the path.
    const path = new URL(req.url, "http://health").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { error: "GET or HEAD only" });
    if (path === "/healthz" || path === "/livez") {
      return json(200, {
        status: "ok",
        pid: process.pid,
        uptime: Math.round((Date.now() - started) / 1000),
        watchers: arbiter.watchers().length,
      });
    }
    if (path === "/readyz") {
      const report = arbiter.readiness();
      return json(report.ready ? 200 : 503, { status: report.ready ? "ready" : "not ready", ...report });
    }
    return json(404, { error: "not found; try /healthz or /readyz" });
  }
}
