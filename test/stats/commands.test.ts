// `stats` and `dstats` through a real daemon (pyzmq DEALER), with known loads.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningDaemon } from "../helpers/daemon.ts";
import { MB50, parseHuman, startLoadedDaemon } from "./helpers.ts";

let d: RunningDaemon;

beforeAll(async () => {
  d = await startLoadedDaemon();
});
afterAll(async () => {
  await d?.stop();
});

type Info = Record<string, unknown>;

async function onlyPid(name: string): Promise<number> {
  const reply = await d.call("list", { name });
  return (reply.pids as number[])[0]!;
}

describe("stats", () => {
  test("a busy-loop worker shows about one core of cpu from the second sample on", async () => {
    const pid = await onlyPid("busy");
    const first = await d.call("stats", { name: "busy", process: pid });
    expect(first.status).toBe("ok");
    expect(first.process).toBe(pid);
    await Bun.sleep(1500);
    const second = await d.call("stats", { name: "busy", process: pid });
    const info = second.info as Info;
    expect(info.cpu as number).toBeGreaterThanOrEqual(50);
    expect(info.cpu as number).toBeLessThanOrEqual(110);
    expect(info.cmdline).toBe("python3");
    expect(info.wid).toBe(1);
    expect(typeof info.started).toBe("number");
    expect(info.age as number).toBeGreaterThan(1);
    expect(info.ctime as string).toMatch(/^\d+:\d\d\.\d{1,2}$/);
  });

  test("a worker holding 50 MB shows that RSS within 15 % in mem_info1 and mem", async () => {
    const pid = await onlyPid("hold");
    let info: Info = {};
    // The worker fills its buffer right after spawning.
    for (let i = 0; i < 50; i++) {
      info = ((await d.call("stats", { name: "hold" })).info as Record<string, Info>)[String(pid)]!;
      if (parseHuman(info.mem_info1 as string) > MB50 * 0.85) break;
      await Bun.sleep(100);
    }
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
