// Errors that wrap another keep it as `cause`, so a log or a debugger shows the failure underneath
// the one-line message (the message itself stays the user's).

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { HookError, parseHook } from "../../src/config/options/hook.ts";
import { amount, regex, resourceLimit } from "../../src/config/options/kinds.ts";
import { plainContext } from "../../src/config/options/spec.ts";
import { CtlValueError, ctlSetValue } from "../../src/config/options/watcher-wire.ts";
import { parseSignal, ScalarError } from "../../src/config/scalars.ts";
import { ConfigError } from "../../src/config/types.ts";
import { UnknownSignalError } from "../../src/os/signals.ts";
import { tree } from "./fixture.ts";

function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("wrapped errors carry their cause", () => {
  test("a hook's ignore-errors flag: HookError over the ScalarError", () => {
    const err = thrown(() => parseHook(["cmd:true", "maybe"], "/"));
    expect(err).toBeInstanceOf(HookError);
    expect(err.cause).toBeInstanceOf(ScalarError);
  });

  test("kinds that reword a ScalarError keep it: resource limit, regex, amount", () => {
    const ctx = plainContext();
    for (const work of [
      () => resourceLimit.fromText("lots", ctx),
      () => regex.fromText("(", ctx),
      () => amount.fromText("huge", ctx),
    ]) {
      const err = thrown(work);
      expect(err).toBeInstanceOf(ScalarError);
      expect(err.cause).toBeInstanceOf(Error);
    }
  });

  test("a signal name: ScalarError over UnknownSignalError", () => {
    const err = thrown(() => parseSignal("SIGNOPE"));
    expect(err).toBeInstanceOf(ScalarError);
    expect(err.cause).toBeInstanceOf(UnknownSignalError);
  });

  test("circus ctl set: CtlValueError over the kind's error", () => {
    const err = thrown(() => ctlSetValue("numprocesses", "many"));
    expect(err).toBeInstanceOf(CtlValueError);
    expect(err.cause).toBeInstanceOf(ScalarError);
  });

  test("an unreadable config file: ConfigError over the read error", async () => {
    const missing = join(tree({}), "absent.ini");
    const err = await loadConfig(missing, { environ: {} }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain("cannot read the config file");
    expect(err?.cause).toBeInstanceOf(Error);
  });
});

describe("plugin modules", () => {
  test("a module that throws while loading: PluginLoadError over the module's error", async () => {
    const { loadPluginClass, PluginLoadError, resolveUse } = await import("../../src/plugins/registry.ts");
    const dir = tree({ "broken.ts": 'throw new RangeError("broken at import");\n' });
    const err = await loadPluginClass(resolveUse("./broken.ts:Broken", dir)).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(PluginLoadError);
    expect(err?.message).toContain("broken at import");
    expect(err?.cause).toBeInstanceOf(RangeError);
  });
});
