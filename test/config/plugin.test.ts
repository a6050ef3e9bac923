import { describe, expect, test } from "bun:test";
import { loadText, problemsOf } from "./fixture.ts";

const W = "[watcher:w]\ncmd = x\n";

describe("[plugin:NAME] sections", () => {
  test("a plugin is kept with its use and string options, and a warning that plugins come later", async () => {
    const c = await loadText(
      "[plugin:Flapper]\nuse = circus.plugins.flapping.Flapping\nmax_retry = 3\nwindow = $(circus.env.W)\n" + W,
      { environ: { W: "10" } },
    );
    expect(c.plugins).toEqual([
      {
        name: "plugin:Flapper",
        use: "circus.plugins.flapping.Flapping",
        options: { max_retry: "3", window: "10" },
        source: c.plugins[0]?.source ?? null,
      },
    ]);
    expect(c.warnings.map((w) => w.message)).toEqual([
      "plugin:Flapper: plugins are not run yet; this section is accepted and ignored for now",
    ]);
  });

  test("a plugin without use is a problem", async () => {
    expect(await problemsOf("[plugin:p]\nloop_rate = 5\n" + W)).toEqual([
      "circus.ini:1: plugin:p.use: use is required, expected the plugin to run, like use = circus.plugins.flapping.Flapping",
    ]);
  });

  test("a plugin priority must be an integer", async () => {
    const [p] = await problemsOf("[plugin:p]\nuse = x.Y\npriority = high\n" + W);
    expect(p).toStartWith("circus.ini:3: plugin:p.priority:");
  });
});
