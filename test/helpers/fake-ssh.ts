// A fake `ssh` for tests of --ssh: put its directory first on PATH; it records its argv in
// $FAKE_SSH_LOG and forwards the `-L bind:port:host:port` it is given with a tiny TCP proxy (no sshd).

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FAKE_SSH = `#!/usr/bin/python3
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

/** A directory holding the fake `ssh`, and the file where it writes its arguments. */
export function fakeSshDir(): { dir: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "fake-ssh-"));
  dirs.push(dir);
  writeFileSync(join(dir, "ssh"), FAKE_SSH);
  chmodSync(join(dir, "ssh"), 0o755);
  return { dir, log: join(dir, "argv") };
}

/** Kill the fake ssh processes of every directory fakeSshDir made, and remove the directories. */
export function removeFakeSshDirs(): void {
  for (const d of dirs.splice(0)) {
    // A tool killed with SIGKILL cannot end its tunnel: end the fake ssh processes started from here.
    Bun.spawnSync(["pkill", "-f", d]);
    rmSync(d, { recursive: true, force: true });
  }
}
