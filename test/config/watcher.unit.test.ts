import { describe, expect, test } from "bun:test";
import { loadText, problemsOf, warningsOf } from "./fixture.ts";
import { hookFromWire } from "../../src/config/options/hook.ts";

async function watcher(body: string, environ: Record<string, string> = {}) {
  const c = await loadText(`[watcher:web]\ncmd = run\n${body}`, { environ });
  expect(c.watchers).toHaveLength(1);
  return c.watchers[0]!;
}

describe("[watcher:NAME] sections", () => {
  test("a minimal watcher gets Circus's defaults", async () => {
    const w = await watcher("");
    expect(w).toMatchObject({
      name: "web",
      cmd: "run",
      args: null,
      shell: false,
      shell_args: null,
      executable: null,
      working_dir: null,
      uid: null,
      gid: null,
      copy_env: false,
      warmup_delay: 0,
      autostart: true,
      numprocesses: 1,
      priority: 0,
      singleton: false,
      use_sockets: false,
      stdin_socket: null,
      close_child_stdin: true,
      close_child_stdout: false,
      close_child_stderr: false,
      send_hup: false,
      stop_signal: 15,
      stop_children: false,
      graceful_timeout: 30,
      max_retry: 5,
      max_age: 0,
      max_age_variance: 30,
      respawn: true,
      on_demand: false,
      depends_on: [],
      critical: false,
      stop_on_daemon_death: false,
      rlimits: {},
      ready: { http: null, tcp: null, cmd: null, log: null, notify: false, interval: 0.5, timeout: 30 },
      stdout_stream: null,
      stderr_stream: null,
      hooks: {},
      env: {},
    });
    expect(w.source?.line).toBe(1);
  });

  test("typed options are parsed: ints, floats, bools and signal names", async () => {
    const w = await watcher(
      "numprocesses = 4\ngraceful_timeout = 2.5\nrespawn = off\nstop_signal = sigquit\npriority = -1\nmax_retry = -1\n",
    );
    expect([w.numprocesses, w.graceful_timeout, w.respawn, w.stop_signal, w.priority, w.max_retry]).toEqual([
      4,
      2.5,
      false,
      3,
      -1,
      -1,
    ]);
  });

  test("uid and gid written as digits become numbers, names stay strings", async () => {
    const w = await watcher("uid = 1000\ngid = www-data\n");
    expect([w.uid, w.gid]).toEqual([1000, "www-data"]);
  });

  test("a uid or gid past 4294967294 is refused: it would wrap around to root's id", async () => {
    for (const key of ["uid", "gid"]) {
      const problems = await problemsOf(`[watcher:web]\ncmd = run\n${key} = 4294967296\n`);
      expect(problems.join("\n")).toContain("4294967296 is out of range: user and group ids go from 0 to 4294967294");
    }
    expect((await watcher("uid = 4294967294\n")).uid).toBe(4294967294);
  });

  test("watchers are sorted by name and keep the case they were written in", async () => {
    const c = await loadText("[watcher:b]\ncmd = x\n[watcher:A]\ncmd = x\n[watcher:a2]\ncmd = x\n");
    expect(c.watchers.map((w) => w.name)).toEqual(["A", "a2", "b"]);
  });

  test("__name__ is kept as a free option, as Circus clients see it in options", async () => {
    expect((await watcher("")).free).toEqual({ __name__: "watcher:web" });
  });

  test("unknown keys are kept as free options; near misses also warn with a suggestion", async () => {
    const c = await loadText("[watcher:web]\ncmd = run\nNumProcesses = 3\nmy_flag = on\nflapping.max_retry = 2\n");
    expect(c.watchers[0]?.free).toEqual({
      __name__: "watcher:web",
      NumProcesses: "3",
      my_flag: "on",
      "flapping.max_retry": "2",
    });
    expect(c.watchers[0]?.numprocesses).toBe(1);
    expect(c.warnings.map((w) => w.message)).toEqual([
      'watcher:web.NumProcesses: unknown option kept as a free option; did you mean "numprocesses"?',
    ]);
    expect(c.warnings[0]?.location?.line).toBe(3);
  });

  test("rlimit_<name> fills rlimits by lower-case name; empty means unlimited", async () => {
    const w = await watcher("rlimit_nofile = 4096\nrlimit_CORE =\nrlimit_nproc = unlimited\n");
    expect(w.rlimits).toEqual({ nofile: 4096, core: null, nproc: null });
  });

  test("stdout_stream.* and stderr_stream.* become stream configs", async () => {
    const w = await watcher(
      "stdout_stream.class = FileStream\nstdout_stream.filename = /tmp/o.log\nstdout_stream.max_bytes = 1024\nstderr_stream.class = StdoutStream\n",
    );
    expect(w.stdout_stream).toEqual({ class: "FileStream", filename: "/tmp/o.log", max_bytes: "1024" });
    expect(w.stderr_stream).toEqual({ class: "StdoutStream" });
  });

  test("hooks resolve module paths against the config file's directory", async () => {
    const c = await loadText(
      "[watcher:web]\ncmd = run\nhooks.before_start = ./h.ts:check, true\nhooks.after_stop = cmd:./notify.sh stopped\n",
    );
    const hooks = c.watchers[0]?.hooks;
    expect(hooks?.before_start).toEqual({
      target: {
        kind: "module",
        module: c.file.replace(/circus\.ini$/, "h.ts"),
        exportName: "check",
        raw: "./h.ts:check",
      },
      ignoreErrors: true,
    });
    expect(hooks?.after_stop?.target).toEqual({
      kind: "command",
      command: "./notify.sh stopped",
      raw: "cmd:./notify.sh stopped",
    });
  });

  test("$(circus.env.X) is substituted in options but runtime keys like wid and sockets stay", async () => {
    const w = await watcher(
      "args = --home $(circus.env.HOME) --wid $(circus.wid) --fd ((circus.sockets.web))\nworking_dir = $(circus.env.home)\nx = $(circus.env.HOME)\n",
      { HOME: "/h" },
    );
    expect(w.args).toBe("--home /h --wid $(circus.wid) --fd ((circus.sockets.web))");
    expect(w.working_dir).toBe("/h");
    expect(w.free.x).toBe("/h");
  });

  test("substitution happens before typing, so a number can come from the environment", async () => {
    expect((await watcher("numprocesses = $(circus.env.N)\n", { N: "6" })).numprocesses).toBe(6);
  });

  test("Python-only options are accepted with a warning; the legacy ones stay visible as free options", async () => {
    const c = await loadText(
      "[watcher:web]\ncmd = run\ncopy_env = true\nvirtualenv = /venv\ncopy_path = true\nuse_papa = true\ncheck_flapping = false\n",
    );
    const messages = c.warnings.map((w) => w.message);
    for (const key of ["virtualenv", "copy_path", "use_papa", "check_flapping"]) {
      expect(messages.some((m) => m.startsWith(`watcher:web.${key}: Python-only option`))).toBe(true);
    }
    expect(c.watchers[0]?.free).toEqual({ __name__: "watcher:web", use_papa: "true", check_flapping: "false" });
  });

  test("numprocesses = 0 and shell_args without shell are warnings", async () => {
    const warnings = await warningsOf("[watcher:web]\ncmd = run\nnumprocesses = 0\nshell_args = x\n");
    expect(warnings.length).toBe(2);
  });

  test("a bad bool is a problem", async () => {
    expect(await problemsOf("[watcher:web]\ncmd = run\nshell = perhaps\n")).toEqual([
      'circus.ini:3: watcher:web.shell: "perhaps" is not a boolean, expected true/false, yes/no, on/off or 1/0',
    ]);
  });

  test("a bad int is a problem whose message says what is expected", async () => {
    expect(await problemsOf("[watcher:web]\ncmd = run\nnumprocesses = three\n")).toEqual([
      'circus.ini:3: watcher:web.numprocesses: "three" is not an integer, expected a whole number like 3',
    ]);
  });

  test("a float warmup_delay is refused in the file, as in Circus", async () => {
    expect(await problemsOf("[watcher:web]\ncmd = run\nwarmup_delay = 0.5\n")).toEqual([
      'circus.ini:3: watcher:web.warmup_delay: "0.5" is not an integer, expected a whole number like 3',
    ]);
  });

  test("a bad float is a problem", async () => {
    expect(await problemsOf("[watcher:web]\ncmd = run\ngraceful_timeout = long\n")).toEqual([
      'circus.ini:3: watcher:web.graceful_timeout: "long" is not a number, expected a number like 2.5',
    ]);
  });

  test("a bad signal is a problem", async () => {
    expect(await problemsOf("[watcher:web]\ncmd = run\nstop_signal = SIGNOPE\n")).toEqual([
      'circus.ini:3: watcher:web.stop_signal: "SIGNOPE" is not a signal, expected a name like TERM or SIGTERM, or a number like 15',
    ]);
  });

  test("an unknown rlimit is a problem listing the known ones", async () => {
    const [p] = await problemsOf("[watcher:web]\ncmd = run\nrlimit_files = 10\n");
    expect(p).toStartWith(
      'circus.ini:3: watcher:web.rlimit_files: unknown resource limit "files", expected one of cpu, fsize, data',
    );
  });

  test("a Python hook loads the watcher with the hook kept as unavailable and a warning saying how to port it", async () => {
    const text = "[watcher:web]\ncmd = run\nhooks.before_start = mymodule.hooks.check\n";
    const [w] = (await loadText(text)).watchers;
    expect(w!.hooks.before_start!.target).toMatchObject({ kind: "python", raw: "mymodule.hooks.check" });
    const [warning] = await warningsOf(text);
    expect(warning).toStartWith(
      'watcher:web.hooks.before_start: "mymodule.hooks.check" is a Python import path, which cannot run here',
    );
    expect(warning).toContain('"./hooks.ts:check"');
    expect(warning).toContain('"cmd:./check.sh"');
    expect(warning).toContain("stays stopped");
  });

  test("over the wire a Python hook is refused, naming both forms", () => {
    expect(() => hookFromWire("before_start", "mymodule.hooks.check")).toThrow("Python import path");
  });

  test("an unknown hook name is a problem", async () => {
    const [p] = await problemsOf("[watcher:web]\ncmd = run\nhooks.before_launch = ./h.ts:f\n");
    expect(p).toStartWith(
      'circus.ini:3: watcher:web.hooks.before_launch: unknown hook "before_launch", expected one of before_start, after_start',
    );
  });

  test("singleton with more than one process is a problem", async () => {
    expect(await problemsOf("[watcher:web]\ncmd = run\nsingleton = true\nnumprocesses = 2\n")).toEqual([
      "circus.ini:4: watcher:web.numprocesses: 2 processes with singleton = true, expected 0 or 1 (or singleton = false)",
    ]);
  });

  test("a cmd, args or shell_args that cannot be split into words is a problem at load, not at spawn", async () => {
    expect(await problemsOf("[watcher:x]\ncmd = sh -c 'echo hi\nargs = a\\\n")).toEqual([
      `circus.ini:2: watcher:x.cmd: "sh -c 'echo hi" has an unbalanced quote, expected shell-like words (quote or escape the character)`,
      `circus.ini:3: watcher:x.args: "a\\\\" ends with a lone backslash, expected shell-like words (quote or escape the character)`,
    ]);
    expect(await problemsOf('[watcher:x]\ncmd = echo\nshell = true\nshell_args = "a\n')).toEqual([
      `circus.ini:4: watcher:x.shell_args: "\\"a" has an unbalanced quote, expected shell-like words (quote or escape the character)`,
    ]);
    // With shell = true the command line goes to sh -c as written: sh judges it, not the loader.
    expect((await loadText("[watcher:x]\ncmd = echo 'a\nshell = true\n")).watchers[0]!.cmd).toBe("echo 'a");
  });

  test("a watcher without cmd is a problem at its header", async () => {
    expect(await problemsOf("[watcher:web]\nnumprocesses = 2\n")).toEqual([
      "circus.ini:1: watcher:web.cmd: cmd is required, expected the program to run, like cmd = python -m myapp",
    ]);
  });

  test("two watchers whose names differ only in case clash", async () => {
    const [p] = await problemsOf("[watcher:web]\ncmd = x\n[watcher:Web]\ncmd = x\n");
    expect(p).toContain("names are case-insensitive");
  });

  test("an env key inside a watcher is ignored with a pointer to [env:NAME]", async () => {
    const c = await loadText("[watcher:web]\ncmd = run\nenv = A=1\n");
    expect(c.watchers[0]?.env).toEqual({});
    expect(c.warnings[0]?.message).toStartWith("watcher:web.env: env inside a watcher section is ignored");
  });

  test("warnings in TOML files carry the key's line", async () => {
    const c = await loadText('[watcher.web]\ncmd = "run"\nnumprocess = 2\n', { name: "circus.toml" });
    expect(c.warnings.map((w) => [w.location?.line, w.message])).toEqual([
      [3, 'watcher.web.numprocess: unknown option kept as a free option; did you mean "numprocesses"?'],
    ]);
    expect(c.watchers[0]?.free.numprocess).toBe("2");
  });
});
