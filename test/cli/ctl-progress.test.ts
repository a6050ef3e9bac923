// --waiting on a terminal shows what the daemon works on (`\rN/M processes`, or the stop and its SIGKILL
// countdown), then clears the line.

import { afterEach, expect, test } from "bun:test";
import { progressLine } from "../../src/cli/ctl/progress.ts";
import { circusCommand, startDaemon, waitPids } from "../helpers/daemon.ts";
import { waitTrap } from "../helpers/processes.ts";
import { BUN, CTL_ENTRY, runCtlProcess, startFakeCircusd, stopAll } from "./fake-circusd.ts";

afterEach(stopAll);

test("incr --waiting on a TTY shows actual/target processes while waiting and clears the line", async () => {
  const fake = await startFakeCircusd();
  // util-linux `script` gives the command a pty as stdout.
  const proc = Bun.spawn(
    ["script", "-qec", `${BUN} ${CTL_ENTRY} --endpoint ${fake.endpoint} incr web 3 --waiting`, "/dev/null"],
    {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "pipe",
    },
  );
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  // ESC spelled out: the progress line is redrawn with \r ESC[K.
  expect(out.replaceAll("\x1b", "ESC")).toMatch(/\rESC\[K[3-6]\/6 processes/);
  expect(out).toEndWith("\r\x1b[K6\r\n");
  // the progress polls went to the daemon alongside the waiting call
  const commands = fake.requests.map((r) => r.request.command);
  expect(commands[0]).toBe("incr");
  expect(commands).toContain("numprocesses");
  expect(commands).toContain("get");
});

test("incr --waiting off a TTY prints only the result", async () => {
  const fake = await startFakeCircusd();
  const r = await runCtlProcess(["--endpoint", fake.endpoint, "incr", "web", "3", "--waiting"]);
  expect(r).toMatchObject({ code: 0, stdout: "6\n", stderr: "" });
  expect(fake.requests.map((x) => x.request.command)).toEqual(["incr"]);
});

test("progressLine: counts while starting, the stop and its SIGKILL countdown while stopping", () => {
  const stop = { signal: "SIGTERM", gracefulTimeout: 6 };
  expect(progressLine("web", { actual: 37, target: 100 }, stop, 0)).toBe("37/100 processes");
  expect(progressLine("slow", { actual: 3, target: 1 }, stop, 0.2)).toBe(
    "stopping 2 of slow: SIGTERM sent, SIGKILL in 6 s",
  );
  expect(progressLine("slow", { actual: 3, target: 1 }, stop, 6.5)).toBe("stopping 2 of slow: SIGKILL sent");
  expect(progressLine(null, { actual: 4, target: 0 }, null, 1)).toBe("stopping 4 processes");
  expect(progressLine(null, { actual: 4, target: null }, null, 0)).toBe("4 processes");
});

test("decr and stop --waiting on a TTY say what they wait for: the stop signal and when SIGKILL comes", async () => {
  const d = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =

[watcher:slow]
cmd = sh -c 'trap "" TERM; while true; do sleep 0.1; done'
numprocesses = 2
graceful_timeout = 2
`);
  try {
    // Both shells ignore TERM before the countdowns are read: a worker killed by the TERM shows none.
    for (const pid of await waitPids(d, "slow", 2)) await waitTrap(pid, "TERM");
    const ctl = async (...args: string[]) => {
      const line = [...circusCommand(), "ctl", "--endpoint", d.endpoint, ...args].join(" ");
      const proc = Bun.spawn(["script", "-qec", line, "/dev/null"], { stdout: "pipe", stderr: "pipe", stdin: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      return out;
    };
    const decr = await ctl("decr", "slow", "--waiting");
    expect(decr).toContain("stopping 1 of slow: SIGTERM sent, SIGKILL in 2 s");
    expect(decr).toContain("stopping 1 of slow: SIGTERM sent, SIGKILL in 1 s");
    expect(decr).not.toContain("2/1 processes");
    expect(decr).toEndWith("\r\x1b[K1\r\n");
    // The countdown was seen above; the stop only has to show one, so it need not wait 2 s again.
    expect((await d.call("set", { name: "slow", options: { graceful_timeout: 1 } })).status).toBe("ok");
    const stop = await ctl("stop", "slow", "--waiting");
    expect(stop).toContain("stopping 1 of slow: SIGTERM sent, SIGKILL in");
    expect(stop).toEndWith("\r\x1b[Kok\r\n");
  } finally {
    await d.stop();
  }
}, 20000);
