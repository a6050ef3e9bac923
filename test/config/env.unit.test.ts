import { describe, expect, test } from "bun:test";
import { loadText } from "./fixture.ts";

const env = (c: { watchers: { name: string; env: Record<string, string> }[] }, name: string) =>
  c.watchers.find((w) => w.name === name)!.env;

describe("child environments", () => {
  test("[env] applies to every watcher and is exposed as globalEnv", async () => {
    const c = await loadText("[env]\nA = 1\n[watcher:x]\ncmd = c\n[watcher:y]\ncmd = c\n");
    expect(env(c, "x")).toEqual({ A: "1" });
    expect(env(c, "y")).toEqual({ A: "1" });
    expect(c.globalEnv).toEqual({ A: "1" });
  });

  test("the seed example: later [env:…] sections win and $UPPER comes from the daemon environment", async () => {
    const c = await loadText(
      "[watcher:worker1]\ncmd = c\n[watcher:worker2]\ncmd = c\n[env:worker1,worker2]\nPATH = /bin\n[env:worker1]\nPATH = $PATH\n[env:worker2]\nCAKE = lie\n",
      { environ: { PATH: "/usr/bin:/bin" } },
    );
    expect(env(c, "worker1")).toEqual({ PATH: "/usr/bin:/bin" });
    expect(env(c, "worker2")).toEqual({ PATH: "/bin", CAKE: "lie" });
  });

  test("patterns are case-sensitive shell globs", async () => {
    const c = await loadText(
      "[watcher:web1]\ncmd = c\n[watcher:Web2]\ncmd = c\n[env:web*]\nX = 1\n[env:?eb?]\nY = 2\n",
    );
    expect(env(c, "web1")).toEqual({ X: "1", Y: "2" });
    expect(env(c, "Web2")).toEqual({ Y: "2" });
  });

  test("$lower names and unset $UPPER names expand like Circus: kept and emptied", async () => {
    const c = await loadText("[env]\nA = $home:$NOPE:$HOME\n[watcher:x]\ncmd = c\n", { environ: { HOME: "/h" } });
    expect(env(c, "x")).toEqual({ A: "$home::/h" });
  });

  test("copy_env starts from the daemon environment and config values win", async () => {
    const c = await loadText("[env]\nA = mine\n[watcher:x]\ncmd = c\ncopy_env = true\n", {
      environ: { A: "daemon", B: "b" },
    });
    expect(env(c, "x")).toEqual({ A: "mine", B: "b" });
  });

  test("without copy_env and env sections the child environment is empty", async () => {
    expect(env(await loadText("[watcher:x]\ncmd = c\n", { environ: { A: "1" } }), "x")).toEqual({});
  });

  test("$(circus.env.X) is substituted in [env] but not in [env:…]", async () => {
    const c = await loadText("[env]\nA = $(circus.env.HOME)\n[env:x]\nB = $(circus.env.HOME)\n[watcher:x]\ncmd = c\n", {
      environ: { HOME: "/h" },
    });
    expect(env(c, "x")).toEqual({ A: "/h", B: "$(circus.env.HOME)" });
  });

  test("in watcher options $(circus.env.X) prefers [env:…] over [env] over the daemon", async () => {
    const c = await loadText(
      "[env]\nA = global\nB = global\n[env:x]\nA = local\n[watcher:x]\ncmd = run $(circus.env.A) $(circus.env.B) $(circus.env.C)\n",
      { environ: { A: "daemon", B: "daemon", C: "daemon" } },
    );
    expect(c.watchers[0]?.cmd).toBe("run local global daemon");
  });

  test("no __name__ variable leaks into child environments (a Circus quirk we fix)", async () => {
    const c = await loadText("[env]\nA = 1\n[env:x]\nB = 2\n[watcher:x]\ncmd = c\n");
    expect(Object.keys(env(c, "x"))).toEqual(["A", "B"]);
  });

  test("env sections keep key case", async () => {
    expect(env(await loadText("[env]\nMixed_Case = 1\n[watcher:x]\ncmd = c\n"), "x")).toEqual({ Mixed_Case: "1" });
  });

  test("[env:…] patterns are Python fnmatch globs: [^a] is a set of ^ and a, [!a] its negation, []] a bracket", async () => {
    const c = await loadText(
      "[watcher:app]\ncmd = c\n[watcher:bpp]\ncmd = c\n[watcher:w]]\ncmd = c\n" +
        "[env:[^a]pp]\nCARET = 1\n[env:[!a]pp]\nNOT_A = 1\n[env:w[]]]\nBRACKET = 1\n",
    );
    expect(env(c, "app")).toEqual({ CARET: "1" });
    expect(env(c, "bpp")).toEqual({ NOT_A: "1" });
    expect(env(c, "w]")).toEqual({ BRACKET: "1" });
  });
});
