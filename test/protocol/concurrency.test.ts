// Many circusctl-like clients at once while a watcher restarts: every request answered, in order per
// client, none refused (Circus's "arbiter is already running" is not reproduced), no crossed replies.

import { afterEach, expect, test } from "bun:test";
import { spawnPython } from "../helpers/peers.ts";
import { waitTrap } from "../helpers/processes.ts";
import { until } from "../helpers/wait.ts";
import { startHarness, stopHarnesses, waitProcesses } from "./harness.ts";

afterEach(stopHarnesses);

const CLIENT = `
import sys, zmq, json, uuid
ep, n, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = zmq.Context(); s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode()); s.setsockopt(zmq.LINGER, 0); s.connect(ep)
# incr/decr first so that any prefix of the cycle of length >= 2 is balanced
cmds = [("incr", {"name": name}), ("decr", {"name": name}), ("list", {}), ("status", {"name": name}),
        ("numprocesses", {"name": name}), ("options", {"name": name}), ("get", {"name": name, "keys": ["numprocesses"]}),
        ("list", {"name": name}), ("globaloptions", {}), ("stats", {"name": name}), ("numwatchers", {}),
        ("incr", {"name": name, "waiting": True}), ("decr", {"name": name, "waiting": True}), ("status", {})]
crossed = 0; errors = []
for i in range(n):
    c, p = cmds[i % len(cmds)]
    mid = uuid.uuid4().hex
    s.send(json.dumps({"id": mid, "command": c, "properties": p}).encode())
    if not s.poll(20000):
        print(json.dumps({"timeout": i, "command": c})); sys.exit(1)
    r = json.loads(s.recv())
    if r.get("id") != mid: crossed += 1
    if r.get("status") == "error": errors.append(r.get("reason"))
print(json.dumps({"crossed": crossed, "errors": errors, "done": n}))
`;

test("20 clients x 200 mixed commands while the watcher restarts: all answered, none refused, none crossed", async () => {
  const h = await startHarness([{ name: "busy", cmd: "sleep", args: ["60"], numprocesses: 2, graceful_timeout: 1 }]);
  await waitProcesses(h, "busy", 2);
  let restarting = true;
  let restarts = 0;
  const restarter = (async () => {
    while (restarting) {
      await h.arbiter.getWatcher("busy")!.restart();
      restarts++;
      await Bun.sleep(20);
    }
  })();
  const clients = Array.from({ length: 20 }, () => spawnPython(CLIENT, [h.server.endpoint, "200", "busy"]));
  const results = await Promise.all(
    clients.map((c) => c.json<{ crossed: number; errors: string[]; done: number; timeout?: number }>(120_000)),
  );
  restarting = false;
  await restarter;
  for (const r of results) {
    expect(r.timeout).toBeUndefined();
    expect(r.done).toBe(200);
    expect(r.crossed).toBe(0);
    expect(r.errors).toEqual([]);
  }
  expect(restarts).toBeGreaterThan(0);
  // incr/decr were balanced: the target is back where it started once the watcher's queue has run the
  // last un-awaited incr/decr (their replies went out before the work was done).
  await h.arbiter.getWatcher("busy")!.manageProcesses();
  expect(h.arbiter.getWatcher("busy")!.numprocesses).toBe(2);
}, 180_000);

test("reads are answered at once while a slow stop is still running, and queued writes keep their order", async () => {
  const h = await startHarness([
    { name: "stubborn", cmd: "sh", args: ["-c", "trap '' TERM; sleep 60"], numprocesses: 1, graceful_timeout: 2 },
  ]);
  const [pid] = await waitProcesses(h, "stubborn", 1);
  await waitTrap(pid!, "TERM");
  const writer = await h.client();
  const reader = await h.client();
  const started = Date.now();
  const stopping = writer.call("stop", { name: "stubborn", waiting: true });
  await until(() => h.arbiter.getWatcher("stubborn")!.status() === "stopping", 5000, "the stop to begin");
  const t0 = Date.now();
  expect((await reader.call("status", { name: "stubborn" })).status).toBe("stopping");
  expect((await reader.call("list")).watchers).toEqual(["stubborn"]);
  expect(Date.now() - t0).toBeLessThan(1000);
  // A write queued behind the stop is answered after it, not refused.
  const startReply = reader.call("start", { name: "stubborn", waiting: true });
  expect((await stopping).status).toBe("ok");
  expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  expect((await startReply).status).toBe("ok");
  expect((await reader.call("status", { name: "stubborn" })).status).toBe("active");
});
