// The console in a real browser (Debian's chromium through playwright-core) against a real daemon
// with a stats stream: every action is clicked and its effect read back through the control
// channel (and, for some, through the `circus ctl` binary); charts gain points; the output tail shows
// what a worker just printed, the recent events a spawn, the age cells advance; markup in a watcher's
// name or output stays text; off loopback the browser must log in with the token; a watcher
// waiting for its readiness probe shows starting.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { defer } from "../helpers/cleanup.ts";
import { circusCommand } from "../helpers/paths.ts";
import { run } from "../helpers/processes.ts";
import { freePort, startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { launchBrowser, runWeb, startWeb, stopAllWebs, type RunningBrowser, type RunningWeb } from "./helpers.ts";

const XSS_NAME = `x"></script><img src=x onerror="document.title='pwned'">`;
const XSS_LINE = `<script>document.title='pwned'</script><img src=y onerror="document.title='pwned'">`;

const config = (statspoint: string) => `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
stats_endpoint = ${statspoint}
statsd = true

[socket:api]
host = 127.0.0.1
port = 0

[watcher:web]
cmd = sleep 3600
numprocesses = 2

[watcher:printer]
cmd = sh -c 'trap "echo got-usr1-$$" USR1; echo ready; while :; do sleep 0.1; done'
numprocesses = 1

# Its readiness probe never passes (nothing listens on port 9): it stays starting.
[watcher:warming]
cmd = sleep 3600
ready.tcp = 127.0.0.1:9
ready.interval = 1
ready.timeout = 3600
`;

setDefaultTimeout(20_000);

let d: RunningDaemon;
let web: RunningWeb;
let chrome: RunningBrowser;

beforeAll(async () => {
  d = await startDaemon(config(`tcp://127.0.0.1:${freePort()}`));
  [web, chrome] = await Promise.all([startWeb(["--endpoint", d.endpoint]), launchBrowser()]);
});
afterAll(async () => {
  await chrome?.close();
  await stopAllWebs();
  await d?.stop();
});

const status = async (name: string) => (await d.call("status", { name })).status as string;
const target = async (name: string) =>
  ((await d.call("options", { name })).options as { numprocesses: number }).numprocesses;
const pids = async (name: string) => ((await d.call("list", { name })).pids ?? []) as number[];

/** A fresh page (own cookies) whose script errors fail the test. */
async function open(
  path: string,
  viewport = { width: 1280, height: 900 },
  confirmations: string[] = [],
): Promise<Page> {
  const context = await chrome.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  // Only the confirmations a test expects are accepted; any other dialog (an alert from injected
  // markup, say) fails the test.
  page.on("dialog", (dialog) => {
    if (confirmations.includes(dialog.message())) return void dialog.accept();
    errors.push(`unexpected dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  pageErrors.set(page, errors);
  await page.goto(web.base + path);
  return page;
}

const pageErrors = new WeakMap<Page, string[]>();

/** Close a page opened by `open`; any script error or dialog it saw fails the test. */
async function done(page: Page): Promise<void> {
  const errors = pageErrors.get(page) ?? [];
  await page.context().close();
  expect(errors).toEqual([]);
}

/** Wait until `loc` shows exactly `text` (or contains it, with `partial`). */
async function seeText(loc: Locator, text: string, partial = false, timeoutMs = 5000): Promise<void> {
  await waitFor(
    async () => {
      const t =
        (await loc
          .first()
          .textContent({ timeout: timeoutMs })
          .catch(() => null)) ?? "";
      return partial ? t.includes(text) : t.trim() === text;
    },
    timeoutMs,
    `"${text}" to show`,
  );
}

async function seeCount(loc: Locator, count: number, timeoutMs = 5000): Promise<void> {
  await waitFor(async () => (await loc.count()) === count, timeoutMs, `${count} of ${loc}`);
}

const row = (page: Page, name: string) => page.locator(`tr[data-name="${name}"]`);
const points = async (page: Page, selector: string) => Number(await page.locator(selector).getAttribute("data-points"));

describe("dashboard", () => {
  test("lists every watcher with its state, and its CPU and memory charts gain points live", async () => {
    const page = await open("/");
    await seeText(row(page, "web").locator(".badge"), "active");
    await seeCount(row(page, "printer"), 1);
    await seeText(row(page, "warming").locator(".badge"), "starting");
    await seeText(row(page, "web").locator("td").nth(1), "2 / 2");
    const chart = 'tr[data-name="web"] td[data-label="CPU"] figure';
    const first = await points(page, chart);
    await waitFor(async () => (await points(page, chart)) >= first + 2, 6000, "two new CPU points");
    expect(await points(page, 'tr[data-name="web"] td[data-label="Memory"] figure')).toBeGreaterThan(0);
    await waitFor(
      async () => (await points(page, ".daemon .usage >> nth=0 >> figure")) > 0,
      5000,
      "the daemon's CPU chart",
    );
    await done(page);
  });

  test("start, stop, restart, reload, + and − each reach the daemon", async () => {
    const page = await open("/");
    const click = (action: string) => page.click(`button[aria-label="${action} web"]`);
    await click("incr");
    await waitFor(async () => (await target("web")) === 3, 5000, "incr");
    await seeText(row(page, "web").locator("td").nth(1), "3 / 3");
    await click("decr");
    await waitFor(async () => (await target("web")) === 2, 5000, "decr");
    await click("stop");
    await waitFor(async () => (await status("web")) === "stopped", 5000, "stop");
    await seeText(row(page, "web").locator(".badge"), "stopped");
    await click("start");
    await waitFor(async () => (await status("web")) === "active", 5000, "start");
    const before = await waitPids(d, "web", 2);
    await click("restart");
    await waitFor(
      async () => {
        const now = await pids("web");
        return now.length === 2 && now.every((p) => !before.includes(p));
      },
      8000,
      "restart to replace the processes",
    );
    const restarted = await pids("web");
    await click("reload");
    await waitFor(
      async () => {
        const now = await pids("web");
        return now.length === 2 && now.every((p) => !restarted.includes(p));
      },
      8000,
      "reload to replace the processes",
    );
    await done(page);
  });

  test("is keyboard-usable: / focuses the filter, Enter on a button acts", async () => {
    const page = await open("/");
    await seeCount(row(page, "printer"), 1);
    await page.locator("body").press("/");
    await page.keyboard.type("print");
    await row(page, "web").waitFor({ state: "hidden" });
    await row(page, "printer").waitFor({ state: "visible" });
    await page.focus('button[aria-label="incr printer"]');
    await page.keyboard.press("Enter");
    await waitFor(async () => (await target("printer")) === 2, 5000, "incr by keyboard");
    await page.focus('button[aria-label="decr printer"]');
    await page.keyboard.press("Enter");
    await waitFor(async () => (await target("printer")) === 1, 5000, "decr by keyboard");
    await done(page);
  });

  test("fits a phone's width without sideways scrolling", async () => {
    const page = await open("/", { width: 390, height: 844 });
    await row(page, "web").waitFor({ state: "visible" });
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await done(page);
  });
});

describe("watcher page", () => {
  test("a signal sent to one process shows up in the live output tail; Kill replaces that process", async () => {
    const [pid] = await waitPids(d, "printer", 1);
    const page = await open("/watchers/printer");
    const proc = page.locator(`tr[data-pid="${pid}"]`);
    await seeCount(proc, 1);
    const info = (await d.call("stats", { name: "printer" })).info as Record<string, { wid: number }>;
    await seeText(proc.locator("td").nth(0), String(info[String(pid)]!.wid));
    await proc.locator("select").selectOption("USR1");
    await proc.locator('button[data-action="signal"]').click();
    await seeText(page.locator(".log"), `got-usr1-${pid}`, true, 5000);
    await proc.locator('button[data-action="kill"]').click();
    await waitFor(
      async () => {
        const now = await pids("printer");
        return now.length === 1 && now[0] !== pid;
      },
      5000,
      "kill to replace the process",
    );
    const [next] = await pids("printer");
    await seeCount(page.locator(`tr[data-pid="${next}"]`), 1, 5000);
    await done(page);
  });

  test("shows processes with charts that gain points, and edits an option through set", async () => {
    const page = await open("/watchers/web");
    const listed = await waitPids(d, "web", 2);
    for (const pid of listed) await seeCount(page.locator(`tr[data-pid="${pid}"]`), 1);
    const chart = `tr[data-pid="${listed[0]}"] td[data-label="CPU"] figure`;
    const first = await points(page, chart);
    await waitFor(async () => (await points(page, chart)) >= first + 2, 6000, "two new process CPU points");
    const input = page.locator('form[data-option="graceful_timeout"] input');
    await input.fill("12.5");
    await page.click('form[data-option="graceful_timeout"] button');
    await waitFor(
      async () =>
        ((await d.call("options", { name: "web" })).options as { graceful_timeout: number }).graceful_timeout === 12.5,
      5000,
      "set graceful_timeout",
    );
    await seeText(page.locator(".toast").last(), "graceful_timeout of web changed", true);
    await done(page);
  });
});

/** `circus ctl --endpoint <the daemon> …args` (the binary when built), to read back what a click did. */
async function ctl(...args: string[]): Promise<string> {
  const r = await run([...circusCommand(), "ctl", "--endpoint", d.endpoint, ...args]);
  if (r.code !== 0) throw new Error(`circus ctl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Seconds from an age cell ("7 s", "2 min 5 s"); null for "–". */
function ageSeconds(text: string): number | null {
  const m = /^(?:(\d+) min )?(\d+) s$/.exec(text.trim());
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : null;
}

describe("live pages, read back through circus ctl", () => {
  test("the watcher page: its recent events gain a spawn after an incr, and a process's age advances", async () => {
    const [pid] = await waitPids(d, "printer", 1);
    const page = await open("/watchers/printer");
    const age = page.locator(`tr[data-pid="${pid}"] td`).nth(1);
    await seeCount(page.locator(`tr[data-pid="${pid}"]`), 1);
    const first = await waitFor(async () => ageSeconds((await age.textContent()) ?? ""), 5000, "an age");
    await waitFor(
      async () => (ageSeconds((await age.textContent()) ?? "") ?? 0) > first,
      5000,
      "the age cell to advance",
    );
    expect(await ctl("incr", "printer", "--waiting")).toBe("2\n");
    const spawned = await waitFor(async () => {
      const listed = (await ctl("list", "printer")).trim().split(",").map(Number);
      return listed.length === 2 ? listed.find((p) => p !== pid) : null;
    });
    await seeCount(page.locator("ol.feed li", { hasText: `spawn process_pid=${spawned}` }), 1);
    await seeCount(page.locator(`tr[data-pid="${spawned}"]`), 1);
    expect(await ctl("decr", "printer", "--waiting")).toBe("1\n");
    await waitFor(async () => (await ctl("list", "printer")).trim().split(",").length === 1, 5000, "decr");
    await done(page);
  });

  test("the sockets page's reads chart gains points", async () => {
    const sockets = (await d.call("listsockets")).sockets as { fd: number; name: string }[];
    const api = sockets.find((s) => s.name === "api")!;
    const page = await open("/sockets");
    const chart = `tr[data-fd="${api.fd}"] td[data-label="Reads"] figure`;
    await waitFor(async () => (await points(page, chart)) > 0, 6000, "a point in the reads chart");
    const first = await points(page, chart);
    await waitFor(async () => (await points(page, chart)) >= first + 2, 6000, "two new reads points");
    await done(page);
  });

  test("clicks on the dashboard and the watcher page show in circus ctl: incr, a set option, a killed process", async () => {
    const page = await open("/");
    await seeText(row(page, "web").locator("td").nth(1), "2 / 2");
    await page.click('button[aria-label="incr web"]');
    await waitFor(async () => (await ctl("numprocesses", "web")) === "3\n", 5000, "ctl numprocesses web = 3");
    await waitFor(async () => (await ctl("list", "web")).trim().split(",").length === 3, 5000, "3 pids in ctl list");
    await page.click('button[aria-label="decr web"]');
    await waitFor(async () => (await ctl("numprocesses", "web")) === "2\n", 5000, "ctl numprocesses web = 2");

    await page.goto(`${web.base}/watchers/printer`);
    await page.fill('form[data-option="graceful_timeout"] input', "7.5");
    await page.click('form[data-option="graceful_timeout"] button');
    await waitFor(
      async () => (await ctl("get", "printer", "graceful_timeout")) === "graceful_timeout: 7.5\n",
      5000,
      "ctl get printer graceful_timeout",
    );
    const [pid] = (await ctl("list", "printer")).trim().split(",").map(Number);
    await page.locator(`tr[data-pid="${pid}"] button[data-action="kill"]`).click();
    await waitFor(
      async () => {
        const now = (await ctl("list", "printer")).trim().split(",").map(Number);
        return now.length === 1 && now[0] !== pid;
      },
      8000,
      "ctl list printer to show the replacement",
    );
    await done(page);
  });
});

describe("attacks", () => {
  test("a page of another origin cannot make the console act, by form or by fetch", async () => {
    const payload = JSON.stringify({ command: "incr", properties: { name: "web" }, pad: "" }).slice(0, -2);
    const evil = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          `<!doctype html><form id="f" method="post" action="${web.base}/api/command" enctype="text/plain">` +
            `<input name='${payload}' value='"}'></form>` +
            `<script>fetch("${web.base}/api/command", { method: "POST", mode: "no-cors", credentials: "include", ` +
            `body: ${JSON.stringify(JSON.stringify({ command: "incr", properties: { name: "web" } }))} })` +
            `.finally(() => document.getElementById("f").submit());</script>`,
          { headers: { "content-type": "text/html" } },
        ),
    });
    try {
      const before = await target("web");
      // The victim has the console open (its session cookie is set for 127.0.0.1, any port).
      const context = await chrome.browser.newContext();
      const tab = await context.newPage();
      await tab.goto(`${web.base}/`);
      await seeCount(row(tab, "web"), 1);
      const attack = await context.newPage();
      const answered = attack.waitForResponse(
        (r) =>
          r.url().startsWith(`${web.base}/api/command`) &&
          r.request().method() === "POST" &&
          r.request().postData()?.includes("pad") === true,
      );
      await attack.goto(`http://127.0.0.1:${evil.port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(await target("web")).toBe(before);
      await context.close();
    } finally {
      await evil.stop(true);
    }
  });

  test("a watcher named with HTML and a worker printing <script> run nothing; both show as text", async () => {
    const cmd = `sh -c 'printf "%s\\n" "$0"; sleep 3600' '${XSS_LINE.replaceAll("'", "'\\''")}'`;
    const added = await d.call("add", { name: XSS_NAME, cmd, start: true });
    expect(added.status).toBe("ok");
    try {
      const page = await open("/");
      await seeCount(page.locator("table.watchers th a", { hasText: XSS_NAME }), 1);
      await page.locator("table.watchers th a", { hasText: XSS_NAME }).click();
      await seeText(page.locator(".log"), XSS_LINE, true, 5000);
      await seeText(page.locator("h1"), XSS_NAME);
      expect(await page.title()).toBe(`${XSS_NAME} · circus`);
      expect(await page.locator("main img").count()).toBe(0);
      expect(await page.locator("main script").count()).toBe(0);
      await done(page);
    } finally {
      await d.call("rm", { name: XSS_NAME });
    }
  });
});

describe("pages", () => {
  test("the add form creates a watcher, then its page opens", async () => {
    const page = await open("/add");
    await page.fill('input[name="name"]', "added-by-form");
    await page.fill('input[name="cmd"]', "sleep 3600");
    await page.fill('input[name="numprocesses"]', "2");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/watchers\/added-by-form$/);
    await waitFor(async () => (await pids("added-by-form")).length === 2, 5000, "the added watcher's processes");
    await seeText(page.locator("h1"), "added-by-form");
    page.on("dialog", (dialog) => void dialog.accept());
    await done(page);
    await d.call("rm", { name: "added-by-form" });
  });

  test("the event feed shows events as they happen; the sockets page lists the daemon's sockets", async () => {
    const page = await open("/events");
    await seeText(page.locator("h1"), "Events");
    await d.call("incr", { name: "printer" });
    await seeText(page.locator("ol.feed li", { hasText: "spawn" }).first(), "printer", true);
    await d.call("decr", { name: "printer" });
    await page.goto(`${web.base}/sockets`);
    const sockets = (await d.call("listsockets")).sockets as { fd: number; port: number }[];
    await seeText(page.locator(`tr[data-fd="${sockets[0]!.fd}"]`), `127.0.0.1:${sockets[0]!.port}`, true);
    await done(page);
  });

  test("a read-only user logs in through the form and sees no action; an expired session goes to the login", async () => {
    const users = join(d.dir, "users");
    expect(
      (await runWeb(["--auth-file", users, "--add-user", "viewer", "--role", "read"], "viewer-password\n")).code,
    ).toBe(0);
    const guarded = await startWeb(["--auth-file", users, "--endpoint", d.endpoint, "--session-timeout", "3"]);
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${guarded.base}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name="user"]', "viewer");
    await page.fill('input[name="password"]', "viewer-password");
    await page.click('button[type="submit"]');
    await page.waitForURL(`${guarded.base}/`);
    await seeCount(row(page, "web"), 1);
    expect(await page.locator("button[data-action]").count()).toBe(0);
    await seeText(page.locator(".who"), "viewer · read", true);
    // No request for 3 s: the live stream ends the session and the page goes to the login.
    await page.waitForURL(/\/login\?next=%2F$/, { timeout: 8000 });
    await context.close();
    await guarded.stop();
  });

  test("Remove asks first, then the watcher is gone; Reload config applies the file", async () => {
    expect((await d.call("add", { name: "doomed", cmd: "sleep 3600", start: true })).status).toBe("ok");
    const page = await open("/watchers/doomed", undefined, ["Remove watcher doomed and stop its processes?"]);
    await seeText(page.locator("h1"), "doomed");
    await page.click('button[data-action="rm"]');
    await page.waitForURL(`${web.base}/`);
    await waitFor(async () => !((await d.call("list")).watchers as string[]).includes("doomed"), 5000, "rm");
    const original = await Bun.file(d.configPath).text();
    await Bun.write(d.configPath, `${original}\n[watcher:fromfile]\ncmd = sleep 3600\n`);
    try {
      await page.click("text=Reload config");
      await seeCount(row(page, "fromfile"), 1);
      expect(((await d.call("list")).watchers as string[]).includes("fromfile")).toBe(true);
    } finally {
      await Bun.write(d.configPath, original);
      await d.call("reloadconfig", { waiting: true });
    }
    await done(page);
  });

  test("the connect page switches the console to another daemon", async () => {
    const other = await startDaemon(
      "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\n\n[watcher:elsewhere]\ncmd = sleep 3600\n",
    );
    try {
      const page = await open("/connect");
      await page.fill("#endpoint", other.endpoint);
      await page.click('form button[type="submit"]');
      await seeText(page.locator("p.current"), `${other.endpoint}: connected`, true, 8000);
      await page.click('a[href="/"]');
      await seeCount(row(page, "elsewhere"), 1);
      await page.goto(`${web.base}/connect`);
      await page.fill("#endpoint", d.endpoint);
      await page.click('form button[type="submit"]');
      await seeText(page.locator("p.current"), `${d.endpoint}: connected`, true, 8000);
      await done(page);
    } finally {
      await other.stop();
    }
  });
});

/**
 * A non-loopback IPv4 address of this machine (`ip -4 addr`), for a console other hosts could reach.
 * A machine with none gets one on a dummy interface of the test's own, removed after the file.
 */
function lanAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === "IPv4" && !a.internal);
  if (found) return found.address;
  const dev = `circusd${process.pid % 10000}`;
  for (const cmd of [
    ["ip", "link", "add", dev, "type", "dummy"],
    ["ip", "addr", "add", "10.231.9.1/32", "dev", dev],
    ["ip", "link", "set", dev, "up"],
  ]) {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0)
      throw new Error(`no non-loopback IPv4 here, and ${cmd.join(" ")} failed (run as root): ${r.stderr}`);
  }
  defer(() => void Bun.spawnSync(["ip", "link", "del", dev]));
  return "10.231.9.1";
}

describe("off loopback", () => {
  test("with a token: Chromium is sent to the login page, a wrong token is refused, the right one shows the dashboard", async () => {
    const host = lanAddress();
    const tokenFile = join(d.dir, "browser.token");
    await Bun.write(tokenFile, "browser-token-0123456789abcdef\n");
    chmodSync(tokenFile, 0o600);
    const guarded = await startWeb(["--host", host, "--token-file", tokenFile, "--endpoint", d.endpoint]);
    expect(guarded.base).toStartWith(`http://${host}:`);
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${guarded.base}/watchers/web`);
    await page.waitForURL(/\/login\?next=%2Fwatchers%2Fweb$/);
    expect(await page.locator('input[name="user"]').count()).toBe(0);
    await page.fill('input[name="token"]', "browser-token-wrong-0123456789");
    await page.click('button[type="submit"]');
    await seeText(page.locator("p.error"), "Wrong user, password or token.");
    expect(new URL(page.url()).pathname).toBe("/login");
    // Nothing of the daemon is served to this browser yet.
    expect((await context.request.get(`${guarded.base}/api/state`)).status()).toBe(401);
    await page.fill('input[name="token"]', "browser-token-0123456789abcdef");
    await page.click('button[type="submit"]');
    await page.waitForURL(`${guarded.base}/watchers/web`);
    await seeText(page.locator("h1"), "web");
    await page.goto(`${guarded.base}/`);
    await seeCount(row(page, "web"), 1);
    await seeText(row(page, "web").locator(".badge"), "active");
    await seeText(page.locator(".who"), "token · admin", true);
    await context.close();
    await guarded.stop();
  });
});
