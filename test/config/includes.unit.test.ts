import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { tree } from "./fixture.ts";

describe("includes", () => {
  test("include globs are resolved against the main file's directory and merged", async () => {
    const dir = tree({
      "etc/circus.ini": "[circus]\ninclude = conf.d/*.ini\n[watcher:main]\ncmd = m\n",
      "etc/conf.d/a.ini": "[watcher:a]\ncmd = a\n",
      "etc/conf.d/b.ini": "[watcher:b]\ncmd = b\n",
    });
    const c = await loadConfig(join(dir, "etc/circus.ini"), { environ: {} });
    expect(c.watchers.map((w) => w.name)).toEqual(["a", "b", "main"]);
  });

  test("include_dir reads every .ini file of the directories", async () => {
    const dir = tree({
      "circus.ini": "[circus]\ninclude_dir = d1 d2\n",
      "d1/x.ini": "[watcher:x]\ncmd = x\n",
      "d1/ignored.txt": "[watcher:no]\ncmd = no\n",
      "d2/y.ini": "[watcher:y]\ncmd = y\n",
    });
    const c = await loadConfig(join(dir, "circus.ini"), { environ: {} });
    expect(c.watchers.map((w) => w.name)).toEqual(["x", "y"]);
  });

  test("the main file overrides included files and earlier includes override later ones", async () => {
    const dir = tree({
      "circus.ini": "[circus]\ninclude = 1.ini 2.ini\n[watcher:w]\ncmd = main\n",
      "1.ini": "[watcher:w]\ncmd = one\nnumprocesses = 2\n",
      "2.ini": "[watcher:w]\nnumprocesses = 5\npriority = 3\n",
    });
    const w = (await loadConfig(join(dir, "circus.ini"), { environ: {} })).watchers[0];
    expect([w?.cmd, w?.numprocesses, w?.priority]).toEqual(["main", 2, 3]);
  });

  test("an ini file may include a TOML file", async () => {
    const dir = tree({
      "circus.ini": "[circus]\ninclude = extra.toml\n",
      "extra.toml": '[watcher.t]\ncmd = "t"\nnumprocesses = 2\n',
    });
    const c = await loadConfig(join(dir, "circus.ini"), { environ: {} });
    expect(c.watchers.map((w) => [w.name, w.numprocesses])).toEqual([["t", 2]]);
  });

  test("a pattern that matches nothing is a warning, not an error", async () => {
    const dir = tree({ "circus.ini": "[circus]\ninclude = nothing/*.ini\n[watcher:w]\ncmd = x\n" });
    const c = await loadConfig(join(dir, "circus.ini"), { environ: {} });
    expect(c.warnings.map((w) => w.message)).toEqual([
      'circus.include: "nothing/*.ini" matches no file; nothing included from it',
    ]);
  });

  test("an included file that cannot be read is skipped with a warning saying why", async () => {
    // /proc/self/mem exists but reading it at offset 0 fails (EIO), even for root.
    const dir = tree({ "circus.ini": "[circus]\ninclude = /proc/self/mem\n[watcher:w]\ncmd = x\n" });
    const c = await loadConfig(join(dir, "circus.ini"), { environ: {} });
    expect(c.watchers.map((w) => w.name)).toEqual(["w"]);
    expect(c.warnings.map((w) => w.message)).toEqual([
      "circus.include: /proc/self/mem cannot be read (read /proc/self/mem: input/output error (EIO)); skipped",
    ]);
  });

  test("a directory that cannot be searched is a warning with the reason, not 'matches no file'", async () => {
    const long = "d".repeat(300); // one path component longer than NAME_MAX
    const dir = tree({ "circus.ini": `[circus]\ninclude = ${long}/*.ini\n[watcher:w]\ncmd = x\n` });
    const c = await loadConfig(join(dir, "circus.ini"), { environ: {} });
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]!.message).toStartWith(`circus.include: "${long}/*.ini" cannot be searched (`);
    expect(c.warnings[0]!.message).toContain("ENAMETOOLONG");
  });

  test("problems in an included file name that file and line", async () => {
    const dir = tree({
      "circus.ini": "[circus]\ninclude = bad.ini\n",
      "bad.ini": "[watcher:w]\ncmd = x\nnumprocesses = many\n",
    });
    try {
      await loadConfig(join(dir, "circus.ini"), { environ: {} });
      throw new Error("expected failure");
    } catch (err) {
      expect(String((err as Error).message)).toEndWith(
        'bad.ini:3: watcher:w.numprocesses: "many" is not an integer, expected a whole number like 3',
      );
    }
  });

  test("included files' [env:…] sections apply after the main file's", async () => {
    const dir = tree({
      "circus.ini": "[circus]\ninclude = e.ini\n[watcher:w]\ncmd = x\n[env:w]\nA = main\n",
      "e.ini": "[env:*]\nA = included\nB = included\n",
    });
    expect((await loadConfig(join(dir, "circus.ini"), { environ: {} })).watchers[0]?.env).toEqual({
      A: "included",
      B: "included",
    });
  });

  test("a hook in an included file is resolved against that file's directory", async () => {
    const dir = tree({
      "circus.ini": "[circus]\ninclude = sub/w.ini\n",
      "sub/w.ini": "[watcher:w]\ncmd = x\nhooks.after_start = ./h.ts:done\n",
    });
    const hook = (await loadConfig(join(dir, "circus.ini"), { environ: {} })).watchers[0]?.hooks.after_start;
    expect(hook?.target).toMatchObject({ kind: "module", module: join(dir, "sub/h.ts") });
  });
});
