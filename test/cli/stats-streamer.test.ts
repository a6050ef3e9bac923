// `circus stats` against a real daemon: the stat.* stream as a pyzmq SUB sees it.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { waitPids, type RunningDaemon } from "../helpers/daemon.ts";
import { fakeSshDir } from "../helpers/fake-ssh.ts";
import { freePort } from "../helpers/ports.ts";
import { until, within } from "../helpers/wait.ts";
import {
  cpuBoundsBetween,
  last,
  MB50,
  parseHuman,
  recordCpu,
  sampledAt,
  startLoadedDaemon,
  startStreamer,
  statSubscriber,
  statsWatcherSection,
} from "../stats/helpers.ts";

let d: RunningDaemon & { webPort: number };
/** Where the daemon's own circusd-stats watcher publishes. */
const statspoint = `tcp://127.0.0.1:${freePort()}`;

beforeAll(async () => {
  d = await startLoadedDaemon(statsWatcherSection(statspoint));
});
afterAll(async () => {
  await d?.stop();
});

const pidsOf = async (name: string) => (await d.call("list", { name })).pids as number[];
/** The watcher's one pid, once it has one (the daemon answers while it still starts its watchers). */
const onlyPid = async (name: string) => (await waitPids(d, name, 1, 10_000))[0]!;

