import { describe, expect, test } from "bun:test";
import { ZmtpProtocolError } from "../../src/zmtp/errors.ts";
import { checkGreetingPrefix, encodeGreeting, parseGreeting } from "../../src/zmtp/greeting.ts";

describe("greeting", () => {
  test("ours is 64 bytes announcing ZMTP 3.1 with the NULL mechanism", () => {
    const g = encodeGreeting();
    expect(g.length).toBe(64);
    expect([g[0], g[9], g[10], g[11]]).toEqual([0xff, 0x7f, 3, 1]);
    expect(new TextDecoder().decode(g.subarray(12, 16))).toBe("NULL");
    expect(parseGreeting(g)).toEqual({ major: 3, minor: 1, mechanism: "NULL" });
  });

  test("can announce ZMTP 3.0", () => {
    expect(parseGreeting(encodeGreeting(0)).minor).toBe(0);
  });

  test("a wrong first byte is rejected as soon as it arrives", () => {
    expect(() => checkGreetingPrefix(new Uint8Array([0x47]), 1)).toThrow(ZmtpProtocolError);
  });

  test("byte 9 with its low bit clear (ZMTP 1.0) is rejected", () => {
    const g = encodeGreeting();
    g[9] = 0x7e;
    expect(() => checkGreetingPrefix(g, 10)).toThrow(/ZMTP 1.0/);
  });

  test("a major version below 3 is rejected", () => {
    const g = encodeGreeting();
    g[10] = 2;
    expect(() => parseGreeting(g)).toThrow(/3.0 or later/);
  });

  test("another security mechanism is rejected", () => {
    expect(() => parseGreeting(encodeGreeting(1, "CURVE"))).toThrow(/CURVE/);
  });

  test("padding bytes 1-8 and the as-server byte are ignored", () => {
    const g = encodeGreeting();
    g.fill(0x55, 1, 9);
    g[32] = 1;
    expect(parseGreeting(g).major).toBe(3);
  });
});
