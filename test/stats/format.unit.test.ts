// Circus's text formats, the watcher aggregate and the statsd watcher's config.

import { describe, expect, test } from "bun:test";
import { statsWatcher, withInternalWatchers } from "../../src/arbiter/internal-watchers.ts";
import { circusDefaults } from "../../src/arbiter/defaults.ts";
import type { CircusConfig } from "../../src/config/types.ts";
import { stats } from "../../src/protocol/commands/stats.ts";
import { aggregate, bytes2human, commandName, formatCpuTime, type ProcessInfo } from "../../src/stats/index.ts";

describe("formats", () => {
  test("sizes print base 1024 with two decimals and a unit, bytes plain", () => {
    expect(bytes2human(512)).toBe("512B");
    expect(bytes2human(1024)).toBe("1.00K");
    expect(bytes2human(3.45 * 1024 * 1024)).toBe("3.45M");
    expect(bytes2human(6 * 1024 ** 3)).toBe("6.00G");
  });

  test("cpu time prints as Circus's ctime: minutes modulo 60, then the microseconds' first two digits", () => {
    // The values Python gives: timedelta(seconds=x) and str(microseconds)[:2].
    expect(formatCpuTime(0)).toBe("0:00.0");
    expect(formatCpuTime(0.18)).toBe("0:00.18");
    expect(formatCpuTime(0.05)).toBe("0:00.50");
    expect(formatCpuTime(0.07 + 0.01)).toBe("0:00.80");
    expect(formatCpuTime(61.5)).toBe("1:01.50");
    expect(formatCpuTime(3600 + 125.25)).toBe("2:05.25");
  });

  test("cmdline is the basename of argv[0]'s first word; comm when argv is empty", () => {
    expect(commandName(["/usr/bin/python3", "x.py"], "python3")).toBe("python3");
    expect(commandName(["/opt/app/bin/server --port 80"], "server")).toBe("server");
    expect(commandName([], "kworker/0:1")).toBe("kworker/0:1");
    expect(commandName(null, "x")).toBe("N/A");
  });
});

describe("aggregate", () => {
  const info = (pid: number, cpu: number | string, mem: number, age: number) =>
    ({ pid, cpu, mem, age }) as unknown as ProcessInfo;

  test("averages cpu, sums mem, takes the oldest age; one N/A makes that figure N/A", () => {
    expect(aggregate([info(1, 10, 1.5, 3), info(2, 30, 2.5, 7)])).toEqual({ pid: [1, 2], cpu: 20, mem: 4, age: 7 });
    expect(aggregate([info(1, "N/A", 1, 1)]).cpu).toBe("N/A");
  });
});

describe("console text", () => {
  test("circus ctl stats prints a watcher block with indented children, as circusctl", () => {
    const line = {
      pid: 7,
      cmdline: "sleep",
      username: "u",
      nice: 0,
      mem_info1: "1.00M",
      mem_info2: "2.00M",
      cpu: 0.5,
      mem: 0.1,
      ctime: "0:00.01",
    };
    const reply = {
      status: "ok",
      time: 0,
      id: null,
      name: "idle",
      info: { "7": { ...line, children: [{ ...line, pid: 8 }] } },
    };
    expect(stats.format(reply as never)).toBe(
      "idle:\n7: 7  sleep u 0 1.00M 2.00M 0.5 0.1 0:00.01\n   8  sleep u 0 1.00M 2.00M 0.5 0.1 0:00.01",
    );
  });
});

describe("statsd watcher", () => {
  test("statsd = true adds circusd-stats running `stats` with the daemon's endpoints, singleton with its sockets", () => {
    const circus = circusDefaults({ statsd: true, stats_endpoint: "tcp://127.0.0.1:6000" });
    const w = statsWatcher(circus, { endpoint: "tcp://127.0.0.1:7000", pubsub: "tcp://127.0.0.1:7001" });
    expect(w).toMatchObject({ name: "circusd-stats", singleton: true, use_sockets: true, copy_env: true });
    const args = w.args as string[];
    expect(args.slice(args.indexOf("stats"), args.indexOf("stats") + 7)).toEqual([
      "stats",
      "--endpoint",
      "tcp://127.0.0.1:7000",
      "--pubsub",
      "tcp://127.0.0.1:7001",
      "--statspoint",
      "tcp://127.0.0.1:6000",
    ]);
    const config = { circus, watchers: [], sockets: [], plugins: [] } as unknown as CircusConfig;
    expect(withInternalWatchers(config).watchers.map((x) => x.name)).toEqual(["circusd-stats"]);
    expect(withInternalWatchers({ ...config, circus: { ...circus, statsd: false } }).watchers).toEqual([]);
  });
});
