// The bytes on the wire as circusd writes them, read by a pyzmq client: Python's json.dumps spacing and
// floats, Circus's key order and defaults in `options`/`get`, the request id echoed with its own JSON
// type, Circus's words in errors, `stats` in creation order, and event payloads.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pyZmq } from "../helpers/zmq-peers.ts";
import { startHarness, stopHarnesses, waitProcesses } from "./harness.ts";

afterEach(stopHarnesses);

const logDir = mkdtempSync(join(tmpdir(), "circus-wire-"));

async function harness(checkDelay?: number) {
  const h = await startHarness(
    [
      {
        name: "zweb",
        cmd: "sleep 60",
        numprocesses: 1,
        graceful_timeout: 2,
        stdout_stream: { class: "FileStream", filename: join(logDir, "web.log") },
        free: { "flapping.attempts": "3", __name__: "watcher:zweb" },
      },
      { name: "single", cmd: "sleep 61", singleton: true },
    ],
    { checkDelay },
  );
  await waitProcesses(h, "zweb", 1);
  return h;
}

/** One raw request body in, the raw reply frame text out. */
async function raw(h: Awaited<ReturnType<typeof harness>>, body: string): Promise<string> {
  const client = await h.client();
  const [reply] = await client.raw([body]);
  return reply!;
}

test("options: sorted keys, Python spacing, floats with .0, working_dir and args filled in, stream confs without class", async () => {
  const h = await harness();
  const text = await raw(h, '{"command": "options", "properties": {"name": "zweb"}, "id": "o"}');
  const options = (JSON.parse(text) as { options: Record<string, unknown> }).options;
  const keys = Object.keys(options);
  expect(keys).toEqual([...keys].sort());
  expect(keys[0]).toBe("__name__");
  expect(keys).toContain("flapping.attempts");
  expect(text).toStartWith('{"status": "ok", "time": ');
  expect(text).toEndWith('"id": "o"}');
  expect(text).toContain('"graceful_timeout": 2.0, ');
  expect(text).toContain('"max_age": 0, ');
  expect(text).toContain(`"working_dir": ${JSON.stringify(process.cwd())}`);
  expect(text).toContain('"args": "", ');
  expect(text).toContain(`"stdout_stream_conf": {"filename": ${JSON.stringify(join(logDir, "web.log"))}}`);
  expect(text).toContain('"stderr_stream_conf": {}');
});

test("get gives the asked keys in the asked order, as options shows them", async () => {
  const h = await harness();
  const text = await raw(
    h,
    '{"command": "get", "properties": {"name": "zweb", "keys": ["working_dir", "args", "graceful_timeout"]}, "id": "g"}',
  );
  expect(text).toContain(
    `"options": {"working_dir": ${JSON.stringify(process.cwd())}, "args": "", "graceful_timeout": 2.0}, "id": "g"}`,
  );
});

test("globaloptions writes check_delay as a float, as given (-1 too)", async () => {
  for (const checkDelay of [5, -1]) {
    const h = await harness(checkDelay);
    expect(await raw(h, '{"command": "globaloptions", "id": "x"}')).toContain(`"check_delay": ${checkDelay}.0, `);
    await stopHarnesses();
  }
});

test("the request id comes back exactly as sent, whatever its JSON type, last in the envelope", async () => {
  const h = await harness();
  for (const id of ["42", '"abc"', "1.5", "[1, 2]", '{"k": "v"}', "null"]) {
    expect(await raw(h, `{"command": "numwatchers", "id": ${id}}`)).toEndWith(`"id": ${id}}`);
  }
  expect(await raw(h, '{"command": "numwatchers"}')).toEndWith('"id": null}');
  const error = JSON.parse(await raw(h, '{"command": "nope", "id": 7}'));
  expect(Object.keys(error)).toEqual(["status", "reason", "tb", "time", "errno", "id"]);
  expect(error.id).toBe(7);
});

test("set numprocesses 3 on a singleton answers errno 5 with Circus's words", async () => {
  const h = await harness();
  const reply = JSON.parse(
    await raw(h, '{"command": "set", "properties": {"name": "single", "options": {"numprocesses": 3}}, "id": "s"}'),
  );
  expect(reply).toMatchObject({ status: "error", errno: 5, reason: "Singleton watcher has a single process" });
});

test("stats: watchers in creation order, cpu and mem as floats, ctime as Circus writes it", async () => {
  const h = await harness();
  await h.call("add", { name: "aaa", cmd: "sleep 62", start: true, waiting: true });
  await waitProcesses(h, "aaa", 1);
  const text = await raw(h, '{"command": "stats", "id": "st"}');
  const infos = (JSON.parse(text) as { infos: Record<string, Record<string, Record<string, unknown>>> }).infos;
  // Config watchers by name, then the one added at run time (Circus's own list order).
  expect(Object.keys(infos)).toEqual(["single", "zweb", "aaa"]);
  const info = Object.values(infos.zweb!)[0]!;
  expect(text).toMatch(/"cpu": \d+\.\d+/);
  expect(text).toMatch(/"mem": \d+\.\d+/);
  expect(text).toMatch(/"age": \d+\.\d+/);
  expect(info.ctime).toMatch(/^0:00\.\d{1,2}$/);
});

test("event payloads are written with Python's separators and float times", async () => {
  const h = await harness();
  const sub = await pyZmq({ type: "SUB", connect: [h.server.pubsubEndpoint], subscribe: ["watcher."] });
  // Slow joiner: wait until the subscription reached the publisher.
  for (let i = 0; i < 200; i++) {
    h.arbiter.bus.publish("watcher.probe.ping", { time: 1 });
    const [topic, body] = await sub.recvText(50).catch(() => ["", ""]);
    if (topic === "watcher.probe.ping") {
      expect(body).toBe('{"time": 1.0}');
      break;
    }
  }
  await h.call("incr", { name: "zweb", waiting: true });
  for (;;) {
    const [topic, body] = await sub.recvText(5000);
    if (topic !== "watcher.zweb.spawn") continue;
    expect(body).toMatch(/^\{"process_pid": \d+, "time": \d+\.\d+\}$/);
    break;
  }
});
