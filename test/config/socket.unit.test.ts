import { describe, expect, test } from "bun:test";
import { loadText, problemsOf, warningsOf } from "./fixture.ts";

const W = "[watcher:w]\ncmd = x\n";

describe("[socket:NAME] sections", () => {
  test("a socket gets Circus's defaults and a lower-cased name", async () => {
    const c = await loadText("[socket:Web]\nport = 9000\n" + W);
    expect(c.sockets[0]).toMatchObject({
      name: "web",
      host: "localhost",
      port: 9000,
      family: "AF_INET",
      type: "SOCK_STREAM",
      proto: 0,
      backlog: 2048,
      path: null,
      umask: 8,
      replace: false,
      interface: null,
      so_reuseport: false,
      blocking: false,
      raw: { port: "9000" },
    });
  });

  test("defaults apply when only a host is given", async () => {
    expect((await loadText("[socket:a]\nhost = 0.0.0.0\n" + W)).sockets[0]?.port).toBe(8080);
  });

  test("family and type are case-insensitive and proto names become numbers", async () => {
    const s = (await loadText("[socket:u]\nhost = ::1\nfamily = af_inet6\ntype = sock_dgram\nproto = udp\n" + W))
      .sockets[0];
    expect([s?.family, s?.type, s?.proto]).toEqual(["AF_INET6", "SOCK_DGRAM", 17]);
  });

  test("proto takes any name or alias of /etc/protocols (as getprotobyname), in any case, or a number", async () => {
    const protos = async (p: string) =>
      (await loadText(`[socket:s]\nhost = 127.0.0.1\nproto = ${p}\n` + W)).sockets[0]!.proto;
    expect([await protos("TCP"), await protos("dccp"), await protos("IPv6-ICMP"), await protos("132")]).toEqual([
      6, 33, 58, 132,
    ]);
    expect((await problemsOf("[socket:s]\nproto = tcpp\n" + W))[0]).toContain(
      'socket:s.proto: "tcpp" is not a protocol',
    );
    expect((await problemsOf("[socket:s]\nproto = constructor\n" + W))[0]).toContain(
      'socket:s.proto: "constructor" is not a protocol',
    );
  });

  test("a path forces AF_UNIX", async () => {
    const s = (await loadText("[socket:u]\npath = /tmp/x.sock\nreplace = true\n" + W)).sockets[0];
    expect([s?.family, s?.path, s?.replace]).toEqual(["AF_UNIX", "/tmp/x.sock", true]);
  });

  test("umask is read as a decimal number, like Circus does", async () => {
    expect((await loadText("[socket:u]\npath = /tmp/x.sock\numask = 022\n" + W)).sockets[0]?.umask).toBe(22);
  });

  test("sockets keep file order", async () => {
    const c = await loadText("[socket:b]\nport = 1\n[socket:a]\nport = 2\n" + W);
    expect(c.sockets.map((s) => s.name)).toEqual(["b", "a"]);
  });

  test("a bad family is a problem listing the accepted ones", async () => {
    expect(await problemsOf("[socket:s]\nfamily = AF_BOGUS\n" + W)).toEqual([
      'circus.ini:2: socket:s.family: "AF_BOGUS" is not a socket family, expected one of AF_INET, AF_INET6, AF_UNIX',
    ]);
  });

  test("a bad port is a problem", async () => {
    expect((await problemsOf("[socket:s]\nport = 70000\n" + W))[0]).toBe(
      "circus.ini:2: socket:s.port: 70000 is out of range, expected 0 to 65535",
    );
  });

  test("unknown socket keys warn, with a suggestion when close", async () => {
    expect(await warningsOf("[socket:s]\nbacklg = 10\n" + W)).toEqual([
      'socket:s.backlg: unknown socket option, ignored; did you mean "backlog"?',
    ]);
  });
});
