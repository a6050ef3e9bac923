// Flapping against a real daemon (a crash-looping worker; deliberate restarts and signals it must leave
// alone), and against a fake daemon whose reaps carry the `reason` key of decisions §2.

import { afterEach, describe, expect, test } from "bun:test";
import { Flapping } from "../../src/plugins/builtins/flapping.ts";
import { subscribe, type CircusEvent } from "../../src/protocol/client.ts";
import { waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { fakeDaemon, runInProcess, type FakeDaemon, type InProcessPlugin } from "./fake-daemon.ts";
import { pidsOf, startWithPlugin, waitOutput } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let fake: FakeDaemon | null = null;
let running: InProcessPlugin<Flapping> | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
  await fake?.close();
  fake = null;
  await daemon?.stop();
  daemon = null;
});

describe("Flapping with a real daemon", () => {
  test("a crash-looping watcher is stopped, started again after retry_in, and left stopped after max_retry", async () => {
    daemon = await startWithPlugin(
      `
[watcher:crasher]
cmd = sh -c "exit 1"
max_retry = -1

[plugin:flapping]
use = circus.plugins.flapping.Flapping
attempts = 2
window = 1
retry_in = 0.3
max_retry = 1
`,
      "plugin:flapping",
    );
    await waitOutput(daemon, "crasher: flapping detected: retry in 0.3s (attempt number 1)");
    await waitOutput(daemon, "crasher: flapping detected: reached max retry limit");
    await waitFor(async () => (await daemon!.call("status", { name: "crasher" })).status === "stopped");
    // It stays stopped: no start comes within three times retry_in.
    const starts: string[] = [];
    const sub = subscribe(daemon.pubsub, ["watcher.crasher.start"], (e) => starts.push(e.topic));
    await sub.ready; // from here on a start would reach us: the wait below watches for one
    await Bun.sleep(900);
    await sub.close();
    expect(starts).toEqual([]);
    expect((await daemon.call("status", { name: "crasher" })).status).toBe("stopped");
  });

  test("flapping.* in a watcher section overrides the plugin; a `set` of it is read again", async () => {
    daemon = await startWithPlugin(
      `
[watcher:exempt]
cmd = sh -c "exit 1"
max_retry = -1
flapping.active = false

[plugin:flapping]
use = flapping
retry_in = 60
# The daemon's respawn backoff soon spaces a crash loop's deaths about a second apart.
window = 3
`,
      "plugin:flapping",
    );
    const reaps: CircusEvent[] = [];
    const sub = subscribe(daemon.pubsub, ["watcher.exempt.reap"], (e) => reaps.push(e));
    await waitFor(() => reaps.length >= 3, 10_000, "3 reaps of the exempt watcher");
    expect((await daemon.call("status", { name: "exempt" })).status).toBe("active");
    expect(daemon.output()).not.toContain("exempt: flapping detected");
    await sub.close();
    const reply = await daemon.call("set", { name: "exempt", options: { "flapping.active": "true" } });
    expect(reply.status).toBe("ok");
    await waitOutput(daemon, "exempt: flapping detected: retry in 60s");
    await waitFor(async () => (await daemon!.call("status", { name: "exempt" })).status === "stopped");
  });

  test("a watcher restarted and signalled on purpose is left alone", async () => {
    daemon = await startWithPlugin(
      `
[watcher:calm]
cmd = sleep 3600

[plugin:flapping]
use = flapping
attempts = 2
window = 1
`,
      "plugin:flapping",
    );
    const events: CircusEvent[] = [];
    const sub = subscribe(daemon.pubsub, ["watcher.calm."], (e) => events.push(e));
    await sub.ready; // the publisher has read the subscription: no event of the restart is lost
    const [first] = await pidsOf(daemon, "calm");
    await daemon.call("restart", { name: "calm" });
    const reap = await waitFor(() => events.find((e) => e.topic === "watcher.calm.reap"));
    const [second] = await pidsOf(daemon, "calm");
    expect(second).not.toBe(first);
    // A daemon that says why a process exited (decisions §2) lets Flapping ignore deliberate deaths
    // however close together; one that does not (as Circus) needs them more than `window` apart.
    const hasReason = typeof (reap.payload as { reason?: unknown }).reason === "string";
    if (!hasReason) await Bun.sleep(1100);
    await daemon.call("signal", { name: "calm", signum: "TERM" });
    await waitFor(() => events.filter((e) => e.topic === "watcher.calm.reap").length === 2);
    await waitFor(async () => {
      const pids = ((await daemon!.call("list", { name: "calm" })).pids ?? []) as number[];
      return pids.length === 1 && pids[0] !== second;
    });
    await Bun.sleep(300); // Flapping's own casts would show within this time
    await sub.close();
    expect((await daemon.call("status", { name: "calm" })).status).toBe("active");
    // One stop: the restart's own (stop + start), none from Flapping.
    expect(events.filter((e) => e.topic === "watcher.calm.stop").length).toBe(1);
    expect(daemon.output()).not.toContain("calm: flapping detected");
  });
});

