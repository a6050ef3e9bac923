// Events on the pub/sub endpoint as a pyzmq SUB sees them: topics, payloads and order.

import { afterEach, expect, test } from "bun:test";
import { pyZmq, type ZmqPeer } from "../helpers/zmq-peers.ts";
import { startHarness, stopHarnesses, waitProcesses, type Harness } from "./harness.ts";

afterEach(stopHarnesses);

interface Event {
  topic: string;
  payload: Record<string, unknown>;
}

async function subscriber(h: Harness): Promise<{ sub: ZmqPeer; next(prefix: string): Promise<Event>; seen: Event[] }> {
  const sub = await pyZmq({ type: "SUB", connect: [h.server.pubsubEndpoint], subscribe: ["watcher."] });
  const seen: Event[] = [];
  const next = async (prefix: string): Promise<Event> => {
    for (;;) {
      const [topic, body] = await sub.recvText(10_000);
      const e = { topic: topic!, payload: JSON.parse(body!) as Record<string, unknown> };
      seen.push(e);
      if (e.topic.startsWith(prefix)) return e;
    }
  };
  // Slow joiner: wait until the subscription reached the publisher.
  for (let i = 0; i < 200; i++) {
    h.arbiter.bus.publish("watcher.probe.ping", { time: 0 });
    const [topic] = await sub.recvText(50).catch(() => [""]);
    if (topic === "watcher.probe.ping") break;
  }
  return { sub, next, seen };
}

test("a SUB sees incr, decr, kill -9, stop, start, set, add and rm as Circus topics with payloads, in order", async () => {
  const h = await startHarness([{ name: "Ev Web", cmd: "sleep", args: ["60"], numprocesses: 1, graceful_timeout: 2 }]);
  await waitProcesses(h, "ev web", 1);
  const { next } = await subscriber(h);

  await h.call("incr", { name: "ev web", waiting: true });
  const spawn = await next("watcher.ev_web.spawn");
  expect(Object.keys(spawn.payload).sort()).toEqual(["process_pid", "time"]);
  expect(typeof spawn.payload.time).toBe("number");

  // As in Circus, a process decr stops is killed but not reported as a reap.
  await h.call("decr", { name: "ev web", waiting: true });
  await next("watcher.ev_web.kill");

  const [victim] = await waitProcesses(h, "ev web", 1);
  process.kill(victim!, "SIGKILL");
  const crashed = await next("watcher.ev_web.reap");
  expect(crashed.payload).toMatchObject({ process_pid: victim, exit_code: -9, reason: "crash" });
  expect(Object.keys(crashed.payload).sort()).toEqual(["exit_code", "process_pid", "reason", "time"]);
  const respawned = await next("watcher.ev_web.spawn");
  expect(respawned.payload.process_pid).not.toBe(victim);

  await h.call("stop", { name: "ev web", waiting: true });
  await next("watcher.ev_web.kill");
  expect((await next("watcher.ev_web.reap")).payload.reason).toBe("stop");
  await next("watcher.ev_web.stop");

  await h.call("start", { name: "ev web", waiting: true });
  await next("watcher.ev_web.spawn");
  await next("watcher.ev_web.start");

  await h.call("set", { name: "ev web", options: { graceful_timeout: 1, warmup_delay: 0 }, waiting: true });
  await next("watcher.ev_web.updated");
  await next("watcher.ev_web.updated");

  await h.call("add", { name: "other", cmd: "sleep 60" });
  expect((await next("watcher.other.")).topic).toBe("watcher.other.add");
  await h.call("rm", { name: "other", waiting: true });
  expect((await next("watcher.other.")).topic).toBe("watcher.other.remove");
});
