// src/os/fs: libc file operations behave as the node:fs calls they replace.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OsError } from "../../src/os/errors.ts";
import { chmod, chown, exists, listDir, readBytes, readText, unlink, writeText } from "../../src/os/fs.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "circus-fs-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("os/fs", () => {
  test("readText returns a file's UTF-8 text, also past one read chunk", () => {
    const text = "é→ circus\n".repeat(20000);
    writeFileSync(join(dir, "a"), text);
    expect(readText(join(dir, "a"))).toBe(text);
    writeFileSync(join(dir, "empty"), "");
    expect(readText(join(dir, "empty"))).toBe("");
  });

  test("readBytes reads /proc files, which report size 0", () => {
    expect(new TextDecoder().decode(readBytes(`/proc/${process.pid}/stat`))).toStartWith(`${process.pid} (`);
  });

  test("a missing file fails with an OsError naming ENOENT and the path", () => {
    const missing = join(dir, "missing");
    expect(() => readText(missing)).toThrow(OsError);
    expect(() => readText(missing)).toThrow(`open ${missing}: no such file or directory (ENOENT)`);
    expect(() => unlink(missing)).toThrow("ENOENT");
  });

  test("writeText creates with the mode (under the umask) and truncates", () => {
    const file = join(dir, "pid");
    writeText(file, "123456\n", 0o600);
    writeText(file, "7\n", 0o644);
    expect(readFileSync(file, "utf8")).toBe("7\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("exists follows symlinks; unlink removes; chmod sets the mode", () => {
    const file = join(dir, "f");
    writeFileSync(file, "x");
    symlinkSync(join(dir, "nowhere"), join(dir, "dangling"));
    expect(exists(file)).toBe(true);
    expect(exists(join(dir, "dangling"))).toBe(false);
    chmod(file, 0o640);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    chown(file, -1, -1);
    unlink(file);
    expect(exists(file)).toBe(false);
  });

  test("listDir lists the names readdirSync lists", () => {
    for (const name of ["a", "b.ini", "ünï", ".hidden"]) writeFileSync(join(dir, name), "");
    mkdirSync(join(dir, "sub"));
    expect(listDir(dir).sort()).toEqual(readdirSync(dir).sort());
    expect(listDir("/proc")).toContain(String(process.pid));
    expect(() => listDir(join(dir, "a"))).toThrow("ENOTDIR");
  });
});
