// --waiting on a terminal shows `\rN/M processes` while the daemon works, then clears the line.

import { afterEach, expect, test } from "bun:test";
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
