// Real sockets bound through libc: addresses read back, unix modes, errors, poll, inheritance by a child.

import { afterEach, describe, expect, test } from "bun:test";
import { statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import {
  bindSocket,
  closeSocket,
  peerCredentials,
  pollReadable,
  SocketError,
  type BoundSocket,
  type SocketSpec,
} from "../../src/os/sockets.ts";
import { OsError } from "../../src/os/errors.ts";
import { tempDir as freshDir } from "../helpers/temp.ts";
import { servedText } from "../helpers/wait.ts";

const opened: BoundSocket[] = [];
const children: Bun.Subprocess[] = [];
const tempDir = () => freshDir("circus-os-");

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const bound of opened.splice(0)) closeSocket(bound);
});

function spec(overrides: Partial<SocketSpec>): SocketSpec {
  return {
    family: "AF_INET",
    type: "SOCK_STREAM",
    proto: 0,
    host: "127.0.0.1",
    port: 0,
    path: null,
    backlog: 16,
    umask: 0o010,
    replace: false,
    interface: null,
    reusePort: false,
    blocking: false,
    ...overrides,
  };
}

async function bind(overrides: Partial<SocketSpec>): Promise<BoundSocket> {
  const bound = await bindSocket(spec(overrides));
  opened.push(bound);
  return bound;
}

describe("bindSocket", () => {
  test("a tcp socket on port 0 reports the real host and ephemeral port", async () => {
    const s = await bind({});
    expect(s.fd).toBeGreaterThan(2);
    expect(s.host).toBe("127.0.0.1");
    expect(s.port).toBeGreaterThan(0);
  });

  test("localhost resolves to an IPv4 address by default", async () => {
    const s = await bind({ host: "localhost" });
    expect(s.host).toBe("127.0.0.1");
  });

  test("an AF_INET6 socket binds ::1 and reads back the IPv6 address", async () => {
    const s = await bind({ family: "AF_INET6", host: "::1" });
    expect(s.family).toBe("AF_INET6");
    expect(s.host).toBe("::1");
    expect(s.port).toBeGreaterThan(0);
  });

  test("a udp socket binds without listening", async () => {
    const s = await bind({ type: "SOCK_DGRAM" });
    expect(s.port).toBeGreaterThan(0);
    const client = await Bun.udpSocket({});
    client.send("ping", s.port, "127.0.0.1");
    expect(pollReadable([s.fd], 5000)).toEqual([s.fd]);
    client.close();
  });

  test("a unix socket's file mode follows the bind umask", async () => {
    const dir = tempDir();
    const open = await bind({ path: join(dir, "open.sock"), umask: 0 });
    const closed = await bind({ path: join(dir, "closed.sock"), umask: 0o077 });
    expect(open.family).toBe("AF_UNIX");
    expect(statSync(open.path!).mode & 0o777).toBe(0o777);
    expect(statSync(closed.path!).mode & 0o777).toBe(0o700);
  });

  test("an existing unix path fails unless replace is set, and close deletes the file", async () => {
    const dir = tempDir();
    const path = join(dir, "taken.sock");
    writeFileSync(path, "");
    await expect(bindSocket(spec({ path }))).rejects.toThrow(/already exists/);
    const s = await bindSocket(spec({ path, replace: true }));
    expect(statSync(path).isSocket()).toBe(true);
    closeSocket(s);
    expect(existsSync(path)).toBe(false);
  });

  test("binding a taken port names the address, errno and a remedy", async () => {
    const first = await bind({});
    const err = await bindSocket(spec({ port: first.port })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OsError);
    const os = err as OsError;
    expect(os.code).toBe("EADDRINUSE");
    expect(os.syscall).toBe("bind");
    expect(os.message).toBe(
      `bind 127.0.0.1:${first.port}: address already in use (EADDRINUSE) — another process holds the port; pick another port or stop it`,
    );
  });

  test("SO_REUSEPORT lets two sockets share one port", async () => {
    const a = await bind({ reusePort: true });
    const b = await bind({ reusePort: true, port: a.port });
    expect(b.port).toBe(a.port);
  });

  test("SO_BINDTODEVICE binds to a named interface and names a missing one", async () => {
    const s = await bind({ interface: "lo" });
    expect(s.port).toBeGreaterThan(0);
    await expect(bindSocket(spec({ interface: "nosuchdev0" }))).rejects.toThrow(
      'setsockopt SO_BINDTODEVICE "nosuchdev0": no such device (ENODEV) — no network interface has that name',
    );
  });

  test("an IPv6 literal with family AF_INET is rejected with advice", async () => {
    await expect(bindSocket(spec({ host: "::1" }))).rejects.toBeInstanceOf(SocketError);
  });

  test("a family or type named after an Object.prototype member is unknown, not a lookup accident", async () => {
    const bad = (o: object) => o as Partial<SocketSpec>;
    await expect(bindSocket(spec(bad({ family: "constructor" })))).rejects.toThrow(
      'unknown socket family "constructor"',
    );
    await expect(bindSocket(spec(bad({ type: "toString" })))).rejects.toThrow('unknown socket type "toString"');
  });

  test("an unresolvable host is a SocketError naming the host", async () => {
    await expect(bindSocket(spec({ host: "no-such-host.invalid" }))).rejects.toThrow(/no-such-host\.invalid/);
  });
});

describe("pollReadable", () => {
  test("a listening socket becomes readable only once a client connects", async () => {
    const s = await bind({});
    expect(pollReadable([s.fd], 0)).toEqual([]);
    const client = await Bun.connect({ hostname: "127.0.0.1", port: s.port, socket: { data() {} } });
    expect(pollReadable([s.fd], 5000)).toEqual([s.fd]);
    client.end();
  });

  test("an empty fd list polls nothing", () => {
    expect(pollReadable([], 0)).toEqual([]);
  });
});

describe("inheritance", () => {
  test("a child given the fd through stdio serves HTTP on it", async () => {
    const s = await bind({});
    const script = "require('http').createServer((q,s)=>s.end(String(process.pid))).listen({fd: 3})";
    const child = Bun.spawn(["node", "-e", script], { stdio: ["ignore", "inherit", "inherit", s.fd] });
    children.push(child);
    expect(await servedText(`http://127.0.0.1:${s.port}/`)).toBe(String(child.pid));
  });
});

describe("peerCredentials", () => {
  test("names the uid, gid and pid of the process at the other end of a unix socket", async () => {
    const seen = Promise.withResolvers<ReturnType<typeof peerCredentials>>();
    const name = `\0circus-peercred-${process.pid}`;
    const server = Bun.listen({
      unix: name,
      socket: {
        open(s) {
          seen.resolve(peerCredentials((s as unknown as { fd: number }).fd));
          s.end();
        },
        data() {},
      },
    });
    try {
      const client = await Bun.connect({ unix: name, socket: { data() {} } });
      const cred = await seen.promise;
      expect(cred).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
      client.end();
    } finally {
      server.stop(true);
    }
  });

  test("a descriptor that is no socket is an OsError", () => {
    expect(() => peerCredentials(0)).toThrow(OsError);
  });
});
