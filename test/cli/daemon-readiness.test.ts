// Readiness through a real daemon: a graceful reload under constant HTTP load fails no request (the
// requests answered by each generation are counted), `start --waiting` names the probe that failed and
// `status` shows `starting`, the health endpoint answers /healthz and /readyz, and a critical watcher that
// gives up makes the daemon exit 1.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  circusCommand,
  freePort,
  ROOT,
  type RunningDaemon,
  startDaemon,
  waitFor,
  waitPids,
} from "../helpers/daemon.ts";
import { within } from "../helpers/wait.ts";

const WORKER = join(ROOT, "test/fixtures/ready-worker.py");
const PY = "/usr/bin/python3";

let daemon: RunningDaemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const HEAD = "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\ncheck_delay = 1\n";

/**
 * Requests in a loop from `clients` clients, each on a fresh connection, until stopped. A request not
 * answered within `timeoutMs` fails, as behind a proxy: workers boot for longer than that, so a gap
 * with no worker accepting shows as failures.
 */
function load(url: string, clients: number, timeoutMs: number) {
  const answers: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), keepalive: false });
        const body = await res.text();
        if (res.status !== 200) failures.push(`status ${res.status}`);
        else answers.push(Number(body));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  return {
    answers,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Workers boot for BOOT_S before they accept; a request waits at most TIMEOUT_MS for its answer. */
const BOOT_S = 1.5;
const TIMEOUT_MS = 1000;

/** `reloads` graceful reloads of 2 workers on a shared socket under constant load: failures and answers per generation. */
async function reloadUnderLoad(probe: boolean, reloads: number) {
  const port = freePort();
  daemon = await startDaemon(
    `${HEAD}[socket:web]\nhost = 127.0.0.1\nport = ${port}\n` +
      `[watcher:web]\ncmd = ${PY} ${WORKER} --fd $(circus.sockets.web) --boot ${BOOT_S} --notify --work 0.005\n` +
      "use_sockets = true\nnumprocesses = 2\ngraceful_timeout = 5\n" +
      // Without the probe there is no NOTIFY_SOCKET: the worker's --notify does nothing.
      (probe ? "ready.notify = true\nready.timeout = 10\n" : ""),
  );
  const d = daemon;
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(async () => (await fetch(url).catch(() => null))?.status === 200, 10000, "web answering");
  const generations: number[][] = [await waitPids(d, "web", 2)];
  const traffic = load(url, 4, TIMEOUT_MS);
  const servedSince = async (n: number) => {
    const from = traffic.answers.length;
    await waitFor(() => traffic.answers.length >= from + n, 15000, `${n} answers`);
  };
  await servedSince(20);
  for (let i = 0; i < reloads; i++) {
    const reply = await d.call("reload", { name: "web", waiting: true });
    expect(reply.status).toBe("ok");
    const info = reply.info as { started: number[]; stopped: number[] };
    expect(info.stopped.sort()).toEqual(generations.at(-1)!.sort());
    generations.push(info.started);
    await servedSince(20);
  }
  await traffic.stop();
  const byGeneration = generations.map((pids) => traffic.answers.filter((pid) => pids.includes(pid)).length);
  return { failures: traffic.failures, byGeneration, answers: traffic.answers.length };
}

describe("readiness through the daemon", () => {
  test("a graceful reload under constant HTTP load fails no request; every generation answers", async () => {
    const { failures, byGeneration, answers } = await reloadUnderLoad(true, 2);
    expect(failures).toEqual([]);
    expect(byGeneration).toHaveLength(3);
    for (const count of byGeneration) expect(count).toBeGreaterThan(0);
    expect(byGeneration.reduce((a, b) => a + b, 0)).toBe(answers);
  }, 90000);

  test("the same reload without a probe leaves a gap with no worker accepting: requests fail", async () => {
    const { failures } = await reloadUnderLoad(false, 1);
    expect(failures.length).toBeGreaterThan(0);
  }, 60000);

  test("start --waiting fails naming the probe; meanwhile status says starting", async () => {
    daemon = await startDaemon(
      `${HEAD}[watcher:slow]\ncmd = sleep 60\nautostart = false\nready.tcp = 127.0.0.1:9\n` +
        "ready.interval = 0.1\nready.timeout = 1\ngraceful_timeout = 1\n",
    );
    const d = daemon;
    const reply = d.call("start", { name: "slow", waiting: true });
    await waitFor(async () => (await d.call("status", { name: "slow" })).status === "starting", 5000, "starting");
    const answer = await reply;
    expect(answer.status).toBe("error");
    expect(String(answer.reason)).toContain("not ready after 1 s (ready.tcp 127.0.0.1:9: connection refused)");
    expect(answer.errno).toBe(5);
  });

  test("a watcher waiting for its probe is starting in status, circus ctl ps and circus top", async () => {
    daemon = await startDaemon(
      `${HEAD}[watcher:slow]\ncmd = sleep 60\nready.tcp = 127.0.0.1:9\nready.interval = 0.2\nready.timeout = 60\n` +
        "graceful_timeout = 1\n[watcher:quick]\ncmd = sleep 60\n",
    );
    const d = daemon;
    await waitPids(d, "slow", 1);
    expect((await d.call("status", { name: "slow" })).status).toBe("starting");
    expect((await d.call("status", { name: "quick" })).status).toBe("active");
    const tool = async (...args: string[]) => {
      const proc = Bun.spawn([...circusCommand(), ...args], {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, CIRCUSCTL_ENDPOINT: d.endpoint },
      });
      const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      expect(code).toBe(0);
      return out.split("\n");
    };
    const ps = await tool("ctl", "ps");
    expect(ps.find((l) => l.startsWith("slow "))).toContain("starting");
    expect(ps.find((l) => l.startsWith("quick "))).toContain("active");
    const top = await tool("top");
    expect(top).toContain("slow  starting · 1 process · ↺ 0");
    expect(top).toContain("quick  active · 1 process · ↺ 0");
  });

  test("the health endpoint answers /healthz at once and /readyz 503 until the watchers are ready", async () => {
    const health = freePort();
    daemon = await startDaemon(
      `${HEAD}health = 127.0.0.1:${health}\n` +
        `[watcher:web]\ncmd = ${PY} ${WORKER} --port ${freePort()} --boot 1 --log\nready.log = ^listening\n`,
    );
    const base = `http://127.0.0.1:${health}`;
    const alive = await fetch(`${base}/healthz`);
    expect(alive.status).toBe(200);
    expect(((await alive.json()) as { status: string }).status).toBe("ok");
    const early = await fetch(`${base}/readyz`);
    expect(early.status).toBe(503);
    const body = (await early.json()) as { watchers: { name: string; status: string }[] };
    expect(body.watchers.map((w) => [w.name, w.status])).toEqual([["web", "starting"]]);
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 10000, "/readyz 200");
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  test("the health endpoint answers requests without a Host header (HTTP/1.0 probes) and logs no stack", async () => {
    const health = freePort();
    daemon = await startDaemon(`${HEAD}health = 127.0.0.1:${health}\n[watcher:w]\ncmd = sleep 60\n`);
    const { connect } = await import("node:net");
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect(health, "127.0.0.1", () => socket.end(request));
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("end", () => resolve(Buffer.concat(chunks).toString()));
        socket.on("error", reject);
      });
    const answer = await raw("GET /healthz HTTP/1.0\r\n\r\n");
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
    expect(answer).toContain('"status":"ok"');
    const head = await raw("HEAD /readyz HTTP/1.0\r\n\r\n");
    expect(head.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
    expect(daemon.output()).not.toContain("Invalid URL");
    expect(daemon.output()).not.toContain("    at ");
  });

  test("a health address it cannot listen on stops the start with one line naming the option", async () => {
    const { createServer } = await import("node:net");
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      daemon = await startDaemon(`${HEAD}health = 127.0.0.1:${port}\n[watcher:w]\ncmd = sleep 60\n`, [], {
        wait: false,
      });
      expect(await within(daemon.proc.exited, 15000, "the daemon to exit")).toBe(1);
      expect(daemon.output()).toContain(
        `cannot start: [circus] health = 127.0.0.1:${port}: cannot listen there (EADDRINUSE); pick a free port on an address of this host`,
      );
    } finally {
      holder.close();
    }
  });

  test("a critical watcher that gives up stops the daemon, which exits 1", async () => {
    daemon = await startDaemon(
      `${HEAD}[watcher:ok]\ncmd = sleep 60\n[watcher:core]\ncmd = /nonexistent/core\ncritical = true\nmax_retry = 2\n`,
      [],
      { wait: false },
    );
    const code = await within(daemon.proc.exited, 15000, "the daemon to exit");
    expect(code).toBe(1);
    expect(daemon.output()).toContain("watcher core gave up");
  });
});
