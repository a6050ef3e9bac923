// [socket:*] sections of a real daemon seen from outside: the kernel's socket tables (/proc/net, ss),
// the fds its workers hold, and real HTTP clients served by those workers.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, startDaemon, waitExec, waitFor, waitPids, type RunningDaemon } from "../helpers/daemon.ts";

const HTTP_WORKER = resolve(import.meta.dir, "../arbiter/fixtures/http-worker.cjs");
const stale = mkdtempSync(join(tmpdir(), "circus-sock-"));
const unixPath = join(stale, "app.sock");
writeFileSync(unixPath, "a stale file where the socket goes");
const reusePort = freePort();

const INI = `[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
check_delay = 0.5

[watcher:web]
cmd = node ${HTTP_WORKER} $(circus.sockets.web) 300
numprocesses = 3
use_sockets = true

[watcher:fds]
cmd = sleep 300 $(circus.sockets.web) $(circus.sockets.web6) ((circus.sockets.unix)) $(circus.sockets.UDP)
use_sockets = true

[watcher:plain]
cmd = sleep 300

[watcher:rp]
cmd = node ${HTTP_WORKER} $(circus.sockets.rp)
numprocesses = 2
use_sockets = true

[socket:web]
host = 127.0.0.1
port = 0

[socket:web6]
host = ::1
port = 0
family = AF_INET6

[socket:unix]
path = ${unixPath}
umask = 18
replace = true

[socket:udp]
host = 127.0.0.1
port = 0
type = SOCK_DGRAM

[socket:lo]
host = 127.0.0.1
port = 0
interface = lo
backlog = 17

[socket:blocky]
host = 127.0.0.1
port = 0
blocking = true
proto = tcp

[socket:rp]
host = 127.0.0.1
port = ${reusePort}
so_reuseport = true
`;

interface Listed {
  fd: number;
  name: string;
  host?: string;
  port?: number;
  path?: string;
  backlog: number;
}

let d: RunningDaemon;
let sockets: Map<string, Listed>;
beforeAll(async () => {
  d = await startDaemon(INI);
  const listed = (await d.call("listsockets")).sockets as Listed[];
  sockets = new Map(listed.map((s) => [s.name, s]));
}, 20_000);
afterAll(async () => {
  await d?.stop();
  rmSync(stale, { recursive: true, force: true });
});

const pidsOf = (name: string, count: number) => waitPids(d, name, count);
const execed = waitExec;

/** The socket fd a node http-worker was told to serve on (its argv[2]). */
function servedFd(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[2]);
}

function fdTarget(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/** The daemon's own socket for `name`, as `socket:[inode]`. */
function daemonSocket(name: string): string {
  return fdTarget(d.proc.pid, sockets.get(name)!.fd);
}

/** Local address and state of the socket with `inode` in /proc/net/<table> (hex, as the kernel prints it). */
function netEntry(table: "tcp" | "tcp6" | "udp", inode: string): { local: string; state: string } | null {
  for (const line of readFileSync(`/proc/net/${table}`, "utf8").trim().split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[9] === inode) return { local: f[1]!, state: f[3]! };
  }
  return null;
}

const inodeOf = (target: string) => target.replace(/^socket:\[(\d+)\]$/, "$1");

/** Send `n` requests `gapMs` apart (each on its own connection) and collect the answering pids. */
async function staggered(port: number, n: number, gapMs: number): Promise<number[]> {
  const answers: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    answers.push(
      fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } })
        .then((r) => r.text())
        .then(Number)
        .catch(() => 0),
    );
    await Bun.sleep(gapMs);
  }
  return Promise.all(answers);
}

