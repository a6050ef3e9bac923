// README's "Deploying" recipes, tried for real: the systemd unit shown is what `--print-unit` prints for
// the config shown, and the logrotate recipe rotates the daemon's log and a stream file with the real
// logrotate while the daemon keeps writing to the fresh files.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { circusCommand, freePort, pyCall, ROOT, waitFor } from "../helpers/daemon.ts";

const started: number[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  dirs.push(dir);
  return dir;
}

/** The fenced block after `<!-- example:NAME -->` in README.md. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = new RegExp(`<!-- example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no example:${name} block`);
  return m[1]!;
}

describe("README's systemd unit", () => {
  test("is what circus daemon --print-unit prints for README's config", () => {
    const dir = tempDir("circus-unit-");
    const config = join(dir, "circus.ini");
    writeFileSync(config, readmeBlock("unit-config"));
    const r = Bun.spawnSync(
      [...circusCommand(), "daemon", "--print-unit", "--pidfile", "/run/circus/circus.pid", config],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(r.stderr.toString()).toBe("");
    const printed = r.stdout
      .toString()
      .replaceAll(circusCommand().join(" "), "/usr/local/bin/circus")
      .replaceAll(config, "/etc/circus/circus.ini")
      .replaceAll(dir, "/etc/circus")
      .replace(`(circus ${VERSION})`, `(circus ${/\(circus ([^)]+)\)/.exec(readmeBlock("unit"))![1]})`);
    expect(printed).toBe(readmeBlock("unit"));
  });
});

describe("logrotate with examples/deploy/logrotate.conf", () => {
  test("rotates the daemon's log and a stream file; after SIGUSR1 both are written afresh", async () => {
    if (!Bun.which("logrotate")) throw new Error("logrotate is required (scripts/setup.sh installs it)");
    const recipe = readFileSync(join(ROOT, "examples/deploy/logrotate.conf"), "utf8");
    expect(recipe).toContain(readmeBlock("logrotate"));
    const dir = tempDir("circus-logrotate-");
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const config = join(dir, "circus.ini");
    writeFileSync(
      config,
      `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
        `[watcher:ticker]\ncmd = sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'\n` +
        `graceful_timeout = 1\nstdout_stream.filename = ${dir}/ticker.log\n`,
    );
    const log = join(dir, "circusd.log");
    const pidfile = join(dir, "circus.pid");
    const daemon = Bun.spawn([...circusCommand(), "daemon", config, "--log-output", log, "--pidfile", pidfile], {
      stdout: "ignore",
      stderr: "ignore",
    });
    started.push(daemon.pid);
    await waitFor(async () => (await pyCall(endpoint, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
    await waitFor(() => readFileSync(join(dir, "ticker.log"), "utf8").includes("tick 3"), 5000, "ticks");

    const rules = recipe.replace("/var/log/circus/*.log", `${dir}/*.log`).replace("/run/circus/circus.pid", pidfile);
    writeFileSync(join(dir, "logrotate.conf"), rules);
    const rotate = Bun.spawnSync(["logrotate", "-f", "-s", join(dir, "state"), join(dir, "logrotate.conf")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(rotate.stderr.toString()).toBe("");
    expect(rotate.exitCode).toBe(0);
    expect(readFileSync(`${log}.1`, "utf8")).toContain("starting circus");
    expect(readFileSync(join(dir, "ticker.log.1"), "utf8")).toContain("tick 3");
    // The daemon reopened both at their paths: new lines land in the fresh files, none in the old ones.
    await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes("got SIGUSR1"), 5000, "the fresh log");
    await waitFor(
      () => existsSync(join(dir, "ticker.log")) && /^tick \d+$/m.test(readFileSync(join(dir, "ticker.log"), "utf8")),
      5000,
      "the fresh stream file",
    );
    const rotatedTicks = readFileSync(join(dir, "ticker.log.1"), "utf8").trimEnd().split("\n");
    const freshTicks = readFileSync(join(dir, "ticker.log"), "utf8").trimEnd().split("\n");
    const last = Number(rotatedTicks[rotatedTicks.length - 1]!.split(" ")[1]);
    expect(Number(freshTicks[0]!.split(" ")[1])).toBe(last + 1);
    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  }, 30000);
});
