import { afterEach, expect, test } from "bun:test";
import { BUN, CTL_ENTRY, startFakeCircusd, stopAll } from "./fake-circusd.ts";

afterEach(stopAll);

async function listenLines(args: string[], want: number): Promise<{ lines: string[]; code: number }> {
  const proc = Bun.spawn([BUN, CTL_ENTRY, "listen", ...args], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, CIRCUSCTL_ENDPOINT: "tcp://127.0.0.1:1" },
  });
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 8000;
  try {
    while (text.split("\n").length - 1 < want && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), Bun.sleep(200).then(() => null)]);
      if (r && !r.done) text += dec.decode(r.value, { stream: true });
    }
  } finally {
    proc.kill("SIGINT");
  }
  const code = await proc.exited;
  return { lines: text.split("\n").filter(Boolean), code };
}

test("listen prints <topic>: <payload> as decoded text for every event and exits 0 on Ctrl-C", async () => {
  const fake = await startFakeCircusd({ pub: true });
  const { lines, code } = await listenLines(["--endpoint", fake.pubsub!], 4);
  expect(lines.length).toBeGreaterThanOrEqual(4);
  expect(lines).toContain('watcher.web.spawn: {"process_pid": 1204, "time": 1.5}');
  expect(lines).toContain('watcher.worker.stop: {"time": 2.5}');
  expect(code).toBe(0);
});

test("listen with topic prefixes only prints matching events", async () => {
  const fake = await startFakeCircusd({ pub: true });
  const { lines } = await listenLines(["--endpoint", fake.pubsub!, "watcher.worker."], 3);
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(lines.every((l) => l.startsWith("watcher.worker.stop: "))).toBe(true);
});
