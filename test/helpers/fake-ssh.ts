// A fake `ssh` for tests of --ssh: put its directory first on PATH; it records its argv in
// $FAKE_SSH_LOG and forwards the `-L bind:port:host:port` it is given with a tiny TCP proxy (no sshd).

import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readArgv } from "../../src/os/proc.ts";
import { defer } from "./cleanup.ts";
import { killTree } from "./processes.ts";
import { tempDir } from "./temp.ts";

const FAKE_SSH = `#!/usr/bin/python3
import os, socket, sys, threading
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pids"), "a").write("%d\\n" % os.getpid())
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

const dirs = new Set<string>();

/** A directory holding the fake `ssh`, and the file where it writes its arguments; removed after the test. */
export function fakeSshDir(): { dir: string; log: string } {
  const dir = tempDir("fake-ssh-");
  dirs.add(dir);
  defer(() => endFakeSsh(dir));
  writeFileSync(join(dir, "ssh"), FAKE_SSH);
  chmodSync(join(dir, "ssh"), 0o755);
  return { dir, log: join(dir, "argv") };
}

/**
 * A tool killed with SIGKILL cannot end its tunnel: kill the fake ssh processes started from `dir`, by
 * the pids they wrote, each checked to still run that script.
 */
function endFakeSsh(dir: string): void {
  dirs.delete(dir);
  let pids: number[] = [];
  try {
    pids = readFileSync(join(dir, "pids"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    // never started
  }
  for (const pid of pids) {
    if (readArgv(pid)?.some((word) => word.startsWith(dir))) killTree(pid);
  }
}

/** End the fake ssh processes of every directory fakeSshDir made (also done on its own after the test). */
export function removeFakeSshDirs(): void {
  for (const dir of [...dirs]) endFakeSsh(dir);
}
