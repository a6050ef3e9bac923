// The Prometheus plugin run by a real daemon (which binds its listening socket): the text it serves
// names each watcher's and process's figures; python3-prometheus-client's parser accepts it, and
// Debian's prometheus server scrapes it (target up, PromQL returns our series).

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { killAllPeers, spawnPeer } from "../helpers/peers.ts";
import { PY, pidsOf, startWithPlugin } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await killAllPeers();
  await daemon?.stop();
  daemon = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startWithMetrics(): Promise<{ d: RunningDaemon; url: string }> {
  const port = freePort();
  const d = await startWithPlugin(
    `
# More new processes than the plugin asks about one by one (16): their wids come from one \`stats\`.
[watcher:idle]
cmd = sleep 3600
numprocesses = 20

[watcher:crasher]
cmd = sh -c "sleep 0.2; exit 2"
max_retry = -1

[plugin:prom]
use = prometheus
port = ${port}
`,
    "plugin:prom",
  );
  daemon = d;
  return { d, url: `http://127.0.0.1:${port}/metrics` };
}

/** Sample lines of the exposition as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe("Prometheus plugin", () => {
  test("serves watchers, processes (labelled watcher/pid/wid), deaths by cause and the daemon's own figures", async () => {
    const { d, url } = await startWithMetrics();
    const pids = await pidsOf(d, "idle", 20);
    const reaps = async () => {
      const text = await (await fetch(url)).text();
      return samples(text).get('circus_watcher_deaths_total{watcher="crasher",cause="crash"}') ?? 0;
    };
    await waitFor(async () => (await reaps()) >= 2, 10_000, "two crashes counted");
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    const s = samples(text);
    expect(s.get("circus_daemon_up")).toBe(1);
    expect(s.get('circus_watcher_processes_wanted{watcher="idle"}')).toBe(20);
    expect(s.get('circus_watcher_processes_running{watcher="idle"}')).toBe(20);
    expect(s.get('circus_watcher_status{watcher="idle",status="active"}')).toBe(1);
    expect(s.get('circus_watcher_status{watcher="idle",status="stopped"}')).toBe(0);
    expect(s.get('circus_watcher_processes_running{watcher="plugin:prom"}')).toBe(1);
    expect(s.get('circus_watcher_restarts_total{watcher="crasher"}')).toBeGreaterThanOrEqual(1);
    expect(s.get('circus_watcher_spawns_total{watcher="crasher"}')).toBeGreaterThanOrEqual(1);
    const wids = new Set<string>();
    for (const pid of pids) {
      const key = [...s.keys()].find((k) =>
        k.startsWith(`circus_process_resident_memory_bytes{watcher="idle",pid="${pid}",`),
      );
      expect(key).toBeDefined();
      wids.add(/wid="(\d+)"/.exec(key!)![1]!);
      expect(s.get(key!)).toBeGreaterThan(100_000);
      expect(s.get(key!.replace("resident_memory_bytes", "uptime_seconds"))).toBeGreaterThanOrEqual(0);
      expect(s.get(key!.replace("resident_memory_bytes", "cpu_seconds_total"))).toBeGreaterThanOrEqual(0);
    }
    expect([...wids].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(s.get("circus_daemon_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(s.get("circus_daemon_uptime_seconds")).toBeGreaterThan(0);
    expect(s.get("circus_daemon_watchers")).toBe(3);
    expect((await fetch(url.replace("/metrics", "/nope"))).status).toBe(404);
    // A decr's stop is counted although, as in Circus, no reap event reports it.
    await d.call("decr", { name: "idle", waiting: true });
    const stops = await waitFor(
      async () =>
        samples(await (await fetch(url)).text()).get('circus_watcher_deaths_total{watcher="idle",cause="stop"}'),
      5000,
      "the decr counted",
    );
    expect(stops).toBe(1);
  });

  test("python3-prometheus-client's parser accepts the text", async () => {
    const { d, url } = await startWithMetrics();
    // All 20 idle workers run (a loaded machine can still be starting some) and the crasher has crashed.
    await pidsOf(d, "idle", 20);
    await waitFor(async () => (await (await fetch(url)).text()).includes('cause="crash"'), 10_000, "a crash counted");
    const text = await (await fetch(url)).text();
    const parse = Bun.spawn(
      [
        PY,
        "-c",
        `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = list(text_string_to_metric_families(sys.stdin.read()))
print(json.dumps({f.name: [f.type, len(f.samples)] for f in families}))
`,
      ],
      { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" },
    );
    const [out, err, code] = await Promise.all([
      new Response(parse.stdout).text(),
      new Response(parse.stderr).text(),
      parse.exited,
    ]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const families = JSON.parse(out) as Record<string, [string, number]>;
    // The client library names counter families without _total.
    expect(families.circus_watcher_deaths).toEqual(["counter", expect.any(Number)]);
    // 20 idle workers and the plugin itself, plus the crasher when it is up.
    expect(families.circus_process_resident_memory_bytes![0]).toBe("gauge");
    expect(families.circus_process_resident_memory_bytes![1]).toBeGreaterThanOrEqual(21);
    expect(families.circus_watcher_processes_running![0]).toBe("gauge");
  });

  test("Debian's prometheus scrapes it: the target is up and a PromQL query returns our series", async () => {
    const { url } = await startWithMetrics();
    const dir = mkdtempSync(join(tmpdir(), "circus-prom-"));
    dirs.push(dir);
    const target = new URL(url);
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: circus\n    static_configs:\n      - targets: ["${target.host}"]\n`,
    );
    const web = freePort();
    const server = spawnPeer(
      [
        "prometheus",
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${web}`,
      ],
      "prometheus",
    );
    const api = `http://127.0.0.1:${web}/api/v1`;
    const health = await waitFor(
      async () => {
        if (server.proc.exitCode !== null) throw new Error(`prometheus exited: ${server.stderr()}`);
        const body = (await (await fetch(`${api}/targets`).catch(() => null))?.json().catch(() => null)) as {
          data?: { activeTargets?: { health: string; lastError: string }[] };
        } | null;
        const t = body?.data?.activeTargets?.[0];
        return t && t.health !== "unknown" ? t : null;
      },
      20_000,
      "prometheus to scrape the target",
    );
    expect(health).toEqual(expect.objectContaining({ health: "up", lastError: "" }));
    const query = encodeURIComponent('circus_watcher_processes_running{watcher="idle"}');
    const result = await waitFor(async () => {
      const body = (await (await fetch(`${api}/query?query=${query}`)).json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result.length > 0 ? body.data.result : null;
    }, 10_000);
    expect(result[0]!.metric).toEqual(expect.objectContaining({ job: "circus", watcher: "idle" }));
    expect(result[0]!.value[1]).toBe("20");
  }, 30_000);
});
