// The daemon at the limits of its host: an open-files limit too small for its workers (lowered here
// with prlimit, so the limit is reached with a few hundred workers).

import { afterEach, describe, expect, test } from "bun:test";
import { startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";

const running: RunningDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

const config = (workers: number, extra = "") =>
  "[circus]\nendpoint = {endpoint}\npubsub_endpoint = {pubsub}\nmulticast_endpoint =\n\n" +
  `[watcher:w]\ncmd = sleep 300\nnumprocesses = ${workers}\ngraceful_timeout = 2\n${extra}`;

describe("the open-files limit", () => {
  test("a config whose workers need more fds than the hard limit is warned about at load", async () => {
    const d = await startDaemon(config(200, "autostart = false\n"), [], { wrap: ["prlimit", "--nofile=300:300"] });
    running.push(d);
    await waitFor(() => d.output().includes("open-files hard limit of 300"), 3000, "the warning");
    expect(d.output()).toMatch(
      /200 workers need about 6\d\d open files in the daemon .* over the open-files hard limit of 300/,
    );
  });

  test("a config that fits says nothing", async () => {
    const d = await startDaemon(config(50, "autostart = false\n"), [], { wrap: ["prlimit", "--nofile=300:300"] });
    running.push(d);
    await Bun.sleep(200);
    expect(d.output()).not.toContain("open-files hard limit");
  });
});
