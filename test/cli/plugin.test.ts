// `circus plugin` (circus-plugin) by hand: usage, errors naming the fix, Circus's --config format,
// the daemon's CIRCUS_PLUGIN_OPTIONS, and a clean stop on SIGTERM.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { circusCommand, startDaemon, waitFor, type RunningDaemon } from "../helpers/daemon.ts";
import { fakeSshDir, removeFakeSshDirs } from "../helpers/fake-ssh.ts";
import { killAllPeers, spawnPeer } from "../helpers/peers.ts";
import { CIRCUS_SECTION, statsdListener, type StatsdListener } from "../plugins/helpers.ts";

let daemon: RunningDaemon | null = null;
let statsd: StatsdListener | null = null;

afterEach(async () => {
  await killAllPeers();
  removeFakeSshDirs();
  await daemon?.stop();
  daemon = null;
  statsd?.close();
  statsd = null;
});

function run(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([...circusCommand(), "plugin", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("circus plugin", () => {
  test("without a plugin prints usage listing the built-ins, exit 0", () => {
    const r = run([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("circus.plugins.flapping.Flapping  or  flapping");
    expect(r.stdout).toContain("--check-delay");
  });

  test("an unknown plugin is refused with the built-ins named, exit 2", () => {
    const r = run(["circus.plugins.flaping.Flapping"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith(
      'circus-plugin: unknown plugin "circus.plugins.flaping.Flapping" (did you mean "circus.plugins.flapping.Flapping"?)',
    );
  });

  test("a bad option value is refused, exit 2", () => {
    const r = run(["--endpoint", "tcp://127.0.0.1:1", "--config", "attempts:many", "flapping"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('bad options: attempts: "many" is not an integer, expected a whole number like 3');
  });

  test("--config key:value:::key2:value2 by hand (values trimmed, as Circus); stops on SIGTERM with status 0", async () => {
    statsd = await statsdListener();
    daemon = await startDaemon(CIRCUS_SECTION + "[watcher:w]\ncmd = sleep 3600\n");
    const plugin = spawnPeer(
      [
        ...circusCommand(),
        "plugin",
        "--endpoint",
        daemon.endpoint,
        "--pubsub",
        daemon.pubsub,
        "--config",
        `host:127.0.0.1:::port:${statsd.port}:::application_name: by hand `,
        "circus.plugins.statsd.StatsdEmitter",
      ],
      "circus plugin",
    );
    await waitFor(async () => {
      await daemon!.call("incr", { name: "w" });
      return statsd!.lines.find((l) => l.startsWith("circus.by hand.watcher.w.spawn:1|c"));
    }, 10_000);
    plugin.proc.kill("SIGTERM");
    expect(await plugin.proc.exited).toBe(0);
  });

  test("options from the daemon's CIRCUS_PLUGIN_OPTIONS keep spaces and colons whole", async () => {
    statsd = await statsdListener();
    daemon = await startDaemon(CIRCUS_SECTION + "[watcher:w]\ncmd = sleep 3600\n");
    const cmd = [...circusCommand(), "plugin", "--endpoint", daemon.endpoint, "--pubsub", daemon.pubsub, "statsd"];
    const proc = Bun.spawn(cmd, {
      stdout: "ignore",
      stderr: "ignore",
      env: {
        ...process.env,
        CIRCUS_PLUGIN_OPTIONS: JSON.stringify({
          host: "127.0.0.1",
          port: String(statsd.port),
          application_name: "a b:::c",
        }),
      },
    });
    try {
      await waitFor(async () => {
        await daemon!.call("incr", { name: "w" });
        return statsd!.lines.find((l) => l.startsWith("circus.a b:::c.watcher.w.spawn:1|c"));
      }, 10_000);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  });

  test("--ssh reaches the daemon's control and event endpoints through ssh tunnels", async () => {
    statsd = await statsdListener();
    daemon = await startDaemon(CIRCUS_SECTION + "[watcher:w]\ncmd = sleep 3600\n");
    const { dir, log } = fakeSshDir();
    const proc = Bun.spawn(
      [
        ...circusCommand(),
        "plugin",
        "--ssh",
        "deploy@remote:2222",
        "--endpoint",
        daemon.endpoint,
        "--pubsub",
        daemon.pubsub,
        "--config",
        `host:127.0.0.1:::port:${statsd.port}`,
        "statsd",
      ],
      {
        stdout: "ignore",
        stderr: "ignore",
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_SSH_LOG: log },
      },
    );
    try {
      await waitFor(async () => {
        await daemon!.call("incr", { name: "w" });
        return statsd!.lines.find((l) => l.startsWith("circus.app.watcher.w.spawn:1|c"));
      }, 15_000);
      const argv = readFileSync(log, "utf8").split("\n");
      expect(argv).toContain("deploy@remote");
      expect(argv.slice(argv.indexOf("-p"), argv.indexOf("-p") + 2)).toEqual(["-p", "2222"]);
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  });
});
