// Completion: the printed scripts, circusctl's AUTO_COMPLETE protocol, and the bash script driving a
// `circusctl` on PATH end to end (watcher names come from a live `list`).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, CTL_ENTRY, runCtlProcess, startFakeCircusd, stopAll, type FakeCircusd } from "./fake-circusd.ts";

let fake: FakeCircusd;
let bin: string;
beforeAll(async () => {
  fake = await startFakeCircusd();
  bin = mkdtempSync(join(tmpdir(), "ctl-bin-"));
  writeFileSync(join(bin, "circusctl"), `#!/bin/sh\nexec "${BUN}" "${CTL_ENTRY}" "$@"\n`);
  chmodSync(join(bin, "circusctl"), 0o755);
  // Stands in for the `circus` binary: only its `ctl` subcommand matters here.
  writeFileSync(join(bin, "circus"), `#!/bin/sh\n[ "$1" = ctl ] || exit 9\nshift\nexec "${BUN}" "${CTL_ENTRY}" "$@"\n`);
  chmodSync(join(bin, "circus"), 0o755);
});
afterAll(() => {
  stopAll();
  rmSync(bin, { recursive: true, force: true });
});

test("completion bash prints a script that bash accepts and that registers circusctl and circus", async () => {
  const r = await runCtlProcess(["completion", "bash"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("complete -F _circusctl_complete circusctl");
  expect(r.stdout).toContain("complete -F _circus_complete circus");
  const check = Bun.spawnSync(["bash", "-n"], { stdin: new TextEncoder().encode(r.stdout) });
  expect(check.exitCode).toBe(0);
});

test("completion zsh prints a compdef script", async () => {
  const r = await runCtlProcess(["completion", "zsh"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toStartWith("#compdef circusctl circus");
  expect(r.stdout).toContain("compdef _circusctl_complete circusctl");
});

test("completion without a known shell exits 2 and says which shells exist", async () => {
  const r = await runCtlProcess(["completion", "fish"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("circusctl completion bash");
});

test("AUTO_COMPLETE prints the command names matching the word and exits 1, like circusctl", async () => {
  const r = await runCtlProcess([], { AUTO_COMPLETE: "1", COMP_WORDS: "circusctl re", COMP_CWORD: "1" });
  expect(r).toMatchObject({ code: 1, stdout: "reload reloadconfig reopen restart\n" });
});

test("AUTO_COMPLETE completes watcher names for a command's <name> by asking the daemon", async () => {
  const r = await runCtlProcess([], {
    AUTO_COMPLETE: "1",
    COMP_WORDS: `circusctl --endpoint ${fake.endpoint} incr w`,
    COMP_CWORD: "4",
  });
  expect(r).toMatchObject({ code: 1, stdout: "web worker\n" });
});

test("AUTO_COMPLETE completes a command's options after --", async () => {
  const r = await runCtlProcess([], { AUTO_COMPLETE: "1", COMP_WORDS: "circusctl reload web --", COMP_CWORD: "3" });
  expect(r.stdout.trim().split(" ")).toEqual(["--terminate", "--sequential", "--waiting", "--help"]);
});

test("AUTO_COMPLETE completes option keys from the watcher table for set and get", async () => {
  const set = await runCtlProcess([], { AUTO_COMPLETE: "1", COMP_WORDS: "circusctl set web max", COMP_CWORD: "3" });
  expect(set.stdout.trim().split(" ")).toEqual(["max_retry", "max_age", "max_age_variance"]);
  const hook = await runCtlProcess([], {
    AUTO_COMPLETE: "1",
    COMP_WORDS: "circusctl set web numprocesses 2 hooks.after_s",
    COMP_CWORD: "5",
  });
  expect(hook.stdout.trim().split(" ")).toEqual([
    "hooks.after_start",
    "hooks.after_stop",
    "hooks.after_spawn",
    "hooks.after_signal",
  ]);
  // A value position offers nothing; `get` offers the options `options` lists.
  const value = await runCtlProcess([], {
    AUTO_COMPLETE: "1",
    COMP_WORDS: "circusctl set web shell t",
    COMP_CWORD: "4",
  });
  expect(value.stdout.trim()).toBe("");
  const get = await runCtlProcess([], { AUTO_COMPLETE: "1", COMP_WORDS: "circusctl get web stop_", COMP_CWORD: "3" });
  expect(get.stdout.trim().split(" ")).toEqual(["stop_signal", "stop_children"]);
});

test("the bash script completes commands and watcher names through a circusctl on PATH", async () => {
  const script = (await runCtlProcess(["completion", "bash"])).stdout;
  const driver = `${script}
COMP_WORDS=(circusctl st); COMP_CWORD=1; _circusctl_complete; echo "1:\${COMPREPLY[*]}"
COMP_WORDS=(circusctl list ""); COMP_CWORD=2; _circusctl_complete; echo "2:\${COMPREPLY[*]}"
COMP_WORDS=(circus ctl status w); COMP_CWORD=3; _circus_complete; echo "3:\${COMPREPLY[*]}"
`;
  const r = Bun.spawnSync(["bash", "-c", driver], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CIRCUSCTL_ENDPOINT: fake.endpoint },
  });
  const lines = r.stdout.toString().trim().split("\n");
  expect(lines[0]).toBe("1:start stats status stop");
  expect(lines[1]).toBe("2:circusd-stats web worker");
  expect(lines[2]).toBe("3:web worker");
});
