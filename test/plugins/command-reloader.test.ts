// CommandReloader run by a real daemon: replacing a watcher's program on disk (a new file renamed over
// it, or a symlink switched to another version) restarts that watcher; the others are left alone.

import { afterEach, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { pidsOf, startWithPlugin, waitOutput } from "./helpers.ts";

let daemon: RunningDaemon | null = null;
let dir: string | null = null;

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function program(path: string, version: string): void {
  writeFileSync(path, `#!/bin/sh\n# version ${version}\nexec sleep 3600\n`);
  chmodSync(path, 0o755);
}

async function replaced(d: RunningDaemon, name: string, old: number): Promise<void> {
  await waitFor(
    async () => {
      const pids = ((await d.call("list", { name })).pids ?? []) as number[];
      return pids.length === 1 && pids[0] !== old;
    },
    10_000,
    `${name} restarted`,
  );
}

test("a program replaced on disk, or a symlink switched to a new version, restarts its watcher", async () => {
  dir = mkdtempSync(join(tmpdir(), "circus-reload-"));
  program(join(dir, "app.sh"), "1");
  program(join(dir, "v1.sh"), "1");
  program(join(dir, "v2.sh"), "2");
  symlinkSync(join(dir, "v1.sh"), join(dir, "current"));
  daemon = await startWithPlugin(
    `
[watcher:app]
cmd = ${join(dir, "app.sh")} --with-args

[watcher:linked]
cmd = ${join(dir, "current")}

[watcher:steady]
cmd = sleep 3600

[plugin:reloader]
use = circus.plugins.command_reloader.CommandReloader
loop_rate = 0.2
`,
    "plugin:reloader",
  );
  const [app] = await pidsOf(daemon, "app");
  const [linked] = await pidsOf(daemon, "linked");
  const [steady] = await pidsOf(daemon, "steady");
  // First sightings only record.
  await waitOutput(daemon, `app: watching ${join(dir, "app.sh")}`);
  await waitOutput(daemon, `linked: watching ${join(dir, "v1.sh")}`);

  program(join(dir, "app.sh.new"), "2");
  renameSync(join(dir, "app.sh.new"), join(dir, "app.sh"));
  await waitOutput(daemon, `${join(dir, "app.sh")} modified. Restarting.`);
  await replaced(daemon, "app", app!);

  symlinkSync(join(dir, "v2.sh"), join(dir, "next"));
  renameSync(join(dir, "next"), join(dir, "current"));
  await waitOutput(daemon, `${join(dir, "v2.sh")} modified. Restarting.`);
  await replaced(daemon, "linked", linked!);

  expect(await pidsOf(daemon, "steady")).toEqual([steady!]);
});
