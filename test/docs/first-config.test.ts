// docs/first-config.md as written: its Node.js app and config run under a real daemon, serve on the
// daemon's socket, and a reload while requests flow fails none of them.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { circusCommand, descendantsOf, freePort, ROOT, waitFor } from "../helpers/daemon.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function block(doc: string, name: string): string {
  const m = new RegExp(`<!-- example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!m) throw new Error(`no example:${name} block`);
  return m[1]!;
}

test("slow: the app serves on the daemon's socket, and a reload fails no request", async () => {
  const doc = readFileSync(join(ROOT, "docs/first-config.md"), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "circus-first-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = freePort();
  writeFileSync(join(dir, "server.js"), block(doc, "first-config-app"));
  writeFileSync(
    join(dir, "circus.ini"),
    block(doc, "first-config-ini").replace("port = 8080", `port = ${port}`) +
      `\n[circus]\npubsub_endpoint = tcp://127.0.0.1:${freePort()}\nmulticast_endpoint =\n`,
  );
  const daemon = Bun.spawn([...circusCommand(), "daemon", "circus.ini"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  let output = "";
  void (async () => {
    for await (const chunk of daemon.stdout) output += new TextDecoder().decode(chunk);
  })();
  cleanups.push(() => {
    for (const pid of descendantsOf(daemon.pid)) process.kill(pid, "SIGKILL");
    daemon.kill("SIGKILL");
  });
  const ctl = (...args: string[]) =>
    Bun.spawnSync([...circusCommand(), "ctl", ...args], {
      cwd: dir,
      env: { ...process.env, CIRCUSCTL_ENDPOINT: "ipc://circus.sock" },
      stdout: "pipe",
      stderr: "pipe",
    });
  await waitFor(() => (output.match(/worker \d+ serving/g) ?? []).length === 2, 10000, "two workers serving");
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();
  expect(await get()).toMatch(/^hello from \d+\n$/);

  const before = new Set((ctl("list", "web").stdout.toString().trim().split(",") as string[]).map(Number));
  let failures = 0;
  let served = 0;
  let load = true;
  const traffic = (async () => {
    while (load) {
      try {
        if (/^hello from \d+\n$/.test(await get())) served++;
        else failures++;
      } catch {
        failures++;
      }
    }
  })();
  // Asynchronously: the requests keep flowing while the reload runs.
  const reload = Bun.spawn([...circusCommand(), "ctl", "reload", "web", "--waiting"], {
    cwd: dir,
    env: { ...process.env, CIRCUSCTL_ENDPOINT: "ipc://circus.sock" },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await reload.exited).toBe(0);
  const servedBefore = served;
  const after = (ctl("list", "web").stdout.toString().trim().split(",") as string[]).map(Number);
  load = false;
  await traffic;
  expect(after).toHaveLength(2);
  expect(after.some((pid) => before.has(pid))).toBe(false);
  expect({ failures, servedDuringReload: servedBefore > 0 }).toEqual({ failures: 0, servedDuringReload: true });
  expect(ctl("quit", "--waiting").exitCode).toBe(0);
  expect(await daemon.exited).toBe(0);
}, 30000);
