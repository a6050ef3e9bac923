// README's plugin documentation is what the code does: the reference block is generated from the
// option specs and METRICS, and the example plugin runs as written.

import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { README, readmeWithReference } from "../../scripts/plugin-docs.ts";
import { waitFor, type RunningDaemon, startDaemon } from "../helpers/daemon.ts";
import { CIRCUS_SECTION, pidsOf } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const readme = readFileSync(README, "utf8");

test("the built-in plugin reference in README.md is generated from the specs (bun scripts/plugin-docs.ts --write)", async () => {
  expect(await readmeWithReference(readme)).toBe(readme);
});

test("README's example plugin runs as written: it starts its watcher again and logs crashes", async () => {
  const code = /```ts\n(\/\/ plugins\/keep-alive\.ts[\s\S]*?)```/.exec(readme)![1]!;
  const ini = /```ini\n(\[watcher:web\]\ncmd = node server\.js\n\n\[plugin:keepalive\][\s\S]*?)```/.exec(readme)![1]!;
  daemon = await startDaemon(
    CIRCUS_SECTION + ini.replace("cmd = node server.js", "cmd = sleep 3600").replace("every = 5", "every = 0.1"),
    [],
    { files: { "plugins/keep-alive.ts": code } },
  );
  const [first] = await pidsOf(daemon, "web");
  await waitFor(async () => (await daemon!.call("status", { name: "plugin:keepalive" })).status === "active");
  process.kill(first!, "SIGKILL");
  await waitFor(() => daemon!.output().includes(`pid ${first} exited with -9 (1 so far)`), 10_000);
  await daemon.call("stop", { name: "web" });
  await waitFor(() => daemon!.output().includes("web runs 0 processes: starting it"), 10_000);
  await pidsOf(daemon, "web");
});
