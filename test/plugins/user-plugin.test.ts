// A user's plugin in TypeScript, named in a config and loaded at run time by the compiled binary:
// `import … from "circus"` resolves to the binary's own API; options arrive typed and whole.

import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { CIRCUS_SECTION, pidsOf } from "./helpers.ts";

let daemon: RunningDaemon | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const RECORDER = `
import { appendFileSync } from "node:fs";
import { CircusPlugin, kinds, option, type EventTopic, type WatcherEventData } from "circus";

const options = {
  out: option(kinds.text, { default: "", required: true, doc: "file to append to" }),
  note: option(kinds.text, { default: "", doc: "written in the first line" }),
  tick: option(kinds.float, { default: 0.05, doc: "seconds between ticks" }),
};

export class Recorder extends CircusPlugin<typeof options> {
  static override pluginName = "recorder";
  static override options = options;
  private ticks = 0;

  private write(line: string): void {
    appendFileSync(this.options.out, line + "\\n");
  }

  override async handleInit(): Promise<void> {
    const reply = await this.call("list");
    this.write("init " + JSON.stringify(reply.watchers) + " note=" + this.options.note);
    this.every(this.options.tick, () => {
      this.ticks += 1;
      if (this.ticks === 3) this.write("ticked 3");
    });
  }

  override handleRecv(topic: EventTopic, event: WatcherEventData): void {
    this.write(topic.watcher + " " + topic.action + " " + String(event.process_pid ?? ""));
  }
}
`;

test("the compiled binary runs a TypeScript plugin from the config's directory that imports from circus", async () => {
  expect(existsSync(BINARY)).toBe(true); // `npm test` builds it first
  daemon = await startDaemon(
    `${CIRCUS_SECTION}
[watcher:my.app]
cmd = sleep 3600

[plugin:rec]
use = ./plugins/recorder.ts:Recorder
out = {dir}/rec.log
note = hello world: spaces and colons:::survive
`,
    [],
    { command: [BINARY], files: { "plugins/recorder.ts": RECORDER } },
  );
  const log = join(daemon.dir, "rec.log");
  const read = () => (existsSync(log) ? readFileSync(log, "utf8") : "");
  await waitFor(() => read().includes("ticked 3"), 10_000, "the plugin's timer");
  expect(read()).toContain('init ["my.app","plugin:rec"] note=hello world: spaces and colons:::survive');
  await daemon.call("incr", { name: "my.app" });
  const pids = await pidsOf(daemon, "my.app", 2);
  await waitFor(() => pids.every((pid) => read().includes(`my.app spawn ${pid}`) || pid === pids[0]));
  expect(read()).toContain(`my.app spawn ${pids[1]}`);
  // The plugin is the compiled binary itself, running `circus plugin`.
  const pluginPid = (await pidsOf(daemon, "plugin:rec"))[0]!;
  const argv = readFileSync(`/proc/${pluginPid}/cmdline`, "utf8").split("\0");
  expect(argv[0]).toBe(BINARY);
  expect(argv).toContain("plugin");
  expect(argv.at(-2)).toBe(join(daemon.dir, "plugins/recorder.ts:Recorder"));
});
