// The plugins' small HTTP server over raw TCP: keep-alive, HEAD, a large body written in parts, 405,
// bad requests, and serving on a listening socket the daemon bound (an inherited fd).

import { afterEach, expect, test } from "bun:test";
import { connect } from "node:net";
import { getLogger } from "../../src/util/log.ts";
import { bindSocket, closeSocket } from "../../src/os/sockets.ts";
import { listenHttp, type HttpListener } from "../../src/plugins/http-listener.ts";

let listener: HttpListener | null = null;
afterEach(() => {
  listener?.stop();
  listener = null;
});

const BIG = "x".repeat(3 * 1024 * 1024);

function serve(fd: number | null = null): number {
  listener = listenHttp({
    fd,
    hostname: "127.0.0.1",
    port: 0,
    logger: getLogger("test.http"),
    handler: async (_method, path) =>
      path === "/big" ? { status: 200, body: BIG } : { status: 200, headers: { "X-Path": path }, body: `at ${path}\n` },
  });
  return listener.port ?? 0;
}

/** Send `raw` on one connection and collect everything until the server closes it. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ port, host: "127.0.0.1" }, () => s.write(raw));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.on("error", reject);
  });
}

test("two requests on one keep-alive connection, then Connection: close", async () => {
  const port = serve();
  const out = await exchange(
    port,
    "GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const [first, second] = out.split("HTTP/1.1 200 OK\r\n").filter(Boolean);
  expect(first).toContain("X-Path: /a\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nat /a\n");
  expect(second).toEndWith("Content-Length: 6\r\nConnection: close\r\n\r\n"); // HEAD: no body
});

test("a body larger than the socket buffer arrives whole", async () => {
  const port = serve();
  const response = await fetch(`http://127.0.0.1:${port}/big`);
  expect((await response.text()).length).toBe(BIG.length);
});

test("methods other than GET/HEAD get 405; garbage gets 400 and the connection closes", async () => {
  const port = serve();
  expect((await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "data" })).status).toBe(405);
  expect(await exchange(port, "NONSENSE\r\n\r\n")).toStartWith("HTTP/1.1 400 Bad Request\r\n");
});

test("serves on an inherited listening fd", async () => {
  const bound = await bindSocket({
    family: "AF_INET",
    type: "SOCK_STREAM",
    proto: 0,
    host: "127.0.0.1",
    port: 0,
    path: null,
    backlog: 16,
    umask: 0,
    replace: false,
    interface: null,
    reusePort: false,
    blocking: false,
  });
  try {
    serve(bound.fd);
    expect(await (await fetch(`http://127.0.0.1:${bound.port}/fd`)).text()).toBe("at /fd\n");
  } finally {
    listener?.stop();
    listener = null;
    closeSocket(bound);
  }
});
