// Build the single `circus` binary with `bun build --compile` and the symlinks named after Circus's
// tools. `--all` also cross-builds linux x64/arm64, glibc and musl (Linux only: /proc and libc).
//
//   bun scripts/build.ts          → dist/circus (this host) + symlinks
//   bun scripts/build.ts --all    → also dist/circus-linux-{x64,arm64}[-musl]

import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const dist = join(root, "dist");
const entry = join(root, "src/main.ts");
const TOOL_LINKS = ["circusd", "circusctl", "circus-top", "circusd-stats", "circus-plugin", "circushttpd"];
const TARGETS = ["linux-x64", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"];

function compile(outfile: string, target?: string): void {
  // A daemon must not pick up a stray .env or bunfig.toml from whatever directory it starts in.
  const args = ["build", "--compile", "--minify", "--sourcemap=none", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", entry, "--outfile", outfile];
  if (target) args.push(`--target=bun-${target}`);
  const result = Bun.spawnSync([process.execPath, ...args], { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) {
    process.stderr.write(`build failed for ${target ?? "this host"} (exit ${result.exitCode})\n`);
    process.exit(1);
  }
}

mkdirSync(dist, { recursive: true });
compile(join(dist, "circus"));
for (const name of TOOL_LINKS) {
  const link = join(dist, name);
  rmSync(link, { force: true });
  symlinkSync("circus", link);
}
if (process.argv.includes("--all")) {
  for (const target of TARGETS) compile(join(dist, `circus-${target}`), target);
}
process.stdout.write(`built ${join(dist, "circus")} and links ${TOOL_LINKS.join(", ")}\n`);
