// README's "Deploying" recipes, tried for real: the systemd unit (verified by systemd-analyze, its
// ExecStart/ExecReload/KillMode run by hand), and logrotate with copytruncate on the daemon's log.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, childrenOf, freePort, isAlive, pyCall, ROOT, waitFor } from "../helpers/daemon.ts";

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

function configIn(dir: string, endpoint: string): string {
  const path = join(dir, "circus.ini");
  writeFileSync(
    path,
    `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n\n` +
      `[watcher:app]\ncmd = sleep 300\nnumprocesses = 2\ngraceful_timeout = 2\n`,
  );
  return path;
}

/** `Key=value` lines of the [Service] section. */
function serviceEntries(unit: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of unit.split("\n")) {
    const m = /^(\w+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe("the systemd unit in examples/deploy/circus.service", () => {
  test("passes systemd-analyze verify and its commands start, reload and stop the daemon", async () => {
    expect(existsSync(BINARY)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "circus-systemd-"));
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const config = configIn(dir, endpoint);
    const unit = readFileSync(join(ROOT, "examples/deploy/circus.service"), "utf8")
      .replaceAll("/usr/local/bin/circus", BINARY)
      .replaceAll("/etc/circus/circus.ini", config)
      .replaceAll("/run/circus.pid", join(dir, "circus.pid"))
      // ExecReload must reach this test's daemon, not the default endpoint.
      .replace(`${BINARY} ctl reload`, `${BINARY} ctl --endpoint ${endpoint} reload`);
    const unitPath = join(dir, "circus.service");
    writeFileSync(unitPath, unit);

    if (Bun.which("systemd-analyze")) {
      const verify = Bun.spawnSync(["systemd-analyze", "verify", unitPath], { stdout: "pipe", stderr: "pipe" });
      expect(verify.stderr.toString()).toBe("");
      expect(verify.exitCode).toBe(0);
    }

    const service = serviceEntries(unit);
    expect(service.KillMode).toBe("mixed");
    const daemon = Bun.spawn(service.ExecStart!.split(" "), { stdout: "ignore", stderr: "ignore" });
    started.push(daemon.pid);
    const before = await waitFor(
      () => (childrenOf(daemon.pid).length === 2 ? childrenOf(daemon.pid) : null),
      10000,
      "2 workers",
    );
    expect(readFileSync(join(dir, "circus.pid"), "utf8").trim()).toBe(String(daemon.pid));

    const reload = Bun.spawnSync(service.ExecReload!.split(" "), { stdout: "pipe", stderr: "pipe" });
    expect(reload.exitCode).toBe(0);
    await waitFor(
      () => {
        const now = childrenOf(daemon.pid);
        return now.length === 2 && now.every((p) => !before.includes(p));
      },
      10000,
      "reloaded workers",
    );

    // KillMode=mixed: SIGTERM to the main process only; it must take its workers down and exit 0.
    const workers = childrenOf(daemon.pid);
    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    for (const pid of workers) expect(isAlive(pid)).toBe(false);
    expect(existsSync(join(dir, "circus.pid"))).toBe(false);
  }, 30000);
});

describe("logrotate with examples/deploy/logrotate.conf", () => {
  test("copytruncate rotates the daemon's log and the daemon keeps writing to the live file", async () => {
    if (!Bun.which("logrotate")) throw new Error("logrotate is required (scripts/setup.sh installs it)");
    const dir = mkdtempSync(join(tmpdir(), "circus-logrotate-"));
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const config = configIn(dir, endpoint);
    const log = join(dir, "circusd.log");
    const daemon = Bun.spawn([BINARY, "daemon", config, "--log-output", log], { stdout: "ignore", stderr: "ignore" });
    started.push(daemon.pid);
    await waitFor(async () => (await pyCall(endpoint, "status", {}, 300).catch(() => null))?.status === "ok", 10000);
    expect(readFileSync(log, "utf8")).toContain("starting circus");

    const rules = readFileSync(join(ROOT, "examples/deploy/logrotate.conf"), "utf8").replace(
      "/var/log/circus/*.log",
      log,
    );
    const rulesPath = join(dir, "logrotate.conf");
    writeFileSync(rulesPath, rules);
    const rotate = Bun.spawnSync(["logrotate", "-f", "-s", join(dir, "state"), rulesPath], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(rotate.stderr.toString()).toBe("");
    expect(rotate.exitCode).toBe(0);
    expect(readFileSync(`${log}.1`, "utf8")).toContain("starting circus");
    expect(readFileSync(log, "utf8")).toBe("");

    daemon.kill("SIGHUP"); // logs "got SIGHUP, reloading …"
    await waitFor(() => readFileSync(log, "utf8").includes("got SIGHUP"), 5000, "a new line in the live log");
    // O_APPEND: the new line starts at offset 0 of the truncated file, no hole of NUL bytes.
    expect(readFileSync(log, "utf8").startsWith("\0")).toBe(false);
    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  }, 30000);
});
