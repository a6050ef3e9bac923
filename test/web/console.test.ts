// The console over HTTP, run for real against a real daemon: headers, CSRF, origins, Host names,
// logins, roles. The daemon's state is read back through the control channel after every attempt.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { runWeb, startWeb, stopAllWebs, WebClient } from "./helpers.ts";

const CONFIG = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}

[watcher:web]
cmd = sleep 3600
numprocesses = 1
`;

let d: RunningDaemon;
let dir: string;
beforeAll(async () => {
  d = await startDaemon(CONFIG);
  // The daemon answers while it still starts its watchers; tests read the web watcher's state.
  await waitPids(d, "web", 1);
  dir = mkdtempSync(join(tmpdir(), "circus-web-test-"));
});
afterEach(async () => {
  await stopAllWebs();
});
afterAll(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const target = async () => (await d.call("options", { name: "web" })).options as Record<string, unknown>;

describe("without credentials (loopback)", () => {
  test("every answer carries a strict Content-Security-Policy; pages hold no inline script", async () => {
    const web = await startWeb(["--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    const { status, text, response } = await c.page("/");
    expect(status).toBe(200);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    // No script the browser would run inline: only the module (src=) and the snapshot's JSON data.
    expect(text).not.toMatch(/<script(?![^>]*\b(?:src=|type="application\/json"))[^>]*>/);
    const script = /src="(\/assets\/[0-9a-f]+\/app\.js)"/.exec(text)![1]!;
    const asset = await c.get(script);
    expect(asset.headers.get("content-type")).toContain("text/javascript");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await asset.text()).toContain("EventSource");
  });

  test("a POST without the page's CSRF token, or with another one, changes nothing", async () => {
    const web = await startWeb(["--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    await c.page("/");
    const before = (await target()).numprocesses;
    const good = c.csrf;
    c.csrf = "";
    expect((await c.command("incr", { name: "web" })).status).toBe(403);
    c.csrf = "A".repeat(43);
    const wrong = await c.command("incr", { name: "web" });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toContain("CSRF");
    // A token of another session does not work either.
    const other = new WebClient(web.base);
    await other.page("/");
    c.csrf = other.csrf;
    expect((await c.command("incr", { name: "web" })).status).toBe(403);
    expect((await target()).numprocesses).toBe(before);
    c.csrf = good;
    const ok = await c.command("incr", { name: "web" });
    expect(ok.status).toBe(200);
    await waitFor(async () => (await target()).numprocesses === (before as number) + 1, 5000, "incr to land");
    expect((await c.command("decr", { name: "web" })).status).toBe(200);
  });

  test("a cross-origin POST is refused even with a valid token; so is a plain form post", async () => {
    const web = await startWeb(["--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    await c.page("/");
    const before = (await target()).numprocesses;
    const evil = await c.post(
      "/api/command",
      { command: "incr", properties: { name: "web" } },
      {
        origin: "http://evil.example",
      },
    );
    expect(evil.status).toBe(403);
    const site = await c.post(
      "/api/command",
      { command: "incr", properties: { name: "web" } },
      {
        "sec-fetch-site": "cross-site",
      },
    );
    expect(site.status).toBe(403);
    const form = await c.post(
      "/api/command",
      { command: "incr", properties: { name: "web" } },
      {
        "content-type": "text/plain",
      },
    );
    expect(form.status).toBe(400);
    expect((await target()).numprocesses).toBe(before);
  });

  test("a Host name other than loopback is not answered (DNS rebinding)", async () => {
    const web = await startWeb(["--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    expect((await c.get("/", { host: "evil.example:8080" })).status).toBe(421);
    expect((await c.get("/api/state", { host: "localhost" })).status).toBe(200);
  });

  test("quit and nameless restarts are not sent, whoever asks", async () => {
    const web = await startWeb(["--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    await c.page("/");
    expect((await c.command("quit", {})).status).toBe(400);
    expect((await c.command("restart", {})).status).toBe(400);
    const bad = await c.command("incr", { name: "web", nb: "many" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("'nb' must be an integer");
    expect((await d.call("status")).status).toBe("ok");
  });

  test("an error reply of the daemon reaches the page with its reason", async () => {
    const web = await startWeb(["--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    await c.page("/");
    const r = await c.command("start", { name: "nope" });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe("program nope not found");
  });

  test("a mistyped option, a bad endpoint or a stray argument is a one-line error, exit 2", async () => {
    const cases: [string[], string][] = [
      [["--endpiont", d.endpoint], "circushttpd: Unknown option `--endpiont`\n"],
      [["--endpoint", "localhost:5555"], 'circushttpd: --endpoint: invalid endpoint "localhost:5555"'],
      [["--port", "http"], 'circushttpd: --port must be an integer >= 0, got "http"\n'],
      [["serve"], 'circushttpd: unexpected argument "serve" (every setting is an --option)\n'],
    ];
    for (const [args, message] of cases) {
      const r = await runWeb(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toStartWith(message);
      expect(r.stderr.split("\n").length).toBe(2);
    }
  });

  test("refuses to serve on a non-loopback address without a users or token file", async () => {
    const r = await runWeb(["--host", "0.0.0.0", "--port", "0", "--endpoint", d.endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("circushttpd: refusing to serve on 0.0.0.0 without authentication");
    expect(r.stderr).toContain("--auth-file or --token-file");
  });
});

describe("with credentials", () => {
  let usersFile: string;
  let tokenFile: string;
  beforeAll(async () => {
    usersFile = join(dir, "users");
    for (const [name, role] of [
      ["reader", "read"],
      ["op", "operate"],
      ["boss", "admin"],
    ]) {
      const r = await runWeb(["--auth-file", usersFile, "--add-user", name!, "--role", role!], `pw-${name}-secret\n`);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`added ${name} (${role}) in ${usersFile}\n`);
    }
    tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "tok-0123456789abcdef-xyz\n", { mode: 0o600 });
  });

  test("off loopback with a token: nothing before the login, everything after, nothing after the logout", async () => {
    const web = await startWeb(["--host", "0.0.0.0", "--token-file", tokenFile, "--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    const page = await c.get("/watchers/web");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2Fwatchers%2Fweb");
    expect((await c.get("/api/state")).status).toBe(401);
    expect((await c.get("/api/live")).status).toBe(401);
    expect((await c.login({ token: "tok-wrong-0123456789" })).status).toBe(401);
    expect((await c.get("/api/state")).status).toBe(401);
    expect((await c.login({ token: "tok-0123456789abcdef-xyz" })).status).toBe(303);
    const state = await c.get("/api/state");
    expect(state.status).toBe(200);
    expect(((await state.json()) as { role: string }).role).toBe("admin");
    const logout = await c.post("/logout", {}, { "x-csrf-token": "" });
    expect(logout.status).toBe(403); // the form's token is required…
    const out = await fetch(`${web.base}/logout`, {
      method: "POST",
      headers: {
        cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ csrf: c.csrf }).toString(),
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    expect((await c.get("/api/state")).status).toBe(401);
  });

  test("roles hold: read only looks, operate acts but cannot change what runs, admin can", async () => {
    const web = await startWeb(["--auth-file", usersFile, "--endpoint", d.endpoint]);
    const as = async (user: string) => {
      const c = new WebClient(web.base);
      expect((await c.login({ user, password: `pw-${user}-secret` })).status).toBe(303);
      return c;
    };
    const reader = await as("reader");
    const op = await as("op");
    const boss = await as("boss");
    expect(((await (await reader.get("/api/state")).json()) as { role: string }).role).toBe("read");

    expect((await reader.command("stop", { name: "web" })).status).toBe(403);
    expect((await d.call("status", { name: "web" })).status).toBe("active");

    const incr = await op.command("set", { name: "web", options: { graceful_timeout: 7 } });
    expect(incr.status).toBe(200);
    await waitFor(async () => (await target()).graceful_timeout === 7, 5000, "graceful_timeout to change");
    const cmd = await op.command("set", { name: "web", options: { cmd: "sh -c 'id > /tmp/pwned'" } });
    expect(cmd.status).toBe(403);
    expect(cmd.body.error).toBe("changing 'cmd' needs the admin role; you have operate");
    expect((await op.command("add", { name: "evil", cmd: "sleep 1" })).status).toBe(403);
    expect((await target()).cmd).toBe("sleep 3600");
    expect(((await d.call("list")).watchers as string[]).includes("evil")).toBe(false);

    const add = await boss.command("add", { name: "added", cmd: "sleep 3600", start: false });
    expect(add.status).toBe(200);
    expect(((await d.call("list")).watchers as string[]).includes("added")).toBe(true);
    expect((await boss.command("set", { name: "added", options: { env: { API_KEY: "s3cret-value" } } })).status).toBe(
      200,
    );
    expect((await boss.command("rm", { name: "added" })).status).toBe(200);
    // Every action is logged with who asked, never with option values (env may hold secrets). The
    // console logs each before it sends the command, but its stdout reaches us on a pipe, unordered
    // with the HTTP answers: wait for the lines, then check that no secret came with them.
    await web.waitForOutput('op (operate): set "web" options graceful_timeout');
    await web.waitForOutput('boss (admin): add "added" cmd "sleep 3600"');
    await web.waitForOutput('boss (admin): set "added" options env');
    await web.waitForOutput('boss (admin): rm "added"');
    expect(web.output()).not.toContain("s3cret-value");
    await waitFor(async () => !((await d.call("list")).watchers as string[]).includes("added"), 5000, "rm");
  });

  test("a wrong password is refused, and many in a row are throttled", async () => {
    const web = await startWeb(["--auth-file", usersFile, "--endpoint", d.endpoint]);
    const c = new WebClient(web.base);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await c.login({ user: "boss", password: "guess" })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect((await c.login({ user: "boss", password: "pw-boss-secret" })).status).toBe(429);
    await web.waitForOutput('failed login from 127.0.0.1 as "boss"');
  });

  test("a users file with a mistake stops the console at start, naming the line", async () => {
    const bad = join(dir, "bad-users");
    writeFileSync(bad, "alice:root:$argon2id$v=19$m=19456,t=2,p=1$x$y\n");
    const r = await runWeb(["--auth-file", bad, "--endpoint", d.endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`circushttpd: ${bad}:1: role "root" is not read, operate or admin\n`);
  });
});
