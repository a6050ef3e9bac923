// src/util/path must agree with node's path.posix on every input the daemon can meet.
import { describe, expect, test } from "bun:test";
import { posix } from "node:path";
import { basename, dirname, extname, isAbsolute, join, normalize, resolve, sep } from "../../src/util/path.ts";

const SAMPLES = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///a//b",
  "a",
  "a/",
  "a//",
  "/a",
  "/a/",
  "/a/b",
  "/a/b/",
  "a/b/c",
  "./a",
  "../a",
  "a/../..",
  "/../a",
  "/a/./b/../c",
  "a/b/../../..",
  ".hidden",
  "/x/.hidden",
  "file.txt",
  "file.tar.gz",
  "a.",
  "/a.b/c",
  "/a/b.c/",
  "..",
  "...",
  "a/..",
  "/..",
  "circus.ini",
  "/etc/circus/conf.d/*.ini",
  "dir/.",
  "//a",
  "//a/b",
  "..a",
  "a..",
  ".a.b",
  "/a/b//",
];

describe("util/path", () => {
  test("normalize, dirname, basename, extname and isAbsolute match node's path.posix", () => {
    for (const p of SAMPLES) {
      expect([p, normalize(p)]).toEqual([p, posix.normalize(p)]);
      expect([p, dirname(p)]).toEqual([p, posix.dirname(p)]);
      expect([p, basename(p)]).toEqual([p, posix.basename(p)]);
      expect([p, extname(p)]).toEqual([p, posix.extname(p)]);
      expect([p, isAbsolute(p)]).toEqual([p, posix.isAbsolute(p)]);
    }
  });

  test("basename strips a matching extension", () => {
    for (const [p, ext] of [
      ["/a/b.ini", ".ini"],
      ["b.ini", "ini"],
      [".ini", ".ini"],
      ["a/b.ini/", ".ini"],
      ["b", ".ini"],
      ["/a/b", ""],
    ] as const) {
      expect([p, ext, basename(p, ext)]).toEqual([p, ext, posix.basename(p, ext)]);
    }
  });

  test("join and resolve of pairs match node's path.posix", () => {
    for (const a of SAMPLES) {
      for (const b of ["", "x", "x/", "/abs", "../up", "./y/z", ".."]) {
        expect([a, b, join(a, b)]).toEqual([a, b, posix.join(a, b)]);
        expect([a, b, resolve(a, b)]).toEqual([a, b, posix.resolve(a, b)]);
      }
    }
    expect(join()).toBe(posix.join());
    expect(resolve()).toBe(posix.resolve());
    expect(resolve("a", "b", "/c", "d")).toBe(posix.resolve("a", "b", "/c", "d"));
    expect(sep).toBe(posix.sep);
  });
});
