// src/os/fs: files the daemon opens or checks on behalf of less trusted users — symbolic links planted
// in place of a log, and whether a user could write a file itself. Run as root, with throwaway users.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  closeSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAppend, whyCannotEnter, whyCannotWrite } from "../../src/os/fs.ts";
import { makeUser, removeUsers, type TestUser } from "../helpers/users.ts";

let dir: string;
let mallory: TestUser;
const cred = (u: TestUser) => ({ uid: u.uid, groups: [u.gid] });

beforeAll(() => {
  mallory = makeUser("fs");
});
afterAll(removeUsers);
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function secret(): string {
  const path = join(dir, "secret");
  writeFileSync(path, "root only\n", { mode: 0o600 });
  return path;
}

describe("openAppend", () => {
  test("a link another user planted in place of the file is not followed", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-link-"));
    const target = secret();
    const logs = join(dir, "logs");
    mkdirSync(logs);
    chownSync(logs, mallory.uid, mallory.gid);
    symlinkSync(target, join(logs, "app.log"));
    lchownSync(join(logs, "app.log"), mallory.uid, mallory.gid);
    expect(() => openAppend(join(logs, "app.log"))).toThrow(/symbolic link .* not followed/);
    expect(readFileSync(target, "utf8")).toBe("root only\n");
  });

  test("even a root-owned link is not followed in a directory another user may change", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-link-"));
    const target = secret();
    const logs = join(dir, "logs");
    mkdirSync(logs);
    chownSync(logs, mallory.uid, mallory.gid); // mallory could swap the link at any time
    symlinkSync(target, join(logs, "app.log"));
    expect(() => openAppend(join(logs, "app.log"))).toThrow(/not followed/);
  });

  test("a link made by root in a directory only root changes is followed, like /dev/stdout", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-link-"));
    const real = join(dir, "real.log");
    symlinkSync(real, join(dir, "app.log"));
    const fd = openAppend(join(dir, "app.log"));
    writeSync(fd, "through the link\n");
    closeSync(fd);
    expect(readFileSync(real, "utf8")).toBe("through the link\n");
    // In a child whose stdout is a file, as a daemon's often is (a parallel test worker's is a socket,
    // which no open() can reopen).
    const child = Bun.spawnSync(
      [
        process.execPath,
        "-e",
        `import { closeSync } from "node:fs"; import { openAppend } from ${JSON.stringify(join(import.meta.dir, "../../src/os/fs.ts"))}; closeSync(openAppend("/dev/stdout"));`,
      ],
      { stdout: Bun.file(join(dir, "stdout")), stderr: "pipe" },
    );
    expect(child.stderr.toString()).toBe("");
    expect(child.exitCode).toBe(0);
  });

  test("a directory on the way that another user replaced with a link is not followed either", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-link-"));
    const target = secret(); // dir/secret, in a directory only root may change
    const home = join(dir, "home");
    mkdirSync(home);
    chownSync(home, mallory.uid, mallory.gid);
    // mallory's log directory, swapped for a link to root's directory: O_NOFOLLOW alone would not see it.
    symlinkSync(dir, join(home, "logs"));
    lchownSync(join(home, "logs"), mallory.uid, mallory.gid);
    expect(() => openAppend(join(home, "logs", "secret"))).toThrow(/logs: .*not followed/);
    expect(readFileSync(target, "utf8")).toBe("root only\n");
  });

  test("a directory link made by root where only root may change it is followed", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-link-"));
    mkdirSync(join(dir, "real"));
    symlinkSync(join(dir, "real"), join(dir, "current"));
    const fd = openAppend(join(dir, "current", "app.log"));
    writeSync(fd, "through the directory link\n");
    closeSync(fd);
    expect(readFileSync(join(dir, "real", "app.log"), "utf8")).toBe("through the directory link\n");
  });

  test("a plain file is created with the mode and appended to", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-link-"));
    const path = join(dir, "new.log");
    for (const line of ["a\n", "b\n"]) {
      const fd = openAppend(path, 0o640);
      writeSync(fd, line);
      closeSync(fd);
    }
    expect(readFileSync(path, "utf8")).toBe("a\nb\n");
  });
});

describe("whyCannotWrite and whyCannotEnter", () => {
  test("a user may write its own files and create files in its own directories, not root's", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-perm-"));
    chmodSync(dir, 0o755);
    const own = join(dir, "own");
    mkdirSync(own);
    chownSync(own, mallory.uid, mallory.gid);
    expect(whyCannotWrite(join(own, "app.log"), cred(mallory))).toBeNull();
    expect(whyCannotWrite(join(dir, "app.log"), cred(mallory))).toContain(`may not create files in ${dir}`);
    const target = secret();
    expect(whyCannotWrite(target, cred(mallory))).toContain(`may not write ${target}`);
    expect(whyCannotWrite("/etc/shadow", cred(mallory))).toContain("may not write /etc/shadow");
    symlinkSync(target, join(own, "link.log"));
    expect(whyCannotWrite(join(own, "link.log"), cred(mallory))).toContain("is a symbolic link");
    expect(whyCannotWrite("relative.log", cred(mallory))).toContain("not an absolute path");
  });

  test("a directory on the way that the user may not enter hides what is below it", () => {
    dir = mkdtempSync(join(tmpdir(), "circus-perm-"));
    chmodSync(dir, 0o700);
    const inner = join(dir, "inner");
    mkdirSync(inner, { mode: 0o777 });
    chmodSync(inner, 0o777);
    expect(whyCannotWrite(join(inner, "x.log"), cred(mallory))).toContain(`may not enter ${dir}`);
    expect(whyCannotEnter(inner, cred(mallory))).toContain(`may not enter ${dir}`);
    chmodSync(dir, 0o711);
    expect(whyCannotEnter(inner, cred(mallory))).toBeNull();
    expect(whyCannotEnter(join(dir, "missing"), cred(mallory))).toContain("does not exist");
  });
});
