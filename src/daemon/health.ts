// `[circus] health = host:port`: an HTTP endpoint for liveness and readiness probes (Kubernetes, load
// balancers). `/healthz` is answered by the daemon's own event loop, so an answer proves it turns;
// `/readyz` says whether every watcher that counts is ready (arbiter.readiness()), 200 or 503. Both
// answer JSON; nothing else is served, and nothing can be changed through it.

import type { Arbiter } from "../arbiter/arbiter.ts";
import { splitHostPort } from "../config/options/ready.ts";
import { getLogger } from "../util/log.ts";

const log = getLogger("circus");

export interface HealthEndpoint {
  /** The address it listens on (the real port when 0 was asked for). */
  readonly url: string;
  close(): void;
}

/** Serve the endpoint on `address` (`host:port`); throws when it cannot listen (the daemon does not start). */
export function startHealthEndpoint(address: string, arbiter: Arbiter): HealthEndpoint {
  const parsed = splitHostPort(address) ?? { host: address, port: 0 };
  const started = Date.now();
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = serve();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const why = typeof e.code === "string" ? e.code : String(e.message ?? err).split("\n")[0];
    throw new Error(
      `[circus] health = ${address}: cannot listen there (${why}); pick a free port on an address of this host`,
    );
  }
  const host = parsed.host.includes(":") ? `[${parsed.host}]` : parsed.host;
  const url = `http://${host}:${server.port}`;
  log.info(`health endpoint at ${url}/healthz and ${url}/readyz`);
  return { url, close: () => void server.stop(true) };

  function serve() {
    return Bun.serve({
      hostname: parsed.host,
      port: parsed.port,
      fetch(req) {
        // An HTTP/1.0 probe sends no Host header: Bun's req.url is then just the path.
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
      },
      error(err) {
        // Never Bun's default page with the daemon's stack on stderr: one log line, one JSON answer.
        log.error(`health endpoint: ${err.message.split("\n")[0]}`);
        return json(500, { error: "internal error" });
      },
    });
  }
}
