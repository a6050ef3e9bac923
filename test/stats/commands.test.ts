// `stats` and `dstats` through a real daemon (pyzmq DEALER), with known loads.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { until, waitFor } from "../helpers/wait.ts";
import { cpuBounds, cpuReading, MB50, parseHuman, startLoadedDaemon } from "./helpers.ts";

let d: RunningDaemon;
let daemonStarted = 0;

beforeAll(async () => {
  daemonStarted = Date.now();
  d = await startLoadedDaemon();
});
afterAll(async () => {
  await d?.stop();
});

type Info = Record<string, unknown>;

/** The watcher's one pid, once it has one (the daemon answers while it still starts its watchers). */
async function onlyPid(name: string): Promise<number> {
  const [pid] = await waitPids(d, name, 1, 10_000);
  return pid!;
}

describe("stats", () => {
  test("a busy-loop worker's cpu is the CPU time it used between two stats calls over the time between them", async () => {
    const pid = await onlyPid("busy");
    // /proc read around each call: the daemon sampled somewhere between the two readings.
    const a0 = cpuReading(pid);
    const first = await d.call("stats", { name: "busy", process: pid });
    const b0 = cpuReading(pid);
    expect(first.status).toBe("ok");
    expect(first.process).toBe(pid);
    // However loaded the machine, wait until the worker has used a quarter second of CPU.
    await until(() => cpuReading(pid).ticks - b0.ticks >= 25, 10_000, "the worker to use 0.25 s of CPU");
    const a1 = cpuReading(pid);
    const second = await d.call("stats", { name: "busy", process: pid });
    const b1 = cpuReading(pid);
    const info = second.info as Info;
    const [least, most] = cpuBounds(a0, b0, a1, b1);
    expect(least).toBeGreaterThan(0);
    expect(info.cpu as number).toBeGreaterThanOrEqual(least - 0.1);
    expect(info.cpu as number).toBeLessThanOrEqual(most + 0.1);
    expect(info.cmdline).toBe("python3");
    expect(info.wid).toBe(1);
    expect(typeof info.started).toBe("number");
    expect(info.age as number).toBeGreaterThan(0);
    expect(info.age as number).toBeLessThanOrEqual((Date.now() - daemonStarted) / 1000 + 1);
    expect(info.ctime as string).toMatch(/^\d+:\d\d\.\d{1,2}$/);
  });

  test("a worker holding 50 MB shows that RSS within 15 % in mem_info1 and mem", async () => {
    const pid = await onlyPid("hold");
    // The worker fills its buffer right after spawning.
    const info = await waitFor(
      async () => {
        const found = ((await d.call("stats", { name: "hold" })).info as Record<string, Info>)[String(pid)]!;
        return parseHuman(found.mem_info1 as string) > MB50 * 0.85 ? found : null;
      },
      5000,
      "the worker's 50 MB",
    );
    const rss = parseHuman(info.mem_info1 as string);
    expect(rss).toBeGreaterThan(MB50 * 0.85);
    expect(rss).toBeLessThan(MB50 * 1.15);
    expect(info.mem_info1 as string).toMatch(/^\d+\.\d\dM$/);
    const memTotal = Number(/^MemTotal:\s+(\d+)/m.exec(await Bun.file("/proc/meminfo").text())![1]) * 1024;
    expect(info.mem as number).toBeCloseTo((rss / memTotal) * 100, 1);
    expect(info.children).toEqual([]);
  });

  test("without a name every watcher is listed by pid; an unknown pid is errno 3 naming the watcher", async () => {
    const all = await d.call("stats");
    const infos = all.infos as Record<string, Record<string, Info>>;
    expect(Object.keys(infos).sort()).toEqual(["busy", "hold", "idle"]);
    const idlePid = await onlyPid("idle");
    expect(infos.idle![String(idlePid)]!.cmdline).toBe("sleep");
    expect(infos.idle![String(idlePid)]!.username).toBe((await Bun.$`id -un`.text()).trim());

    const missing = await d.call("stats", { name: "idle", process: 1 });
    expect(missing.status).toBe("error");
    expect(missing.errno).toBe(3);
    expect(missing.reason).toBe("process 1 not found in 'idle'");
  });

  test("dstats describes the daemon itself with no children", async () => {
    const reply = await d.call("dstats");
    const info = reply.info as Info;
    expect(info.pid).toBe(d.proc.pid);
    expect(info.children).toEqual([]);
    expect(typeof info.nice).toBe("number");
  });
});
