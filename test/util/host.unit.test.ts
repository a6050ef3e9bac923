import { describe, expect, test } from "bun:test";
import { HostResolutionError, ipVersion, isLoopbackHost, resolveHost } from "../../src/util/host.ts";

describe("ipVersion", () => {
  test("tells IPv4 and IPv6 literals from host names", () => {
    expect(ipVersion("127.0.0.1")).toBe(4);
    expect(ipVersion("256.0.0.1")).toBe(0);
    expect(ipVersion("::1")).toBe(6);
    expect(ipVersion("::")).toBe(6);
    expect(ipVersion("fe80::1:2")).toBe(6);
    expect(ipVersion("2001:db8:0:0:0:0:0:1")).toBe(6);
    expect(ipVersion("::ffff:10.0.0.1")).toBe(6);
    expect(ipVersion("1:2:3:4:5:6:7:8:9")).toBe(0);
    expect(ipVersion("localhost")).toBe(0);
    expect(ipVersion("dead")).toBe(0);
  });
});

describe("resolveHost", () => {
  test("literals of the wanted version pass through, a scope included", async () => {
    expect(await resolveHost("10.1.2.3", 4)).toBe("10.1.2.3");
    expect(await resolveHost("::1", 6)).toBe("::1");
    expect(await resolveHost("fe80::1%lo", 6)).toBe("fe80::1%lo");
    expect(await resolveHost("::1", "any")).toBe("::1");
  });

  test("* and the empty host are the wildcard of the version", async () => {
    expect(await resolveHost("*", 4)).toBe("0.0.0.0");
    expect(await resolveHost("", 6)).toBe("::");
  });

  test("a literal of the other version is refused and says so", async () => {
    const err = await resolveHost("::1", 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostResolutionError);
    expect(err).toMatchObject({ problem: "wrong-version", message: 'host "::1" is an IPv6 address, not an IPv4 one' });
  });

  test("localhost resolves through the system resolver", async () => {
    expect(await resolveHost("localhost", 4)).toBe("127.0.0.1");
  });

  test("a name that does not resolve is a typed error keeping the resolver's reason", async () => {
    const err = await resolveHost("no-such-host.invalid", 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostResolutionError);
    expect(err).toMatchObject({ host: "no-such-host.invalid", problem: "unresolvable" });
    expect((err as Error).cause).toBeDefined();
    expect((err as Error).message).toStartWith('host "no-such-host.invalid" cannot be resolved to an IPv4 address (');
  });
});

describe("isLoopbackHost", () => {
  test("loopback means localhost, 127/8 and ::1, nothing a name could turn elsewhere", () => {
    for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "app.localhost"])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "localhost.example.com", "128.0.0.1", "127.0.0.256"])
      expect(isLoopbackHost(h)).toBe(false);
  });
});
