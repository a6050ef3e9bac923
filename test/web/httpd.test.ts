// The console run by the daemon (`[circus] httpd = true`: socket circushttpd, watcher circushttpd
// with --fd), and reaching daemons the other ways: through --ssh and by multicast discovery.

import { afterAll, afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startDaemon, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { fakeSshDir, removeFakeSshDirs } from "../helpers/fake-ssh.ts";
import { startWeb, stopAllWebs, WebClient } from "./helpers.ts";

setDefaultTimeout(20_000);

const daemons: RunningDaemon[] = [];
async function daemon(ini: string, files: Record<string, string> = {}): Promise<RunningDaemon> {
  const d = await startDaemon(ini, [], { files });
  daemons.push(d);
  return d;
}
afterEach(async () => {
  await stopAllWebs();
  removeFakeSshDirs();
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});
afterAll(async () => {
  await stopAllWebs();
});

interface State {
  connection: { state: string; endpoint: string };
  watchers: { name: string; status: string }[];
  sockets: { name: string; address: string }[];
}

async function stateOf(c: WebClient): Promise<State | null> {
  const r = await c.get("/api/state").catch(() => null);
  return r?.status === 200 ? ((await r.json()) as State) : null;
}

const WATCHER = "\n[watcher:app]\ncmd = sleep 3600\n";

describe("httpd = true", () => {
  test("the daemon binds socket circushttpd and runs the console on it with --fd", async () => {
    const port = freePort();
    const d = await daemon(
      `[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nhttpd = true\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\n` +
        WATCHER,
    );
    const [pid] = await waitPids(d, "circushttpd", 1);
    const options = (await d.call("options", { name: "circushttpd" })).options as {
      args: string[];
      singleton: boolean;
    };
    expect(options.args).toContain("--fd");
    expect(options.args).toContain("$(circus.sockets.circushttpd)");
    expect(options.singleton).toBe(true);
    const sockets = (await d.call("listsockets")).sockets as { name: string; port: number }[];
    expect(sockets.find((s) => s.name === "circushttpd")?.port).toBe(port);

    const c = new WebClient(`http://127.0.0.1:${port}`);
    const state = await waitFor(
      async () => {
        const s = await stateOf(c);
        return s?.connection.state === "connected" && s.watchers.some((w) => w.name === "app") ? s : null;
      },
      10_000,
      "the embedded console to follow the daemon",
    );
    expect(state.connection.endpoint).toBe(d.endpoint);
    expect(state.watchers.map((w) => w.name)).toEqual(["app", "circushttpd"]);
    // The console acts on the daemon that runs it.
    await c.page("/");
    expect((await c.command("incr", { name: "app" })).status).toBe(200);
    await waitPids(d, "app", 2);
    expect(d.output()).toContain(`circus.web[${pid}] [INFO] serving the console on http://127.0.0.1:${port}/`);
  });

  test("with httpd_token_file (relative to the config) the embedded console asks for the token", async () => {
    const port = freePort();
    const d = await daemon(
      `[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nhttpd = true\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\nhttpd_token_file = web.token\n` +
        WATCHER,
    );
    writeFileSync(join(d.dir, "web.token"), "embedded-token-0123456789\n", { mode: 0o600 });
    // The watcher may have started before the file existed: restart it now that it does.
    await d.call("restart", { name: "circushttpd", waiting: true });
    const c = new WebClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await c.get("/api/state").catch(() => null))?.status === 401, 10_000, "a login demand");
    expect((await c.login({ token: "embedded-token-0123456789" })).status).toBe(303);
    expect((await stateOf(c))?.connection.endpoint).toBe(d.endpoint);
  });

  test("reloadconfig with httpd turned on brings the console up", async () => {
    const port = freePort();
    const d = await daemon(`[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\n` + WATCHER);
    const text = readFileSync(d.configPath, "utf8").replace(
      "[circus]\n",
      `[circus]\nhttpd = true\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\n`,
    );
    writeFileSync(d.configPath, text);
    expect((await d.call("reloadconfig", { waiting: true })).status).toBe("ok");
    await waitPids(d, "circushttpd", 1);
    const c = new WebClient(`http://127.0.0.1:${port}`);
    await waitFor(async () => (await stateOf(c))?.connection.state === "connected", 10_000, "the console");
  });
});

describe("reaching a daemon", () => {
  test("--ssh reaches the daemon through the tunnel, and acts on it", async () => {
    const d = await daemon(`[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\n` + WATCHER);
    const { dir, log } = fakeSshDir();
    const web = await startWeb(["--endpoint", d.endpoint, "--ssh", "someone@example.org:2222"], {
      PATH: `${dir}:${process.env.PATH}`,
      FAKE_SSH_LOG: log,
    });
    const c = new WebClient(web.base);
    const state = await waitFor(
      async () => {
        const s = await stateOf(c);
        return s?.connection.state === "connected" ? s : null;
      },
      10_000,
      "the console through the tunnel",
    );
    expect(state.connection.endpoint).toBe(d.endpoint);
    expect(state.watchers.map((w) => w.name)).toEqual(["app"]);
    const argv = readFileSync(log, "utf8").split("\n");
    expect(argv).toContain("someone@example.org");
    expect(argv.slice(argv.indexOf("-p"), argv.indexOf("-p") + 2)).toEqual(["-p", "2222"]);
    await c.page("/");
    expect((await c.command("incr", { name: "app" })).status).toBe(200);
    await waitPids(d, "app", 2);
  });

  test("--multicast finds a daemon that answers discovery; the connect page switches to it", async () => {
    const mport = freePort();
    const multicast = `udp://237.219.251.97:${mport}`;
    const d = await daemon(
      `[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint = ${multicast}\n` + WATCHER,
    );
    const web = await startWeb(["--multicast", multicast]);
    const c = new WebClient(web.base);
    expect((await stateOf(c))?.connection.state).toBe("disconnected");
    const found = await waitFor(
      async () => {
        const r = (await (await c.get("/api/discover")).json()) as { daemons: { endpoint: string }[] };
        return r.daemons.some((x) => x.endpoint === d.endpoint) ? r : null;
      },
      10_000,
      "discovery to find the daemon",
    );
    expect(found.daemons.map((x) => x.endpoint)).toContain(d.endpoint);
    await c.page("/connect");
    const connect = await c.post("/api/connect", { endpoint: d.endpoint });
    expect(connect.status).toBe(200);
    await waitFor(async () => (await stateOf(c))?.watchers.some((w) => w.name === "app"), 10_000, "the switch");
  });

  test("without --multicast discovery is off and says how to turn it on", async () => {
    const web = await startWeb([]);
    const c = new WebClient(web.base);
    const r = (await (await c.get("/api/discover")).json()) as { error: string };
    expect(r.error).toBe("discovery is off: start circus web with --multicast");
    await c.page("/");
    expect((await c.post("/api/connect", { endpoint: "nonsense" })).status).toBe(400);
  });
});
