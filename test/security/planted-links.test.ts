// Paths the root daemon writes or changes by name at start: the pidfile and the ipc control socket. In a
// directory another user may write, that user can put a symbolic link there (before the start, or in
// the instant after the bind); the daemon must replace or ignore the link, never write, chmod or chown
// the file it points to. Run as root, with a throwaway unix user.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimPidfile, releasePidfile } from "../../src/daemon/pidfile.ts";
import { secureIpcFile } from "../../src/protocol/controller.ts";
import { asUser, makeUser, removeUsers, type TestUser } from "../helpers/users.ts";

let mallory: TestUser;
let dir: string;
beforeAll(() => {
  mallory = makeUser("lnk");
});
afterAll(removeUsers);
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A root-only file, as /etc/shadow is. */
function rootFile(): string {
  dir = mkdtempSync(join(tmpdir(), "circus-planted-"));
  const path = join(dir, "shadow");
  writeFileSync(path, "root only\n", { mode: 0o600 });
  return path;
}

/** mallory puts a link to `target` at `path` (in mallory's own directory). */
function plant(path: string, target: string): void {
  expect(Bun.spawnSync([...asUser(mallory), "ln", "-s", target, path]).exitCode).toBe(0);
}

describe("a link planted where the daemon writes", () => {
  test("the pidfile replaces the link instead of writing through it", () => {
    const secret = rootFile();
    const pidfile = join(mallory.home, "circus.pid");
    plant(pidfile, secret);
    claimPidfile(pidfile);
    expect(readFileSync(secret, "utf8")).toBe("root only\n");
    expect(lstatSync(pidfile).isFile()).toBe(true);
    expect(readFileSync(pidfile, "utf8")).toBe(`${process.pid}\n`);
    releasePidfile(pidfile);
    expect(() => lstatSync(pidfile)).toThrow();
  });

  test("the control socket handed to endpoint_owner: a link swapped in after the bind is not chowned through", () => {
    const secret = rootFile();
    const sock = join(mallory.home, "ctl.sock");
    plant(sock, secret); // as if mallory had replaced the fresh socket file in the instant after the bind
    secureIpcFile(`ipc://${sock}`, { endpointOwner: mallory.name });
    const st = statSync(secret);
    expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
  });
});
