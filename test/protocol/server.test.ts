// The real daemon (`circus daemon`) wired through startControlServer: circusctl-style requests,
// and `quit` answered before the daemon exits.

import { afterEach, expect, test } from "bun:test";
import { startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { within } from "../helpers/wait.ts";

const daemons: RunningDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

const INI = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:napper]
cmd = sleep 60
numprocesses = 2
graceful_timeout = 1
`;

test("the daemon answers circusctl requests and `quit` is answered before it exits with status 0", async () => {
  const d = await startDaemon(INI);
  daemons.push(d);
  await waitFor(async () => ((await d.call("numprocesses")).numprocesses === 2 ? true : null), 10_000, "two nappers");
  expect(await d.call("list")).toMatchObject({ status: "ok", watchers: ["napper"] });
  expect(((await d.call("dstats")).info as Record<string, unknown>).pid).toBe(d.proc.pid);
  expect(((await d.call("globaloptions", { option: "endpoint" })).options as Record<string, unknown>).endpoint).toBe(
    d.endpoint,
  );
  expect(await d.call("quit")).toMatchObject({ status: "ok" });
  expect(await within(d.proc.exited, 10_000, "the daemon to exit")).toBe(0);
}, 30_000);
