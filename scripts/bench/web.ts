// Web console benchmark (not a test): a daemon with W watchers × P `sleep` workers and its stats
// stream, `circus web` on it, Debian's chromium on the dashboard. Measures the first render (from
// the navigation's start to the charts drawn, `circus:drawn`), how far the drawn ticks trail the
// stats stream, the web process's VmRSS, and whether the page keeps up over time (tick lag, JS heap,
// DOM nodes at the start and the end). Prints markdown.
//
//   bun scripts/bench/web.ts [--watchers 100] [--per 10] [--minutes 10] [--loads 10]
//
// Runs dist/circus (npm run build first).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { subscribe } from "../../src/protocol/client.ts";
import { launchBrowser } from "../../test/web/helpers.ts";
import { CIRCUS_BINARY, fmt, freePort, percentile, rssMb, startCircusDaemon } from "./common.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const WATCHERS = arg("watchers", 100);
const PER = arg("per", 10);
const MINUTES = arg("minutes", 10);
const LOADS = arg("loads", 10);
const SAMPLE_EVERY_MS = 10_000;

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1) ?? Number.NaN, n: s.length };
};

/**
 * Wait for the page's first render mark. Polled from here: waitForFunction evaluates its predicate
 * with eval inside the page, which the console's Content-Security-Policy forbids.
 */
async function drawnOn(page: Page): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await page.evaluate<number>("performance.getEntriesByName('circus:drawn').length"))) {
    if (Date.now() > deadline) throw new Error("the dashboard was not drawn within 10 s");
    await Bun.sleep(10);
  }
}

const dir = mkdtempSync(join(tmpdir(), "circus-bench-web-"));
const statspoint = `tcp://127.0.0.1:${freePort()}`;
let watchers = "";
for (let i = 0; i < WATCHERS; i++)
  watchers += `[watcher:w${String(i).padStart(3, "0")}]\ncmd = sleep 3600\nnumprocesses = ${PER}\n\n`;