describe("a daemon's sockets", () => {
  test("three workers hold the daemon's very listening socket and each of them serves HTTP on it", async () => {
    const pids = await pidsOf("web", 3);
    for (const pid of pids) await execed(pid, "node");
    for (const pid of pids) expect(fdTarget(pid, servedFd(pid))).toBe(daemonSocket("web"));
    const port = sockets.get("web")!.port!;
    const served = new Set<number>();
    // Each request holds its worker 300 ms, so requests 50 ms apart land on different workers.
    await waitFor(
      async () => {
        for (const pid of await staggered(port, 3, 50)) if (pid) served.add(pid);
        return served.size === 3;
      },
      10_000,
      "answers from all three workers",
    );
    expect([...served].sort()).toEqual([...pids].sort());
  }, 15_000);

  test("$(circus.sockets.NAME) (any case, either syntax) is the fd under which the worker holds that socket", async () => {
    const [pid] = await pidsOf("fds", 1);
    await execed(pid!, "sleep");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(2, -1).map(Number);
    const names = ["web", "web6", "unix", "udp"];
    expect(argv).toHaveLength(4);
    for (const [i, name] of names.entries()) {
      expect([name, fdTarget(pid!, argv[i]!)]).toEqual([name, daemonSocket(name)]);
    }
    // The numbers are the daemon's own, as `listsockets` reports them (Circus passes its fds as they are).
    expect(argv).toEqual(names.map((name) => sockets.get(name)!.fd));
  });

  test("listsockets lists so_reuseport sockets too; each worker holds its own socket at that fd number", async () => {
    expect(sockets.get("rp")).toMatchObject({ name: "rp", host: "127.0.0.1", port: reusePort, backlog: 2048 });
    const fd = sockets.get("rp")!.fd;
    const pids = await pidsOf("rp", 2);
    for (const pid of pids) await execed(pid, "node");
    for (const pid of pids) {
      expect(servedFd(pid)).toBe(fd);
      expect(fdTarget(pid, fd)).toMatch(/^socket:/);
      expect(fdTarget(pid, fd)).not.toBe(daemonSocket("rp"));
    }
    // The daemon's placeholder is not bound, so it takes no share of the port's connections.
    expect(netEntry("tcp", inodeOf(daemonSocket("rp")))).toBeNull();
    expect(((await d.call("listsockets")).sockets as Listed[]).map((s) => s.fd)).toEqual(
      [...sockets.values()].map((s) => s.fd).sort((a, b) => a - b),
    );
  });

  test("a watcher without use_sockets inherits no fd beyond 0, 1 and 2", async () => {
    const [pid] = await pidsOf("plain", 1);
    await execed(pid!, "sleep");
    expect(readdirSync(`/proc/${pid}/fd`).map(Number).sort()).toEqual([0, 1, 2]);
  });

  test("IPv6 tcp, udp and a unix socket (replacing a stale file, mode from the socket umask) are bound as configured", async () => {
    const v6 = netEntry("tcp6", inodeOf(daemonSocket("web6")));
    expect(v6).toEqual({
      local: `00000000000000000000000001000000:${sockets.get("web6")!.port!.toString(16).toUpperCase().padStart(4, "0")}`,
      state: "0A",
    });
    const conn = await Bun.connect({ hostname: "::1", port: sockets.get("web6")!.port!, socket: { data() {} } });
    conn.end();

    const udp = netEntry("udp", inodeOf(daemonSocket("udp")));
    expect(udp!.local).toBe(`0100007F:${sockets.get("udp")!.port!.toString(16).toUpperCase().padStart(4, "0")}`);
    expect(udp!.state).toBe("07"); // unconnected datagram socket: bound, not listening

    expect(sockets.get("unix")!.path).toBe(unixPath);
    const st = lstatSync(unixPath);
    expect(st.isSocket()).toBe(true);
    // umask = 18 is read as decimal, as Circus does: 18 = 0o22 → mode 0755.
    expect((st.mode & 0o777).toString(8)).toBe("755");
    const unixConn = await Bun.connect({ unix: unixPath, socket: { data() {} } });
    unixConn.end();
  });

  test("interface = lo binds to the loopback device, backlog is the listen queue, blocking clears O_NONBLOCK", async () => {
    const ss = (port: number) =>
      Bun.spawnSync(["ss", "-Hltn", `sport = :${port}`])
        .stdout.toString()
        .trim()
        .split(/\s+/);
    const lo = ss(sockets.get("lo")!.port!);
    expect(lo[3]).toBe(`127.0.0.1%lo:${sockets.get("lo")!.port}`);
    // Send-Q of a listening socket is its backlog (no worker re-listens on this one; node would set 511).
    expect(lo[2]).toBe("17");
    expect(sockets.get("lo")!.backlog).toBe(17);

    const flags = (name: string) => {
      const info = readFileSync(`/proc/${d.proc.pid}/fdinfo/${sockets.get(name)!.fd}`, "utf8");
      return parseInt(/flags:\s*(\d+)/.exec(info)![1]!, 8);
    };
    const O_NONBLOCK = 0o4000;
    expect(flags("blocky") & O_NONBLOCK).toBe(0);
    expect(flags("web") & O_NONBLOCK).toBe(O_NONBLOCK);
    // proto = tcp gave an ordinary listening tcp socket.
    expect(netEntry("tcp", inodeOf(daemonSocket("blocky")))!.state).toBe("0A");
  });

  test("so_reuseport: each worker gets its own socket on the shared port, all of them serve, the daemon keeps none", async () => {
    const pids = await pidsOf("rp", 2);
    for (const pid of pids) await execed(pid, "node");
    const inodes = pids.map((pid) => fdTarget(pid, servedFd(pid)));
    expect(new Set(inodes).size).toBe(2);
    const daemonFds = readdirSync(`/proc/${d.proc.pid}/fd`).map((fd) => {
      try {
        return fdTarget(d.proc.pid, Number(fd));
      } catch {
        return "";
      }
    });
    for (const inode of inodes) {
      expect(daemonFds).not.toContain(inode);
      expect(netEntry("tcp", inodeOf(inode))).toEqual({
        local: `0100007F:${reusePort.toString(16).toUpperCase().padStart(4, "0")}`,
        state: "0A",
      });
    }
    const served = new Set<number>();
    // The kernel spreads connections over the group by a hash of the client port: enough clients reach both.
    await waitFor(
      async () => {
        for (const pid of await staggered(reusePort, 8, 0)) if (pid) served.add(pid);
        return served.size === 2;
      },
      10_000,
      "answers from both so_reuseport workers",
    );
    expect([...served].sort()).toEqual([...pids].sort());
  }, 15_000);
});

