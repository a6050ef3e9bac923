// What the console keeps about a daemon, fed with messages shaped like circusd-stats' and the
// daemon's replies (the live tests feed it the real ones).

import { describe, expect, test } from "bun:test";
import { bytes2human, infoBytes } from "../../src/stats/format.ts";
import { ConsoleModel, WATCHER_SAMPLES } from "../../src/web/model.ts";
import { Series } from "../../src/web/series.ts";

function info(pid: number, cpu: number | string, rss: string) {
  return { pid, cpu, mem: 0.1, mem_info1: rss, mem_info2: "10.00M", age: 5, name: null, subtopic: pid };
}

describe("series", () => {
  test("a ring keeps the last samples in order, gaps as null, and never grows", () => {
    const s = new Series(3);
    s.push(1);
    s.push(null);
    expect(s.values()).toEqual([1, null]);
    s.push(3);
    s.push(4);
    expect(s.values()).toEqual([null, 3, 4]);
    expect(s.values(2)).toEqual([3, 4]);
    expect(s.values(0)).toEqual([]);
    expect(s.last()).toBe(4);
    expect(s.length).toBe(3);
  });

  test("human sizes read back to bytes", () => {
    for (const n of [0, 512, 1024, 3_617_587, 5 * 1024 ** 3]) {
      const back = infoBytes(bytes2human(n))!;
      expect(Math.abs(back - n) / Math.max(n, 1)).toBeLessThan(0.005);
    }
    expect(infoBytes("N/A")).toBeNull();
    expect(infoBytes(undefined)).toBeNull();
  });
});

describe("console model", () => {
  test("a stats round gives each watcher the sum of its processes, and a tick with what changed", () => {
    const m = new ConsoleModel();
    m.setStatuses({ Web: "active", worker: "active" });
    m.ingestStat("stat.web.11", info(11, 10, "1.00M"), 1000);
    m.ingestStat("stat.web.12", info(12, 5.5, "2.00M"), 1000);
    m.ingestStat("stat.web", { pid: [11, 12], cpu: 7.75, mem: 0.2, age: 5 }, 1000);
    m.ingestStat("stat.worker.13", info(13, "N/A", "1.00M"), 1001);
    m.ingestStat("stat.worker", { pid: [13], cpu: "N/A", mem: "N/A", age: 5 }, 1001);
    m.ingestStat("stat.circus.99", { ...info(99, 1.5, "40.00M"), name: "circusd" }, 1002);
    expect(m.ingestStat("stat.circus", { pid: [99], cpu: 1.5, mem: 1, age: 9 }, 1002)).toBe("round");
    expect(m.watcherUsage.get("Web")!.toJSON()).toEqual({ cpu: [15.5], rss: [3 * 1024 * 1024] });
    expect(m.watcherUsage.get("worker")!.toJSON()).toEqual({ cpu: [null], rss: [1024 * 1024] });
    const tick = m.takeTick()!;
    expect(tick.t).toBe(1000);
    expect(Object.fromEntries(tick.watchers)).toEqual({
      Web: [15.5, 3 * 1024 * 1024, 2],
      worker: [null, 1024 * 1024, 1],
    });
    expect(tick.daemon).toEqual([1.5, 40 * 1024 * 1024]);
    expect([...tick.pids.keys()]).toEqual([11, 12, 13]);
    expect(m.daemonPid).toBe(99);
    expect(m.takeTick()).toBeNull();
  });

  test("the console's own watchers are read from the circus group; socket reads per fd", () => {
    const m = new ConsoleModel();
    m.setStatuses({ circushttpd: "active" });
    m.setSockets([{ fd: 5, name: "web", host: "127.0.0.1", port: 8000, backlog: 2048 }]);
    m.ingestStat("stat.circus.50", { ...info(50, 2, "30.00M"), name: "circushttpd" }, 10);
    m.ingestStat("stat.circus", { pid: [50] }, 10);
    m.ingestStat("stat.sockets.5", { fd: 5, reads: 7, address: "127.0.0.1:8000" }, 10);
    expect(m.ingestStat("stat.sockets", { reads: 7 }, 10)).toBe("round");
    expect(m.watcherUsage.get("circushttpd")!.toJSON()).toEqual({ cpu: [2], rss: [30 * 1024 * 1024] });
    expect(m.sockets.get(5)!.reads.values()).toEqual([7]);
    expect(m.takeTick()!.sockets).toEqual({ "5": 7 });
  });

  test("a watcher whose name looks like a pid topic is told apart from a process", () => {
    const m = new ConsoleModel();
    m.setStatuses({ web: "active", "web.2": "active" });
    m.ingestStat("stat.web.2", { pid: [], cpu: 0, mem: 0, age: 0 }, 1);
    expect(m.watcherUsage.get("web.2")!.cpu.length).toBe(1);
    expect(m.watcherUsage.get("web")!.cpu.length).toBe(0);
  });

  test("polled stats fill the same series when there is no stream", () => {
    const m = new ConsoleModel();
    m.setStatuses({ web: "active" });
    m.ingestPolled(
      { web: { "11": info(11, 3, "1.00M"), "12": "No such process (stopped?)" } },
      info(1, 0.5, "9.00M"),
      5,
    );
    expect(m.watcherUsage.get("web")!.toJSON()).toEqual({ cpu: [3], rss: [1024 * 1024] });
    expect(m.daemonUsage.toJSON()).toEqual({ cpu: [0.5], rss: [9 * 1024 * 1024] });
  });

  test("events land in the feed under the watcher's configured name, capped", () => {
    const m = new ConsoleModel();
    m.setStatuses({ "My App": "active" });
    const e = m.addEvent("watcher.my_app.spawn", { process_pid: 42, time: 1.5 }, 0)!;
    expect(e).toEqual({ time: 1500, watcher: "My App", event: "spawn", detail: { process_pid: 42 } });
    for (let i = 0; i < 300; i++) m.addEvent("watcher.my_app.reap", { process_pid: i }, i);
    expect(m.feed.length).toBe(200);
    expect(m.watcherFeed.get("My App")!.length).toBe(50);
    expect(m.addEvent("stat.x", {}, 0)).toBeNull();
  });

  test("series stay bounded however long samples arrive", () => {
    const m = new ConsoleModel();
    m.setStatuses({ web: "active" });
    for (let i = 0; i < WATCHER_SAMPLES * 3; i++) {
      m.ingestStat("stat.web.11", info(11, i, "1.00M"), i);
      m.ingestStat("stat.web", { pid: [11] }, i);
    }
    expect(m.watcherUsage.get("web")!.cpu.length).toBe(WATCHER_SAMPLES);
    expect(m.processUsage.get(11)!.usage.cpu.length).toBe(120);
  });

  test("a removed watcher takes its series, processes and events with it", () => {
    const m = new ConsoleModel();
    m.setStatuses({ a: "active", b: "stopped" });
    m.ingestStat("stat.a.11", info(11, 1, "1.00M"), 1);
    m.addEvent("watcher.a.spawn", { process_pid: 11 }, 1);
    expect(m.setStatuses({ b: "active" })).toEqual({ added: [], removed: ["a"] });
    expect(m.watcherUsage.has("a")).toBe(false);
    expect(m.processUsage.has(11)).toBe(false);
    expect(m.watcherFeed.has("a")).toBe(false);
    expect(m.watchers.get("b")!.status).toBe("active");
  });
});
