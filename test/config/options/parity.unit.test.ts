// Table-driven: every option of the watcher, [circus] and socket tables reads the same value from an
// ini file, a TOML file, the wire (`set`/`add` JSON) and a `circus ctl set` word, and a value out of
// range is refused by each of them.

import { describe, expect, test } from "bun:test";
import { CIRCUS_OPTIONS } from "../../../src/config/options/circus.ts";
import { userOrGroup } from "../../../src/config/options/kinds.ts";
import { SOCKET_OPTIONS } from "../../../src/config/options/socket.ts";
import { OptionError, plainContext, type WireValue } from "../../../src/config/options/spec.ts";
import { newWatcherConfig, WATCHER_FIELDS } from "../../../src/config/options/watcher.ts";
import {
  applyWatcherOption,
  CtlValueError,
  checkWatcherOption,
  ctlSetValue,
} from "../../../src/config/options/watcher-wire.ts";
import type { CircusConfig } from "../../../src/config/types.ts";
import { loadText, problemsOf } from "../fixture.ts";

/** Texts for each kind (by its name), with the same value written natively in TOML. */
const SAMPLES: Record<string, { ini: string; toml: string }[]> = {
  "command line": [{ ini: "sleep 1", toml: '"sleep 1"' }],
  arguments: [{ ini: "--port 80", toml: '"--port 80"' }],
  bool: [
    { ini: "yes", toml: "true" },
    { ini: "Off", toml: "false" },
  ],
  text: [{ ini: "/srv/app", toml: '"/srv/app"' }],
  "name or id": [{ ini: "nobody", toml: '"nobody"' }],
  number: [{ ini: "3", toml: "3" }],
  int: [
    { ini: "4", toml: "4" },
    { ini: "0", toml: "0" },
  ],
  signal: [
    { ini: "INT", toml: '"INT"' },
    { ini: "9", toml: "9" },
  ],
  float: [
    { ini: "2.5", toml: "2.5" },
    { ini: "7", toml: "7" },
  ],
  octal: [{ ini: "027", toml: '"027"' }],
  words: [{ ini: "a.ini b.ini", toml: '["a.ini", "b.ini"]' }],
  names: [{ ini: "db, cache", toml: '["db", "cache"]' }],
  "host:port": [{ ini: "127.0.0.1:9090", toml: '"127.0.0.1:9090"' }],
  protocol: [
    { ini: "udp", toml: '"udp"' },
    { ini: "17", toml: "17" },
  ],
  "AF_INET | AF_INET6 | AF_UNIX": [{ ini: "af_inet6", toml: '"AF_INET6"' }],
  "SOCK_STREAM | SOCK_DGRAM | SOCK_RAW | SOCK_RDM | SOCK_SEQPACKET": [{ ini: "sock_dgram", toml: '"SOCK_DGRAM"' }],
};

function samplesOf(kindName: string) {
  const samples = SAMPLES[kindName];
  if (!samples) throw new Error(`no samples for kind ${kindName}: add some to SAMPLES`);
  return samples;
}

async function watcherValue(key: string, ini: string, toml: string) {
  const base = key === "cmd" ? "" : "cmd = run\n";
  // depends_on names watchers that must exist.
  const others = key === "depends_on" ? ["db", "cache"] : [];
  const iniOthers = others.map((n) => `[watcher:${n}]\ncmd = run\n`).join("");
  const tomlOthers = others.map((n) => `[watcher.${n}]\ncmd = "run"\n`).join("");
  const w = (c: CircusConfig) => c.watchers.find((x) => x.name === "w")!;
  const fromIni = w(await loadText(`[watcher:w]\n${base}${key} = ${ini}\n${iniOthers}`));
  const tomlBase = key === "cmd" ? "" : 'cmd = "run"\n';
  const fromToml = w(
    await loadText(`[watcher.w]\n${tomlBase}${key} = ${toml}\n${tomlOthers}`, { name: "circus.toml" }),
  );
  return {
    ini: (fromIni as unknown as Record<string, unknown>)[key],
    toml: (fromToml as unknown as Record<string, unknown>)[key],
  };
}

