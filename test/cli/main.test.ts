// The one binary: subcommand selection by symlink name or first argument, version and usage.

import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { BINARY, circusCommand, ROOT } from "../helpers/daemon.ts";

const LINKS = ["circusd", "circusctl", "circus-top", "circusd-stats", "circus-plugin", "circushttpd"];

function run(command: string[]) {
  const r = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("the circus binary", () => {
  test("prints the package.json version", () => {
    const r = run([...circusCommand(), "--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`circus ${pkg.version}`);
  });

  test("circusd and circusd-stats --version print Circus's bare version, then ours", () => {
    for (const tool of ["daemon", "stats"]) {
      const r = run([...circusCommand(), tool, "--version"]);
      expect([r.code, r.stdout]).toEqual([0, `0.19.0 (circus ${pkg.version}, TypeScript)\n`]);
    }
  });

  test("rejects an unknown subcommand with usage on stderr and exit 2", () => {
    const r = run([...circusCommand(), "frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain("Usage: circus <command>");
  });

  test("a mistyped subcommand gets every close name, swaps included", () => {
    const r = run([...circusCommand(), "deamon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "deamon"; did you mean "daemon"?');
  });

  test("a subcommand named after an Object.prototype member is unknown too", () => {
    for (const name of ["constructor", "toString", "__proto__"]) {
      const r = run([...circusCommand(), name]);
      expect({ name, code: r.code }).toEqual({ name, code: 2 });
      expect(r.stderr).toContain(`unknown command "${name}"`);
    }
  });

  test("without arguments prints usage on stderr and exits 2", () => {
    const r = run([...circusCommand()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: circus <command>");
  });

  test("the build made every Circus tool name a symlink to the binary", () => {
    expect(existsSync(BINARY)).toBe(true);
    for (const name of LINKS) {
      const path = join(ROOT, "dist", name);
      expect(lstatSync(path).isSymbolicLink()).toBe(true);
      expect(readlinkSync(path)).toBe("circus");
    }
  });

  test("each symlink selects its tool and prints the version", () => {
    for (const name of LINKS) {
      const r = run([join(ROOT, "dist", name), "--version"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(pkg.version);
    }
  });

  test("circusd selects the daemon: a missing config file is reported, not treated as a subcommand", () => {
    const r = run([join(ROOT, "dist", "circusd"), "/nonexistent/circus.ini"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/circus.ini");
  });
});
