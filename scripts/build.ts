// Build the single `circus` binary with `bun build --compile` and the symlinks named after Circus's
// tools. `--all` also cross-builds linux x64/arm64, glibc and musl (Linux only: /proc and libc).
//
//   bun scripts/build.ts          → dist/circus (this host) + symlinks
//   bun scripts/build.ts --all    → also dist/circus-linux-{x64,arm64}[-musl]
//   … --outdir DIR                → into DIR instead of dist/
//   … --version-tag TAG           → VERSION becomes <package version>+TAG (two builds tell themselves apart)

import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const dist = join(root, "dist");
const entry = join(root, "src/main.ts");
const TOOL_LINKS = ["circusd", "circusctl", "circus-top", "circusd-stats", "circus-plugin", "circushttpd"];
const TARGETS = ["linux-x64", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"];

/** `bun build` flags of the shipped binary; scripts/bench/rss.ts compiles its fixtures with the same. */
// A daemon must not pick up a stray .env or bunfig.toml from whatever directory it starts in.
// --splitting: each lazily imported tool is its own chunk, so the node:* modules the CLI clients use
// (readline, net, fs) load only with them; in one bundle they are hoisted and cost the daemon ~3 MB RSS.
// Measured and left out: --compile-exec-argv=--smol (no change) and --bytecode (−0.4 MB, +3 MB binary).
export const COMPILE_FLAGS = [
  "--compile",
  "--minify",
  "--sourcemap=none",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--splitting",
];

/** Compile `entryFile` to `outfile`; returns false (after bun printed why) when the build fails. */
export function compile(entryFile: string, outfile: string, target?: string, cwd = root, versionTag?: string): boolean {
  const args = ["build", ...COMPILE_FLAGS, entryFile, "--outfile", outfile];
  if (versionTag) args.push("--define", `CIRCUS_BUILD_TAG=${JSON.stringify(versionTag)}`);
  if (target) args.push(`--target=bun-${target}`);
  const result = Bun.spawnSync([process.execPath, ...args], { cwd, stdout: "ignore", stderr: "inherit" });
  return result.exitCode === 0;
}

function build(outfile: string, target?: string): void {
  const tagAt = process.argv.indexOf("--version-tag");
  const versionTag = tagAt > 0 ? process.argv[tagAt + 1] : undefined;
  if (versionTag !== undefined && !/^[0-9A-Za-z.-]+$/.test(versionTag)) {
    process.stderr.write(
      `--version-tag: ${JSON.stringify(versionTag)} may hold only letters, digits, dots and dashes\n`,
    );
    process.exit(2);
  }
  if (!compile(entry, outfile, target, root, versionTag)) {
    process.stderr.write(`build failed for ${target ?? "this host"}\n`);
    process.exit(1);
  }
}

if (import.meta.main) {
  // --outdir DIR builds elsewhere than dist/ (the cross-build test does, so that the dist/circus other
  // tests run is never replaced under them).
  const at = process.argv.indexOf("--outdir");
  const out = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]!) : dist;
  mkdirSync(out, { recursive: true });
  build(join(out, "circus"));
  for (const name of TOOL_LINKS) {
    const link = join(out, name);
    rmSync(link, { force: true });
    symlinkSync("circus", link);
  }
  if (process.argv.includes("--all")) {
    for (const target of TARGETS) build(join(out, `circus-${target}`), target);
  }
  process.stdout.write(`built ${join(out, "circus")} and links ${TOOL_LINKS.join(", ")}\n`);
}
