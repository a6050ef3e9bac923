import { describe, expect, test } from "bun:test";
import { formatEndpoint, parseEndpoint } from "../../src/zmtp/endpoint.ts";
import { EndpointError } from "../../src/zmtp/errors.ts";

describe("endpoint parser", () => {
  test("reads tcp hosts: IPv4, bracketed IPv6, * and hostnames", () => {
    expect(parseEndpoint("tcp://127.0.0.1:5555")).toEqual({ transport: "tcp", host: "127.0.0.1", port: 5555 });
    expect(parseEndpoint("tcp://[::1]:0")).toEqual({ transport: "tcp", host: "::1", port: 0 });
    expect(parseEndpoint("tcp://*:*")).toEqual({ transport: "tcp", host: "*", port: 0 });
    expect(parseEndpoint("tcp://localhost:80")).toEqual({ transport: "tcp", host: "localhost", port: 80 });
  });

  test("reads ipc paths, relative, absolute and abstract", () => {
    expect(parseEndpoint("ipc:///tmp/x.sock")).toEqual({ transport: "ipc", path: "/tmp/x.sock", abstract: false });
    expect(parseEndpoint("ipc://rel.sock")).toEqual({ transport: "ipc", path: "rel.sock", abstract: false });
    expect(parseEndpoint("ipc://@circus")).toEqual({ transport: "ipc", path: "circus", abstract: true });
  });

  test("formats back, bracketing IPv6", () => {
    for (const e of ["tcp://[::1]:1", "tcp://0.0.0.0:2", "ipc://@a", "ipc:///x"])
      expect(formatEndpoint(parseEndpoint(e))).toBe(e);
  });

  test.each([
    ["localhost:5555", /expected "tcp/],
    ["udp://1.2.3.4:5", /unsupported transport "udp"/],
    ["tcp://127.0.0.1", /missing port/],
    ["tcp://127.0.0.1:99999", /0 to 65535/],
    ["tcp://127.0.0.1:http", /not a number/],
    ["tcp://:5", /missing host/],
    ["tcp://::1:5", /brackets/],
    ["ipc://", /missing path/],
    ["ipc://@", /abstract/],
  ])("rejects %p with a message saying what to fix", (text, why) => {
    expect(() => parseEndpoint(text)).toThrow(EndpointError);
    expect(() => parseEndpoint(text)).toThrow(why);
  });

  test("an ipc path over 107 bytes is rejected with the limit in the message", () => {
    expect(() => parseEndpoint("ipc:///" + "x".repeat(107))).toThrow(/limit is 107/);
    expect(parseEndpoint("ipc:///" + "x".repeat(106)).transport).toBe("ipc");
  });
});
