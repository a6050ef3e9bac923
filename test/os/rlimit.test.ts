// Resource limits are set in throw-away child processes so the test runner keeps its own limits.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { getRlimit, rlimitNumber, UnknownRlimitError } from "../../src/os/rlimit.ts";
import { inChild } from "./child.ts";

function limitsLine(limits: string, label: string): string[] {
  const line = limits.split("\n").find((l) => l.startsWith(label)) ?? "";
  return line.slice(label.length).trim().split(/\s+/);
}

/** Soft and hard limit of one line of /proc/PID/limits. */
function softHard(limits: string, label: string): [string, string] {
  const [soft, hard] = limitsLine(limits, label);
  if (soft === undefined || hard === undefined) throw new Error(`no "${label}" line in ${limits}`);
  return [soft, hard];
}

describe("rlimit", () => {
  test("getRlimit reports what /proc/self/limits shows", () => {
    const [soft, hard] = softHard(readFileSync("/proc/self/limits", "utf8"), "Max open files");
    const limit = getRlimit("nofile");
    expect(String(limit.soft)).toBe(soft);
    expect(String(limit.hard)).toBe(hard);
  });

  test("setRlimit changes the calling process's limits, null meaning unlimited", () => {
    const out = inChild(
      { rlimit: "rlimit" },
      `
      rlimit.setRlimit("nofile", 123, 456);
      rlimit.setRlimit("core", null, null);
      const limits = require("fs").readFileSync("/proc/self/limits", "utf8");
      console.log(limits.split("\\n").filter(l => /open files|core file/.test(l)).join("\\n"));
    `,
    );
    expect(limitsLine(out, "Max core file size").slice(0, 2)).toEqual(["unlimited", "unlimited"]);
    expect(limitsLine(out, "Max open files").slice(0, 2)).toEqual(["123", "456"]);
  });

  test("an unlimited nofile that the kernel refuses falls back to the hard limit", () => {
    const out = inChild(
      { rlimit: "rlimit" },
      `
      rlimit.setRlimit("nofile", 100, 2000);
      rlimit.applyRlimit("nofile", null);
      console.log(JSON.stringify(rlimit.getRlimit("nofile")));
    `,
    );
    expect(JSON.parse(out)).toEqual({ soft: 2000, hard: 2000 });
  });

  test("raiseNofileToHard lifts the soft limit to the hard one", () => {
    const out = inChild(
      { rlimit: "rlimit" },
      `
      rlimit.setRlimit("nofile", 64, 1000);
      console.log(rlimit.raiseNofileToHard(), JSON.stringify(rlimit.getRlimit("nofile")));
    `,
    );
    expect(out).toBe('1000 {"soft":1000,"hard":1000}');
  });

  test("an unknown limit name is rejected with the list of known ones", () => {
    expect(() => rlimitNumber("bogus")).toThrow(UnknownRlimitError);
    expect(() => rlimitNumber("bogus")).toThrow(/known: cpu, fsize/);
    expect(rlimitNumber("NOFILE")).toBe(7);
  });

  test("raising a hard limit without privilege explains the EPERM", () => {
    const out = inChild(
      { rlimit: "rlimit" },
      `
      rlimit.setRlimit("nofile", 100, 200);
      process.setuid?.(65534);
      try { rlimit.setRlimit("nofile", 300, 300); } catch (e) { console.log(e.message); }
    `,
    );
    expect(out).toBe(
      "setrlimit nofile 300/300: operation not permitted (EPERM) — only root may raise a hard limit; lower the value or run circusd as root",
    );
  });
});
