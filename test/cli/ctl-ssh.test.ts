// --ssh: a fake `ssh` on PATH records its arguments and forwards the -L port with a tiny TCP proxy,
// so the tunnel logic is exercised without an sshd.

import { afterEach, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PYTHON, runCtlProcess, startFakeCircusd, stopAll } from "./fake-circusd.ts";

const FAKE_SSH = `#!${PYTHON}
import os, socket, sys, threading
open(os.environ["FAKE_SSH_LOG"], "w").write("\\n".join(sys.argv[1:]))
if os.environ.get("FAKE_SSH_FAIL"):
    sys.exit(255)
spec = sys.argv[sys.argv.index("-L") + 1]
bind_host, lport, rhost, rport = spec.rsplit(":", 3)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((bind_host, int(lport))); srv.listen(16)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
while True:
    c, _ = srv.accept()
    try: u = socket.create_connection((rhost, int(rport)))
    except OSError: c.close(); continue
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
`;

const dirs: string[] = [];
afterEach(() => {
  stopAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeSshDir(): { dir: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "fake-ssh-"));
  dirs.push(dir);
  writeFileSync(join(dir, "ssh"), FAKE_SSH);
  chmodSync(join(dir, "ssh"), 0o755);
  return { dir, log: join(dir, "argv") };
}

test("--ssh runs ssh -N -L <local>:<remote host>:<remote port> with -p and -i, and talks through the tunnel", async () => {
  const fake = await startFakeCircusd();
  const { dir, log } = fakeSshDir();
  const r = await runCtlProcess(["--endpoint", fake.endpoint, "--ssh", "deploy@db.example:2222", "--ssh_keyfile", "/keys/id", "list"], {
    PATH: `${dir}:${process.env.PATH}`,
    FAKE_SSH_LOG: log,
  });
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
  const r = await runCtlProcess(["--ssh", "nobody@nowhere", "list"], { PATH: `${dir}:${process.env.PATH}`, FAKE_SSH_LOG: log, FAKE_SSH_FAIL: "1" });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("ssh nobody@nowhere exited with status 255 before the tunnel was up");
});