const daemon = await startCircusDaemon(dir, watchers, `statsd = true\nstats_endpoint = ${statspoint}\n`);
let web: ReturnType<typeof Bun.spawn> | null = null;
const chrome = await launchBrowser();
try {
  const t0 = performance.now();
  for (;;) {
    const r = await daemon.client.call("numprocesses");
    if (r.numprocesses === WATCHERS * PER + 1) break; // + circusd-stats
    if (performance.now() - t0 > 300_000) throw new Error(`workers did not start: ${JSON.stringify(r)}`);
    await Bun.sleep(500);
  }

  // The stats stream as the bench sees it: the time each round starts (first message after a pause).
  const rounds: number[] = [];
  let lastStat = 0;
  const sub = subscribe(statspoint, ["stat."], () => {
    const now = Date.now();
    if (now - lastStat > 300) rounds.push(now);
    lastStat = now;
  });

  let out = "";
  web = Bun.spawn([CIRCUS_BINARY, "web", "--port", "0", "--endpoint", daemon.endpoint], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const webProc = web;
  void (async () => {
    for await (const chunk of webProc.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(chunk);
  })();
  const base = await (async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const m = /serving the console on (http:\/\/\S+?)\/ /.exec(out);
      if (m) return m[1]!;
      await Bun.sleep(50);
    }
    throw new Error(`circus web did not start: ${out}`);
  })();
  const state = async () =>
    (await (await fetch(`${base}/api/state`)).json()) as {
      connection: { stats: string };
      watchers: { usage: { cpu: unknown[] } }[];
    };
  for (;;) {
    const s = await state();
    if (
      s.connection.stats === "stream" &&
      s.watchers.length >= WATCHERS &&
      s.watchers.every((w) => w.usage.cpu.length >= 5)
    )
      break;
    await Bun.sleep(500);
  }
  const rssConnected = rssMb(webProc.pid);

  // First render: a fresh context (no cache) per load; the first load also pays for a cold browser.
  const renders: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await drawnOn(page);
    const drawn = await page.evaluate<number>("performance.getEntriesByName('circus:drawn')[0].startTime");
    const rows = await page.locator("tr[data-name]").count();
    const withPoints = await page.locator('tr[data-name] td[data-label="CPU"] figure:not([data-points="0"])').count();
    if (rows !== WATCHERS + 1 || withPoints < WATCHERS)
      throw new Error(`rows ${rows}, charts with points ${withPoints}`);
    renders.push(drawn);
    await context.close();
  }
  const rssAfterLoads = rssMb(webProc.pid);

  // Live: one dashboard open for MINUTES; every tick's drawing time against the stream's rounds.
  const context = await chrome.browser.newContext();
  const page: Page = await context.newPage();
  await page.addInitScript(
    "window.__ticks = []; document.addEventListener('circus:tick', (e) => window.__ticks.push([Date.now(), e.detail]));",
  );
  await page.goto(`${base}/`);
  await drawnOn(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async () => {
    const { metrics: m } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
    const get = (n: string) => m.find((x) => x.name === n)?.value ?? Number.NaN;
    return { heapMb: get("JSHeapUsedSize") / 2 ** 20, nodes: get("Nodes"), listeners: get("JSEventListeners") };
  };
  const liveStart = Date.now();
  const samples: { at: number; rss: number; heapMb: number; nodes: number; listeners: number }[] = [];
  while (Date.now() - liveStart < MINUTES * 60_000) {
    await Bun.sleep(SAMPLE_EVERY_MS);
    await cdp.send("HeapProfiler.collectGarbage").catch(() => {});
    samples.push({ at: (Date.now() - liveStart) / 1000, rss: rssMb(webProc.pid), ...(await metrics()) });
  }
  const ticks = (await page.evaluate<[number, number][]>("window.__ticks")).filter(([drawnAt]) => drawnAt >= liveStart);
  sub.close();
  // Behind the stream: each drawn tick against the start of the round it carries (the last round
  // that began before the console received the samples).
  const behind: number[] = [];
  const viaConsole: number[] = [];
  for (const [drawnAt, receivedAt] of ticks) {
    viaConsole.push(drawnAt - receivedAt);
    const round = rounds.filter((r) => r <= receivedAt + 20).at(-1);
    if (round !== undefined) behind.push(drawnAt - round);
  }
  const minute = (from: number, to: number) =>
    stats(ticks.filter(([d]) => d - liveStart >= from * 60_000 && d - liveStart < to * 60_000).map(([d, r]) => d - r));
  const liveRounds = rounds.filter((r) => r >= liveStart).length;
  const first = samples[0]!;
  const last = samples.at(-1)!;
  // The first load also starts the browser's renderer and compiles the scripts: shown apart.
  const r = stats(renders.slice(1));
  const b = stats(behind);
  const v = stats(viaConsole);
  const m1 = minute(0, 1);
  const mN = minute(MINUTES - 1, MINUTES);

  console.log(`\n### Web console: ${WATCHERS} watchers × ${PER} processes, ${MINUTES} min live\n`);
  console.log("| metric | value |");
  console.log("|---|---|");
  console.log(
    `| dashboard first render, request → charts drawn (${r.n} loads after the first) | p50 ${fmt(r.p50, 0)} ms, p95 ${fmt(r.p95, 0)} ms, max ${fmt(r.max, 0)} ms |`,
  );
  console.log(`| the same, very first load (cold browser) | ${fmt(renders[0]!, 0)} ms |`);
  console.log(
    `| drawn tick behind the stream's round (${b.n} ticks) | p50 ${fmt(b.p50, 0)} ms, p95 ${fmt(b.p95, 0)} ms, max ${fmt(b.max, 0)} ms |`,
  );
  console.log(
    `| drawn tick behind the console's receipt | p50 ${fmt(v.p50, 0)} ms, p95 ${fmt(v.p95, 0)} ms, max ${fmt(v.max, 0)} ms |`,
  );
  console.log(`| ticks drawn / stream rounds while live | ${ticks.length} / ${liveRounds} |`);
  console.log(`| tick lag p50, first minute → last minute | ${fmt(m1.p50, 0)} ms → ${fmt(mN.p50, 0)} ms |`);
  console.log(
    `| page JS heap after GC, ${fmt(first.at, 0)} s → ${fmt(last.at, 0)} s | ${fmt(first.heapMb)} MB → ${fmt(last.heapMb)} MB |`,
  );
  console.log(
    `| page DOM nodes / listeners, start → end | ${first.nodes} / ${first.listeners} → ${last.nodes} / ${last.listeners} |`,
  );
  console.log(
    `| web process VmRSS: connected / after ${LOADS} loads / end | ${fmt(rssConnected)} / ${fmt(rssAfterLoads)} / ${fmt(last.rss)} MB |`,
  );
  console.log(
    "\nSamples (s, web VmRSS MB, page heap MB, nodes):",
    samples.map((s) => `${fmt(s.at, 0)}:${fmt(s.rss)}/${fmt(s.heapMb)}/${s.nodes}`).join(" "),
  );
  await context.close();
} finally {
  await chrome.close();
  if (web && web.exitCode === null) {
    web.kill("SIGTERM");
    await web.exited;
  }
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
