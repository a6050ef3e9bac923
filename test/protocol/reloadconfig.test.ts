// reloadconfig over the wire: watchers and sockets added, removed and changed from the re-read file;
// a broken file is refused and everything keeps running.

import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { freePort } from "../helpers/daemon.ts";
import { tempDir } from "../helpers/peers.ts";
import { startHarness, stopHarnesses, waitProcesses } from "./harness.ts";

afterEach(stopHarnesses);

const CIRCUS = "[circus]\nendpoint = tcp://127.0.0.1:0\npubsub_endpoint = tcp://127.0.0.1:0\nmulticast_endpoint =\n";
const watcher = (name: string, extra = "") => `[watcher:${name}]\ncmd = sleep 60\ngraceful_timeout = 1\n${extra}`;

test("reloadconfig adds, removes and changes watchers and sockets; a broken file changes nothing", async () => {
  const dir = tempDir("rc-");
  const file = join(dir, "circus.ini");
  const [p1, p2] = [freePort(), freePort()];
  writeFileSync(
    file,
    CIRCUS +
      watcher("keep") +
      watcher("gone") +
      watcher("change", "numprocesses = 1\n") +
      `[socket:old]\nhost = 127.0.0.1\nport = ${p1}\n`,
  );
  const h = await startHarness([], { config: await loadConfig(file), loadConfig: () => loadConfig(file) });
  const [keepPid] = await waitProcesses(h, "keep", 1);
  await waitProcesses(h, "gone", 1);
  await waitProcesses(h, "change", 1);
  expect((await h.call("listsockets")).sockets).toMatchObject([{ name: "old", host: "127.0.0.1", port: p1 }]);

  writeFileSync(
    file,
    CIRCUS +
      watcher("keep") +
      watcher("change", "numprocesses = 3\n") +
      watcher("fresh") +
      `[socket:new]\nhost = 127.0.0.1\nport = ${p2}\n`,
  );
  expect((await h.call("reloadconfig", { waiting: true })).status).toBe("ok");
  expect((await h.call("list")).watchers).toEqual(["change", "fresh", "keep"]);
  await waitProcesses(h, "change", 3);
  await waitProcesses(h, "fresh", 1);
  expect((await h.call("list", { name: "keep" })).pids).toEqual([keepPid]);
  expect((await h.call("listsockets")).sockets).toMatchObject([{ name: "new", port: p2 }]);

  writeFileSync(file, CIRCUS + "[watcher:broken]\nnumprocesses = many\ncmd = x\n");
  const broken = await h.call("reloadconfig", { waiting: true });
  expect(broken).toMatchObject({ status: "error", errno: 5 });
  expect(String(broken.reason)).toContain("numprocesses");
  expect((await h.call("list")).watchers).toEqual(["change", "fresh", "keep"]);
  expect((await h.call("list", { name: "keep" })).pids).toEqual([keepPid]);
  expect((await h.call("status", { name: "change" })).status).toBe("active");
});
