// --ssh: a fake `ssh` on PATH (test/helpers/fake-ssh.ts) records its arguments and forwards the -L
// port, so the tunnel logic is exercised without an sshd.

import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fakeSshDir, removeFakeSshDirs } from "../helpers/fake-ssh.ts";
import { runCtlProcess, startFakeCircusd, stopAll } from "./fake-circusd.ts";

afterEach(() => {
  stopAll();
  removeFakeSshDirs();
});

test("--ssh runs ssh -N -L <local>:<remote host>:<remote port> with -p and -i, and talks through the tunnel", async () => {
  const fake = await startFakeCircusd();
  const { dir, log } = fakeSshDir();
  const r = await runCtlProcess(
    ["--endpoint", fake.endpoint, "--ssh", "deploy@db.example:2222", "--ssh_keyfile", "/keys/id", "list"],
    {
      PATH: `${dir}:${process.env.PATH}`,
      FAKE_SSH_LOG: log,
    },
  );
  expect(r).toMatchObject({ code: 0, stdout: "circusd-stats,web,worker\n" });
  const argv = readFileSync(log, "utf8").split("\n");
  const port = fake.endpoint.split(":").pop();
  expect(argv[0]).toBe("-N");
  expect(argv[argv.indexOf("-L") + 1]).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+:127\\.0\\.0\\.1:${port}$`));
  expect(argv[argv.indexOf("-p") + 1]).toBe("2222");
  expect(argv[argv.indexOf("-i") + 1]).toBe("/keys/id");
  expect(argv[argv.length - 1]).toBe("deploy@db.example");
});

test("an ssh that exits before the tunnel is up is reported and exits 1", async () => {
  const { dir, log } = fakeSshDir();
  const r = await runCtlProcess(["--ssh", "nobody@nowhere", "list"], {
    PATH: `${dir}:${process.env.PATH}`,
    FAKE_SSH_LOG: log,
    FAKE_SSH_FAIL: "1",
  });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("ssh nobody@nowhere exited with status 255 before the tunnel was up");
});
