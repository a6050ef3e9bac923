// The API of users' plugins, run in-process by the same runner as `circus plugin`, against a real
// daemon: events split into watcher and action, call/cast, timers that stop with the plugin, active,
// handleStop called once, and a plugin's logger writing to the daemon's log when the daemon runs it.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CircusPlugin, kinds, option, type EventTopic, type WatcherEventData } from "../../src/index.ts";
import { splitTopic } from "../../src/plugins/events.ts";
import { TimeoutError } from "../../src/protocol/client.ts";
import { RouterSocket } from "../../src/zmtp/index.ts";
import { startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { runInProcess, type InProcessPlugin } from "./fake-daemon.ts";
import { CIRCUS_SECTION, pidsOf } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let running: InProcessPlugin<CircusPlugin> | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
  await daemon?.stop();
  daemon = null;
});

const options = {
  tick: option(kinds.float, { default: 0.02, doc: "seconds" }),
  label: option(kinds.text, { default: "none", doc: "a label" }),
};

class Probe extends CircusPlugin<typeof options> {
  static override pluginName = "probe";
  static override options = options;
  events: [EventTopic, WatcherEventData][] = [];
  ticks = 0;
  initialised = false;
  stops = 0;

  override handleInit(): void {
    this.initialised = true;
    this.every(this.options.tick, () => {
      this.ticks += 1;
    });
  }

  override handleRecv(topic: EventTopic, event: WatcherEventData): void {
    if (topic.action === "kill") throw new Error("a failing handler must not stop the plugin");
    this.events.push([topic, event]);
  }

  override handleStop(): void {
    this.stops += 1;
  }
}

/** A user plugin that logs through its logger and appends a line to `out` for every handleStop. */
const TALKER = `
import { appendFileSync } from "node:fs";
import { CircusPlugin, kinds, option } from "circus";

const options = { out: option(kinds.text, { default: "", required: true, doc: "file to append to" }) };

export class Talker extends CircusPlugin<typeof options> {
  static override pluginName = "talker";
  static override options = options;

  override async handleInit(): Promise<void> {
    const reply = await this.call("list");
    this.logger.debug("talker debug line");
    this.logger.info("talker ready, watchers: " + (reply.watchers as string[]).join(","));
    this.logger.warning("a warning from the talker");
  }

  override handleStop(): void {
    appendFileSync(this.options.out, "stop\\n");
    this.logger.info("talker stopping");
  }
}
`;

async function daemonWith(sections: string): Promise<RunningDaemon> {
  daemon = await startDaemon(CIRCUS_SECTION + sections);
  return daemon;
}

