// Throwaway unix users for the security tests (they run as root): each is created with useradd and
// removed with userdel by `removeUsers()`, which every test file calls in afterAll/afterEach. Also runs
// commands as such a user (setpriv), to attack the daemon from outside its trust.

import { chownSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** A fresh directory owned by the user (mode 0755), under the shared temp dir. */
  home: string;
}

const made: TestUser[] = [];
let counter = 0;

function run(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Create a user with its own group and a home directory it owns; `removeUsers()` deletes it. */
export function makeUser(label = "u"): TestUser {
  const name = `cs${label}${process.pid % 100000}x${counter++}`.slice(0, 31);
  run(["useradd", "-M", "-U", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name]);
  const uid = Number(run(["id", "-u", name]).trim());
  const gid = Number(run(["id", "-g", name]).trim());
  const home = mkdtempSync(join(tmpdir(), `circus-${name}-`));
  chownSync(home, uid, gid);
  const user = { name, uid, gid, home };
  made.push(user);
  return user;
}

/** Remove every user (and its group) made by this process. */
export function removeUsers(): void {
  for (const u of made.splice(0)) {
    // -f: remove it even if a process a failed test started still runs as it (tests kill theirs by pid).
    Bun.spawnSync(["userdel", "-f", u.name]);
    Bun.spawnSync(["groupdel", u.name]);
    Bun.spawnSync(["rm", "-rf", u.home]);
  }
}

/** argv prefix that runs a command as `user` (its uid, its group, no supplementary groups). */
export function asUser(user: TestUser): string[] {
  return ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"];
}