describe("circus stats", () => {
  test("as the circusd-stats watcher it publishes per-pid figures, aggregates, the circus group and socket reads", async () => {
    const { seen, stop } = await statSubscriber(statspoint);
    const statsPid = await onlyPid("circusd-stats");
    const busy = await onlyPid("busy");
    const idle = await onlyPid("idle");
    const hold = await onlyPid("hold");
    // A client the daemon never accepts keeps the listening socket readable.
    const client = await Bun.connect({ hostname: "127.0.0.1", port: d.webPort, socket: { data() {} } });
    try {
      // The first sample of a pid is 0.0 (psutil semantics): take two consecutive ones after it. The cpu is
      // the CPU time used between the two samples over the time between them, which /proc readings taken
      // meanwhile bound: however loaded the machine, a right figure lies within.
      const busyTopic = `stat.busy.${busy}`;
      const cpu = recordCpu(busy!);
      const mark = seen.length;
      // Three samples after the readings began: the first may have been taken before.
      await until(() => seen.slice(mark).filter((m) => m.topic === busyTopic).length >= 3, 10_000, "busy samples");
      const [earlier, b] = seen
        .filter((m) => m.topic === busyTopic)
        .slice(-2)
        .map((m) => m.body);
      await until(() => cpu.readings.at(-1)!.at > sampledAt(b!) + 1, 5000, "a reading after the sample");
      cpu.stop();
      const [least, most] = cpuBoundsBetween(cpu.readings, sampledAt(earlier!), sampledAt(b!));
      expect(b!.cpu as number).toBeGreaterThanOrEqual(least - 0.05);
      expect(b!.cpu as number).toBeLessThanOrEqual(most + 0.05);
      // A sleeping worker in the same round uses nothing.
      await until(() => !!last(seen, `stat.idle.${idle}`), 5000, "an idle sample");
      expect(last(seen, `stat.idle.${idle}`)!.body.cpu).toBe(0);
      expect(b!.cpu as number).toBeGreaterThan(0);
      expect(b!.subtopic).toBe(busy);
      expect(b!.name).toBeNull();
      expect(b!.cmdline).toBe("python3");

      const h = last(seen, `stat.hold.${hold}`)!.body;
      expect(parseHuman(h.mem_info1 as string)).toBeGreaterThan(MB50 * 0.85);
      expect(parseHuman(h.mem_info1 as string)).toBeLessThan(MB50 * 1.15);

      // Written as circusd-stats writes it: json.dumps spacing, cpu and mem as floats.
      expect(last(seen, `stat.busy.${busy}`)!.text).toMatch(/^\{"pid": \d+, .*"cpu": \d+\.\d+, "mem": \d+\.\d+/);
      const agg = last(seen, "stat.busy")!.body;
      expect(agg.pid).toEqual([busy]);
      expect(Object.keys(agg).sort()).toEqual(["age", "cpu", "mem", "pid"]);

      const daemonInfo = last(seen, `stat.circus.${d.proc.pid}`)!.body;
      expect(daemonInfo.name).toBe("circusd");
      expect(last(seen, `stat.circus.${statsPid}`)?.body.name).toBe("circusd-stats");
      expect((last(seen, "stat.circus")!.body.pid as number[]).sort()).toEqual([d.proc.pid, statsPid].sort());

      const totals = last(seen, "stat.sockets")!.body;
      expect(totals.addresses).toEqual([`127.0.0.1:${d.webPort}`]);
      // Every 10 ms poll of a round finds the socket readable: a round of the 1 s period counts ~100. A
      // round right after a stalled one (a loaded machine fires the late timer at once) counts only a few.
      await until(
        () => seen.slice(mark).some((m) => m.topic === "stat.sockets" && (m.body.reads as number) > 10),
        10_000,
        "a round that counted the pending connection in more than 10 polls",
      );
      const perSocket = seen.find((m) => /^stat\.sockets\.\d+$/.test(m.topic))!.body;
      expect(Object.keys(perSocket).sort()).toEqual(["address", "fd", "reads", "subtopic"]);
      expect(perSocket.subtopic).toBe(perSocket.fd);
    } finally {
      client.end();
      stop();
    }
  });

  test("keeps up when processes come and go: new pids appear, gone pids disappear", async () => {
    const { seen, stop } = await statSubscriber(statspoint);
    try {
      const first = await onlyPid("idle");
      await until(() => !!last(seen, `stat.idle.${first}`), 10_000, "the idle worker's stats");
      expect((await d.call("incr", { name: "idle", nb: 2, waiting: true })).status).toBe("ok");
      const grown = await pidsOf("idle");
      expect(grown.length).toBe(3);
      let mark = seen.length;
      await until(() => grown.every((p) => !!last(seen, `stat.idle.${p}`, mark)), 5000, "stats of the new pids");
      expect(last(seen, "stat.idle", mark)!.body.pid as number[]).toHaveLength(3);

      expect((await d.call("decr", { name: "idle", nb: 2, waiting: true })).status).toBe("ok");
      const kept = await pidsOf("idle");
      const gone = grown.filter((p) => !kept.includes(p));
      expect(gone).toHaveLength(2);
      // Once a round lists only the kept pid, the streamer has followed the reaps.
      await until(
        () => JSON.stringify(last(seen, "stat.idle", mark)?.body.pid) === JSON.stringify(kept),
        5000,
        "a round without the gone pids",
      );
      mark = seen.length;
      await until(
        () =>
          seen.filter((m) => m.topic === "stat.idle").length -
            seen.slice(0, mark).filter((m) => m.topic === "stat.idle").length >=
          2,
        5000,
        "two more rounds",
      );
      for (const p of gone) expect(last(seen, `stat.idle.${p}`, mark)).toBeUndefined();
      expect(last(seen, "stat.idle", mark)!.body.pid).toEqual(kept);
    } finally {
      stop();
    }
  });

  test("run standalone it streams too, says socket reads stay 0, and stops cleanly on SIGTERM", async () => {
    const own = `tcp://127.0.0.1:${freePort()}`;
    const streamer = startStreamer(d, own);
    const { seen, stop } = await statSubscriber(own);
    try {
      await until(() => !!last(seen, "stat.sockets"), 10_000, "socket stats");
      expect(last(seen, "stat.sockets")!.body.reads).toBe(0);
      let said = "";
      while (!said.includes("stay 0")) said = await streamer.line(5000);
      expect(said).toContain(`127.0.0.1:${d.webPort} stay 0: their sockets are not inherited`);
    } finally {
      stop();
    }
    streamer.proc.kill("SIGTERM");
    expect(await within(streamer.proc.exited, 5000, "the streamer to exit")).toBe(0);
  }, 20_000);

  test("over --ssh it reaches the daemon through ssh tunnels and still streams", async () => {
    const own = `tcp://127.0.0.1:${freePort()}`;
    const { dir, log } = fakeSshDir();
    startStreamer(d, own, [`PATH=${dir}:${process.env.PATH}`, `FAKE_SSH_LOG=${log}`], ["--ssh", "ops@gateway"]);
    const { seen, stop } = await statSubscriber(own);
    try {
      const busy = await onlyPid("busy");
      await until(() => seen.some((m) => m.topic === `stat.busy.${busy}`), 15_000, "per-pid stats through the tunnel");
      const argv = readFileSync(log, "utf8").split("\n");
      expect(argv).toContain("-N");
      expect(argv).toContain("ops@gateway");
    } finally {
      stop();
    }
  }, 30_000);
});
