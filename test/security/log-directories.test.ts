// A log file's directories belong to the attack surface too: a worker (or the endpoint_owner) that owns
// a directory on the way to its log can replace that directory with a link to a root-only one. The root
// daemon must then neither append there (open, `reopen`) nor rename or remove files there (rotation):
// O_NOFOLLOW alone guards only the last name of the path. Run as root, with a throwaway unix user.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningDaemon, startDaemon, waitFor } from "../helpers/daemon.ts";
import { asUser, makeUser, removeUsers, type TestUser } from "../helpers/users.ts";

let worker: TestUser;
beforeAll(() => {
  worker = makeUser("ldir");
});
afterAll(removeUsers);

const running: RunningDaemon[] = [];
const secrets: string[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  for (const s of secrets.splice(0)) rmSync(s, { recursive: true, force: true });
});

/** A root-only directory holding `app.log` (root's, "root only"), as /etc holds passwd. */
function rootOnlyDir(): string {
  const dir = join(worker.home, "..", `circus-rootonly-${process.pid}-${secrets.length}`);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, "app.log"), "root only\n", { mode: 0o600 });
  secrets.push(dir);
  return dir;
}

/** A root daemon whose worker runs as `worker` and logs to <its home>/logs/app.log. */
async function loggingDaemon(streamOptions: string): Promise<{ d: RunningDaemon; logs: string }> {
  const logs = join(worker.home, "logs");
  const d = await startDaemon(
    `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}

[watcher:app]
cmd = sh -c 'while true; do echo tick-tick-tick-tick; sleep 0.02; done'
uid = ${worker.name}
stdout_stream.class = FileStream
stdout_stream.filename = ${logs}/app.log
${streamOptions}
`,
    [],
    {
      prepare: () => {
        rmSync(logs, { recursive: true, force: true });
        rmSync(`${logs}.old`, { recursive: true, force: true });
        expect(Bun.spawnSync([...asUser(worker), "mkdir", logs]).exitCode).toBe(0);
      },
    },
  );
  running.push(d);
  await waitFor(
    () => existsSync(join(logs, "app.log")) && readFileSync(join(logs, "app.log"), "utf8").includes("tick"),
  );
  return { d, logs };
}

/** The worker's user moves its log directory away and puts a link to `target` in its place. */
function swapDirectory(logs: string, target: string): void {
  const swap = Bun.spawnSync([...asUser(worker), "sh", "-c", `mv ${logs} ${logs}.old && ln -s ${target} ${logs}`]);
  expect(swap.exitCode).toBe(0);
}

const refused = (d: RunningDaemon) => d.output().includes("not followed");
/** Whether anything in the root-only directory changed. */
const touched = (dir: string) =>
  readdirSync(dir).join() !== "app.log" || readFileSync(join(dir, "app.log"), "utf8") !== "root only\n";

describe("a log directory replaced by a link", () => {
  test("reopen does not append to the root-only file the link leads to", async () => {
    const secret = rootOnlyDir();
    const { d, logs } = await loggingDaemon("");
    swapDirectory(logs, secret);
    expect((await d.call("reopen")).status).toBe("ok");
    await waitFor(() => refused(d) || touched(secret), 5000, "the refused open in the daemon's log");
    await Bun.sleep(300); // the worker keeps printing meanwhile
    expect(readFileSync(join(secret, "app.log"), "utf8")).toBe("root only\n");
  }, 20_000);

  test("size rotation does not rename, replace or append to files in the directory the link leads to", async () => {
    const secret = rootOnlyDir();
    const { d, logs } = await loggingDaemon("stdout_stream.max_bytes = 400\nstdout_stream.backup_count = 2");
    swapDirectory(logs, secret);
    // Rotations keep coming (20 lines of 21 bytes each fill a file); each would act in the linked directory.
    await waitFor(() => refused(d) || touched(secret), 5000, "the refused open in the daemon's log");
    await Bun.sleep(500);
    expect(readdirSync(secret).sort()).toEqual(["app.log"]);
    expect(readFileSync(join(secret, "app.log"), "utf8")).toBe("root only\n");
  }, 20_000);
});