describe("plugin API", () => {
  test("topics are split into watcher and action, dots in names kept", () => {
    expect(splitTopic("watcher.my.app.reap")).toEqual({
      topic: "watcher.my.app.reap",
      watcher: "my.app",
      action: "reap",
    });
    expect(splitTopic("watcher.web.spawn")?.watcher).toBe("web");
    expect(splitTopic("stat.web")).toBeNull();
  });

  test("events arrive decoded and split; options are typed with defaults; call and cast reach the daemon", async () => {
    const d = await daemonWith("[watcher:my.app]\ncmd = sleep 3600\n");
    running = await runInProcess<Probe>(Probe, { endpoint: d.endpoint, pubsub: d.pubsub }, { label: "a b:c" });
    const plugin = running.plugin as Probe;
    expect(plugin.initialised).toBe(true);
    expect(plugin.options).toEqual({ tick: 0.02, label: "a b:c", active: true });
    expect((await plugin.call("list")).watchers).toEqual(["my.app"]);
    plugin.cast("incr", { name: "my.app" });
    const [, second] = await pidsOf(d, "my.app", 2);
    const spawn = await waitFor(() => plugin.events.find(([t, e]) => t.action === "spawn" && e.process_pid === second));
    expect(spawn[0]).toEqual({ topic: "watcher.my.app.spawn", watcher: "my.app", action: "spawn" });
    expect(typeof spawn[1].time).toBe("number");
    // A handler that throws (on the kill of decr, which Circus reports without a reap) is logged; the
    // next events still arrive.
    await plugin.call("decr", { name: "my.app" });
    await plugin.call("incr", { name: "my.app" });
    const spawns = () => plugin.events.filter(([t]) => t.action === "spawn").length;
    await waitFor(() => spawns() >= 2);
  });

  test("timers stop with the plugin", async () => {
    const d = await daemonWith("[watcher:w]\ncmd = sleep 3600\n");
    running = await runInProcess<Probe>(Probe, { endpoint: d.endpoint, pubsub: d.pubsub }, {});
    const plugin = running.plugin as Probe;
    await waitFor(() => plugin.ticks >= 3);
    expect(await running.stop()).toBe(0);
    running = null;
    const after = plugin.ticks;
    await Bun.sleep(100);
    expect(plugin.ticks).toBe(after);
  });

  test("call rejects with TimeoutError when no reply comes in time", async () => {
    const silent = new RouterSocket();
    const endpoint = await silent.bind("tcp://127.0.0.1:0");
    try {
      const d = await daemonWith("[watcher:w]\ncmd = sleep 3600\n");
      running = await runInProcess<Probe>(Probe, { endpoint, pubsub: d.pubsub }, {});
      const started = Date.now();
      await expect(running.plugin.call("list", {}, { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });

  test("active = false: the plugin exits at once, before handleInit", async () => {
    const d = await daemonWith("[watcher:w]\ncmd = sleep 3600\n");
    await expect(
      runInProcess<Probe>(Probe, { endpoint: d.endpoint, pubsub: d.pubsub }, { active: "false" }),
    ).rejects.toThrow("exited 0");
  });

  test("handleStop is called once on stop, even when the plugin asked to stop and a signal came too", async () => {
    const d = await daemonWith("[watcher:w]\ncmd = sleep 3600\n");
    running = await runInProcess<Probe>(Probe, { endpoint: d.endpoint, pubsub: d.pubsub }, {});
    const plugin = running.plugin as Probe;
    expect(plugin.stops).toBe(0);
    plugin.stop();
    expect(await running.stop()).toBe(0);
    running = null;
    expect(plugin.stops).toBe(1);
  });

  test("a plugin run by the daemon: its logger's lines reach the daemon's log; stopping its watcher calls handleStop once", async () => {
    const d = await startDaemon(
      `${CIRCUS_SECTION}
[watcher:w]
cmd = sleep 3600

[plugin:talk]
use = ./plugins/talker.ts:Talker
out = {dir}/stops.log
`,
      [],
      { files: { "plugins/talker.ts": TALKER } },
    );
    daemon = d;
    const [pid] = await pidsOf(d, "plugin:talk");
    await d.log.waitFor(
      new RegExp(`circus\\.plugins\\.talker\\[${pid}\\] \\[INFO\\] talker ready, watchers: plugin:talk,w$`, "m"),
    );
    await d.log.waitFor(
      new RegExp(`circus\\.plugins\\.talker\\[${pid}\\] \\[WARNING\\] a warning from the talker$`, "m"),
    );
    expect((await d.call("stop", { name: "plugin:talk" })).status).toBe("ok");
    await waitFor(async () => (await d.call("status", { name: "plugin:talk" })).status === "stopped");
    await d.log.waitFor(new RegExp(`circus\\.plugins\\.talker\\[${pid}\\] \\[INFO\\] talker stopping$`, "m"));
    expect(readFileSync(join(d.dir, "stops.log"), "utf8")).toBe("stop\n");
    expect(d.output()).not.toContain("talker debug line"); // the daemon's level is info
  });

  test("a plugin can stop itself", async () => {
    const d = await daemonWith("[watcher:w]\ncmd = sleep 3600\n");
    running = await runInProcess<Probe>(Probe, { endpoint: d.endpoint, pubsub: d.pubsub }, {});
    const r = running;
    running = null;
    r.plugin.after(0.01, () => r.plugin.stop());
    expect(await r.done).toBe(0);
  });
});
