// `circus ctl` in scripts: commands piped on stdin, exit statuses, output that cannot be written, and a
// daemon that is not there — each against a real daemon (or none) and the real binary.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { circusCommand, freePort, startDaemon, type RunningDaemon } from "../helpers/daemon.ts";

let daemon: RunningDaemon;

beforeAll(async () => {
  daemon = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:web]
cmd = sleep 300
graceful_timeout = 1

[watcher:ticker]
cmd = sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'
graceful_timeout = 1
`);
});

afterAll(async () => {
  await daemon.stop();
});

async function sh(script: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn(["bash", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, CTL: circusCommand().join(" ") + " ctl", E: daemon.endpoint, ...env },
  });
  const started = performance.now();
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code, ms: performance.now() - started };
}

describe("commands on stdin", () => {
  test("a heredoc runs every line, with no banner or prompt, and exits with the worst status", async () => {
    const r = await sh(`$CTL --endpoint $E <<'END'
status web
# a comment line is skipped
numwatchers
list nope
numwatchers
END`);
    expect(r.stdout).toBe("active\n2\n2\n");
    expect(r.stderr).toBe("error: program nope not found\n");
    expect(r.code).toBe(3);
  });

  test("printf into circusctl runs both commands and exits 0", async () => {
    const r = await sh(`printf 'status\\nnumwatchers\\n' | $CTL --endpoint $E`);
    expect(r).toMatchObject({ stdout: "ticker: active\nweb: active\n2\n", stderr: "", code: 0 });
  });

  test("a usage mistake in a script is status 2 and the following lines still run", async () => {
    const r = await sh(`printf 'incr\\nnumwatchers\\n' | $CTL --endpoint $E`);
    expect(r.stdout).toBe("2\n");
    expect(r.stderr).toContain("missing argument <name>");
    expect(r.code).toBe(2);
  });
});

describe("output that cannot be written", () => {
  test("stdout on a full disk (/dev/full) is exit 1 with one line saying so", async () => {
    const r = await sh(`$CTL --endpoint $E status > /dev/full`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("circusctl: cannot write to stdout: ENOSPC\n");
  });

  test("logs -f into head ends quietly once head has what it wants", async () => {
    const r = await sh(`$CTL --endpoint $E logs ticker -f | head -n 2; echo "ctl=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toMatch(/^\[\d+\] tick \d+\n\[\d+\] tick \d+\nctl=0\n$/);
    expect(r.stderr).toBe("");
  });
});

describe("patterns that cannot match", () => {
  test("[z-a] as a glob or a regex is one line and exit 3, never a stack trace", async () => {
    const glob = await sh(`$CTL --endpoint $E start --match glob '[z-a]'`);
    expect(glob).toMatchObject({ code: 3, stdout: "", stderr: "error: program [z-a] not found\n" });
    const regex = await sh(`$CTL --endpoint $E start --match regex '[z-a]'`);
    expect(regex.code).toBe(3);
    expect(regex.stderr).toMatch(/^error: invalid regex "\[z-a\]": [^\n]*\n$/);
  });
});

describe("listen finds the daemon's events", () => {
  test("through $CIRCUSCTL_ENDPOINT it asks the daemon for its pubsub endpoint (not the default 5556)", async () => {
    const proc = Bun.spawn([...circusCommand(), "ctl", "listen", "watcher.web."], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CIRCUSCTL_ENDPOINT: daemon.endpoint },
    });
    try {
      const reader = proc.stdout.getReader();
      let text = "";
      const decoder = new TextDecoder();
      // Events published before the subscription is up are lost (pub/sub): keep poking until one arrives.
      const poke = setInterval(() => void daemon.call("set", { name: "web", options: { graceful_timeout: 1 } }), 100);
      try {
        while (!text.includes("\n")) {
          const r = await reader.read();
          if (r.done) break;
          text += decoder.decode(r.value, { stream: true });
        }
      } finally {
        clearInterval(poke);
      }
      expect(text).toMatch(/^watcher\.web\.\w+: \{/);
    } finally {
      proc.kill("SIGINT");
    }
    expect(await proc.exited).toBe(0);
  });
});

describe("a daemon that is not there", () => {
  test("listen with nothing at the control endpoint fails at once", async () => {
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const r = await sh(`$CTL listen`, { CIRCUSCTL_ENDPOINT: endpoint });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the daemon at ${endpoint}`);
  });

  // "At once" against a --timeout of 30 s: a process start on a loaded machine took past 2 s once, and
  // waiting for the reply that cannot come would take the whole 30.
  test("a refused tcp endpoint fails at once with one line naming it", async () => {
    const endpoint = `tcp://127.0.0.1:${freePort()}`;
    const r = await sh(`$CTL --timeout 30 --endpoint ${endpoint} status`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `circusctl: cannot reach the daemon at ${endpoint}: connection refused (is the daemon running? check the endpoint)\n`,
    );
    expect(r.ms).toBeLessThan(10_000);
  });

  test("a missing ipc socket file fails at once with one line naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ctl-ipc-"));
    try {
      const endpoint = `ipc://${dir}/circus.sock`;
      const r = await sh(`$CTL --timeout 30 status`, { CIRCUSCTL_ENDPOINT: endpoint });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `circusctl: cannot reach the daemon at ${endpoint}: the socket file does not exist (is the daemon running?)\n`,
      );
      expect(r.ms).toBeLessThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