describe("watcher options", () => {
  for (const [key, spec] of Object.entries(WATCHER_FIELDS)) {
    for (const sample of samplesOf(spec.kind.name)) {
      test(`${key} = ${sample.ini}: ini, TOML, wire and ctl agree`, async () => {
        const { ini, toml } = await watcherValue(key, sample.ini, sample.toml);
        expect(toml).toEqual(ini);
        expect(ini).toEqual((spec.fileKind ?? spec.kind).fromText(sample.ini, plainContext()));
        if (spec.set === "no") {
          // Not changeable at run time: set and add refuse it as Circus does, and so does ctl.
          expect(() => checkWatcherOption(key, ini as WireValue, "add")).toThrow(`unknown key '${key}'`);
          expect(() => ctlSetValue(key, sample.ini)).toThrow(CtlValueError);
          return;
        }
        // The wire check is idempotent on the value a file gives.
        expect(checkWatcherOption(key, ini as WireValue, "set")).toEqual(ini as WireValue);
        // A ctl word goes through the daemon's check and apply to the same value.
        const word = ctlSetValue(key, sample.ini);
        const checked = checkWatcherOption(key, word, "add");
        const cfg = newWatcherConfig({ name: "w", cmd: "run" });
        applyWatcherOption(cfg, key, checked, "add", "/");
        const applied = (cfg as unknown as Record<string, unknown>)[key];
        if (spec.kind === userOrGroup) {
          // circusctl sends the word as text; the daemon reads it by the same rule when it spawns.
          expect(userOrGroup.fromText(String(applied), plainContext())).toEqual(ini as string);
        } else expect(applied).toEqual(ini);
      });
    }
  }

  const OUT_OF_RANGE: [string, number][] = [
    ["numprocesses", -1],
    ["warmup_delay", -1],
    ["graceful_timeout", -1],
    ["max_retry", -2],
    ["max_age", -5],
    ["max_age_variance", -1],
  ];
  for (const [key, value] of OUT_OF_RANGE) {
    test(`${key} = ${value} is refused by the file, the wire and (through the daemon) ctl`, async () => {
      const [problem] = await problemsOf(`[watcher:w]\ncmd = run\n${key} = ${value}\n`);
      expect(problem).toContain(`watcher:w.${key}: ${value} is`);
      expect(() => checkWatcherOption(key, value, "set")).toThrow(`'${key}' must be >= `);
      expect(() => checkWatcherOption(key, ctlSetValue(key, String(value)), "set")).toThrow(OptionError);
    });
  }
});

describe("[circus] and [socket:*] options", () => {
  for (const [key, spec] of Object.entries(CIRCUS_OPTIONS)) {
    if (key === "include" || key === "include_dir") continue; // read before the merge; tested in includes
    for (const sample of samplesOf(spec.kind.name)) {
      test(`[circus] ${key} = ${sample.ini}: ini and TOML agree`, async () => {
        const W = "[watcher:w]\ncmd = run\n";
        const ini = (await loadText(`[circus]\n${key} = ${sample.ini}\n${W}`)).circus;
        const toml = (
          await loadText(`[circus]\n${key} = ${sample.toml}\n[watcher.w]\ncmd = "run"\n`, { name: "circus.toml" })
        ).circus;
        expect(toml).toEqual(ini);
        expect((ini as unknown as Record<string, unknown>)[key]).toEqual(
          spec.kind.fromText(sample.ini, plainContext()),
        );
      });
    }
  }

  for (const [key, spec] of Object.entries(SOCKET_OPTIONS)) {
    for (const sample of samplesOf(spec.kind.name)) {
      test(`[socket] ${key} = ${sample.ini}: ini and TOML agree`, async () => {
        const ini = (await loadText(`[socket:s]\n${key} = ${sample.ini}\n[watcher:w]\ncmd = run\n`)).sockets[0]!;
        const toml = (
          await loadText(`[socket.s]\n${key} = ${sample.toml}\n[watcher.w]\ncmd = "run"\n`, { name: "circus.toml" })
        ).sockets[0]!;
        expect({ ...toml, raw: null, source: null }).toEqual({ ...ini, raw: null, source: null });
        expect((ini as unknown as Record<string, unknown>)[key]).toEqual(
          spec.kind.fromText(sample.ini, plainContext()),
        );
      });
    }
  }
});