describe("an on_demand watcher in a daemon", () => {
  let lazy: RunningDaemon | null = null;
  afterEach(async () => {
    await lazy?.stop();
    lazy = null;
  });

  test("stays stopped with no process until the first connection, which its new worker then answers", async () => {
    lazy = await startDaemon(`[circus]
endpoint = {endpoint}
pubsub_endpoint = {pubsub}
multicast_endpoint =
check_delay = 0.5

[watcher:lazy]
cmd = node ${HTTP_WORKER} $(circus.sockets.lazy)
use_sockets = true
on_demand = true

[socket:lazy]
host = 127.0.0.1
port = 0
`);
    await Bun.sleep(300);
    expect((await lazy.call("status", { name: "lazy" })).status).toBe("stopped");
    expect((await lazy.call("list", { name: "lazy" })).pids).toEqual([]);
    const [sock] = (await lazy.call("listsockets")).sockets as Listed[];
    // The connection waits in the backlog until the worker started on its behalf accepts it.
    const res = await fetch(`http://127.0.0.1:${sock!.port}/`, { headers: { connection: "close" } });
    const pid = Number(await res.text());
    expect((await lazy.call("list", { name: "lazy" })).pids).toEqual([pid]);
    expect((await lazy.call("status", { name: "lazy" })).status).toBe("active");
  }, 15_000);
});

describe("examples/circus.ini", () => {
  let example: RunningDaemon | null = null;
  afterEach(async () => {
    await example?.stop();
    example = null;
  });

  test("runs as shipped (endpoints and port made free): three web workers answer on the socket, the ticker ticks", async () => {
    const text = readFileSync(resolve(import.meta.dir, "../../examples/circus.ini"), "utf8")
      .replace(/^endpoint = .*$/m, "endpoint = {endpoint}\nmulticast_endpoint =")
      .replace(/^pubsub_endpoint = .*$/m, "pubsub_endpoint = {pubsub}")
      .replace(/^port = 8080$/m, "port = 0")
      .replaceAll("examples/webapp.js", resolve(import.meta.dir, "../../examples/webapp.js"))
      // sh acts on the ticker's SIGINT only once its `sleep 5` ends: do not wait for that at teardown.
      .replace("stop_signal = INT", "stop_signal = INT\ngraceful_timeout = 0.5");
    example = await startDaemon(text);
    const d = example;
    expect(((await d.call("list")).watchers as string[]).sort()).toEqual(["ticker", "web"]);
    const [sock] = (await d.call("listsockets")).sockets as Listed[];
    const pids = await waitFor(
      async () => {
        const p = ((await d.call("list", { name: "web" })).pids ?? []) as number[];
        return p.length === 3 ? p : null;
      },
      5000,
      "3 web workers",
    );
    const body = await waitFor(
      () =>
        fetch(`http://127.0.0.1:${sock!.port}/hello`, { headers: { connection: "close" } })
          .then((r) => r.json())
          .catch(() => null),
      5000,
      "an answer",
    );
    expect(pids).toContain((body as { pid: number }).pid);
    expect((body as { url: string }).url).toBe("/hello");
    expect((await d.call("status", { name: "ticker" })).status).toBe("active");
  }, 15_000);
});