describe("Flapping and the reason of reaps (a fake daemon publishing them)", () => {
  const now = () => Date.now() / 1000;

  async function start(config: Record<string, string>, overrides: Record<string, unknown> = {}) {
    fake = await fakeDaemon((r) => (r.command === "options" ? { options: overrides } : {}));
    running = await runInProcess<Flapping>(Flapping, fake, config);
    return fake;
  }

  test("deaths the daemon caused never count; crash and exit do", async () => {
    const f = await start({ attempts: "2", window: "1", retry_in: "0.1", max_retry: "5" });
    for (const reason of ["stop", "kill", "signal", "reload", "max_age", "stop", "spawn_failed"])
      await f.publish("watcher.web.reap", { process_pid: 10, time: now(), exit_code: -15, reason });
    await f.publish("watcher.web.reap", { process_pid: 11, time: now(), exit_code: 1, reason: "crash" });
    await f.publish("watcher.web.reap", { process_pid: 12, time: now(), exit_code: 0, reason: "exit" });
    await waitFor(() => f.casts().includes("stop web"));
    await waitFor(() => f.casts().includes("start web"), 2000, "the start after retry_in");
    expect(f.casts()).toEqual(["stop web", "start web"]);
  });

  test("without a reason every reap counts, as in Circus", async () => {
    const f = await start({ attempts: "2", window: "1", retry_in: "60" });
    await f.publish("watcher.web.reap", { process_pid: 10, time: now(), exit_code: -15 });
    await f.publish("watcher.web.reap", { process_pid: 11, time: now(), exit_code: -15 });
    await waitFor(() => f.casts().includes("stop web"));
  });

  test("the window is the real time between counted deaths (no check_delay term)", async () => {
    const f = await start({ attempts: "2", window: "1", retry_in: "60" });
    const t = now();
    await f.publish("watcher.web.reap", { process_pid: 1, time: t, exit_code: 1, reason: "crash" });
    await f.publish("watcher.web.reap", { process_pid: 2, time: t + 3, exit_code: 1, reason: "crash" });
    await f.publish("watcher.web.reap", { process_pid: 3, time: t + 3.5, exit_code: 1, reason: "crash" });
    await waitFor(() => f.casts().includes("stop web"));
    expect(f.casts()).toEqual(["stop web"]);
  });

  test("per-watcher flapping.* options from `options`; names with dots are split right", async () => {
    const f = await start({ attempts: "2", window: "1", retry_in: "60" }, { "flapping.attempts": "3" });
    for (const pid of [1, 2])
      await f.publish("watcher.my.app.reap", { process_pid: pid, time: now(), exit_code: 1, reason: "crash" });
    await waitFor(() => f.requests.some((r) => r.command === "options"));
    expect(f.requests.find((r) => r.command === "options")!.properties).toEqual({ name: "my.app" });
    await Bun.sleep(100);
    expect(f.casts()).toEqual([]);
    await f.publish("watcher.my.app.reap", { process_pid: 3, time: now(), exit_code: 1, reason: "crash" });
    await waitFor(() => f.casts().includes("stop my.app"));
  });

  test("reaching max_retry leaves the watcher stopped", async () => {
    const f = await start({ attempts: "2", window: "1", retry_in: "0.05", max_retry: "1" });
    const crash = async (pid: number) =>
      f.publish("watcher.w.reap", { process_pid: pid, time: now(), exit_code: 1, reason: "crash" });
    await crash(1);
    await crash(2);
    await waitFor(() => f.casts().join() === "stop w,start w");
    await f.publish("watcher.w.start", { time: now() });
    await crash(3);
    await crash(4);
    await waitFor(() => f.casts().length === 3);
    await Bun.sleep(200);
    expect(f.casts()).toEqual(["stop w", "start w", "stop w"]);
    // Only the last stop says the watcher gives up (a critical one then stops the daemon).
    const stops = f.requests.filter((r) => r.command === "stop").map((r) => r.properties.gave_up);
    expect(stops[0]).toBeUndefined();
    expect(stops[1]).toBe("flapping: 2 deaths within 1 s, 1 retries");
  });

  test("max_retry = -1 retries forever", async () => {
    const f = await start({ attempts: "2", window: "1", retry_in: "0.01", max_retry: "-1" });
    for (let round = 1; round <= 4; round++) {
      for (const pid of [1, 2])
        await f.publish("watcher.w.reap", { process_pid: pid, time: now(), exit_code: 1, reason: "crash" });
      await waitFor(() => f.casts().filter((c) => c === "start w").length === round);
      await f.publish("watcher.w.start", { time: now() });
    }
    expect(f.casts().filter((c) => c === "stop w").length).toBe(4);
  });
});
