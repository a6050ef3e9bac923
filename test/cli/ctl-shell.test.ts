// The interactive shell in a real pty (tmux): banner and status, help, commands, TAB completion of
// commands and watcher names, history, Ctrl-D.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { BUN, CTL_ENTRY, startFakeCircusd, stopAll } from "./fake-circusd.ts";

const SOCKET = `circus-ctl-test-${process.pid}`; // a private tmux server, never the user's
const SESSION = "ctl";
const dirs: string[] = [];

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", "-L", SOCKET, ...args]);
  return r.stdout.toString();
}

afterEach(() => {
  tmux("kill-server");
  stopAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", SESSION);

async function waitScreen(pred: (s: string) => boolean, what: string, timeoutMs = 8000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let s = "";
  while (Date.now() < deadline) {
    s = screen();
    if (pred(s)) return s;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
}

const count = (s: string, needle: string) => s.split(needle).length - 1;

test("the shell shows version and status, runs help and commands, completes with TAB, keeps history and exits 0 on Ctrl-D", async () => {
  const fake = await startFakeCircusd();
  const home = mkdtempSync(join(tmpdir(), "ctl-shell-"));
  dirs.push(home);
  const history = join(home, "history");
  const cmd = `CIRCUSCTL_HISTORY=${history} ${BUN} ${CTL_ENTRY} --endpoint ${fake.endpoint}; echo EXIT=$?; sleep 60`;
  tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "30", cmd);

  let s = await waitScreen((x) => x.includes("(circusctl) "), "the prompt");
  expect(s).toContain(
    `circusctl 0.19.0 (circus ${VERSION}, TypeScript)\ncircusd-stats: active\nweb: active\nworker: stopped\n(circusctl) `,
  );

  tmux("send-keys", "-t", SESSION, "help", "Enter");
  s = await waitScreen((x) => count(x, "(circusctl) ") >= 2, "help output");
  expect(s).toMatch(/\n {2}incr +Increment the number of processes in a watcher\n/);

  tmux("send-keys", "-t", SESSION, "help incr", "Enter");
  s = await waitScreen((x) => count(x, "(circusctl) ") >= 3, "help incr output");
  expect(s).toContain("usage: circusctl incr <name> [<nb>] [--waiting]");

  tmux("send-keys", "-t", SESSION, "list", "Enter");
  s = await waitScreen((x) => x.includes("circusd-stats,web,worker\n(circusctl) "), "list output");

  tmux("send-keys", "-t", SESSION, "lists", "Tab");
  await waitScreen((x) => x.includes("(circusctl) listsockets "), "command completion");
  tmux("send-keys", "-t", SESSION, "Enter");
  await waitScreen((x) => x.includes("6:socket 'local' at /tmp/local.sock\n(circusctl) "), "listsockets output");

  tmux("send-keys", "-t", SESSION, 'status "web', "Enter");
  await waitScreen((x) => x.includes('status "web\n*** No closing quotation\n(circusctl) '), "a line shlex refuses");

  tmux("send-keys", "-t", SESSION, "status wo", "Tab");
  await waitScreen((x) => x.includes("(circusctl) status worker "), "watcher name completion");
  tmux("send-keys", "-t", SESSION, "Enter");
  await waitScreen((x) => x.includes("status worker \nstopped\n(circusctl) "), "status worker output");

  tmux("send-keys", "-t", SESSION, "list nope", "Enter");
  await waitScreen(
    (x) => x.includes("error: program nope not found\n(circusctl) "),
    "an error reply that does not end the shell",
  );

  tmux("send-keys", "-t", SESSION, "Up", "Up");
  await waitScreen((x) => x.trimEnd().endsWith("(circusctl) status worker"), "history recall with Up");
  tmux("send-keys", "-t", SESSION, "C-u", "C-d");
  s = await waitScreen((x) => x.includes("EXIT="), "exit");
  expect(s).toContain("EXIT=0");
  expect(readFileSync(history, "utf8")).toBe(
    'help\nhelp incr\nlist\nlistsockets\nstatus "web\nstatus worker\nlist nope\n',
  );
});
