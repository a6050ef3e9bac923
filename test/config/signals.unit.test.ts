import { describe, expect, test } from "bun:test";
import { signalName, signalNumber, UnknownSignalError } from "../../src/os/signals.ts";

describe("signalNumber", () => {
  test("names resolve with or without SIG, in any case", () => {
    expect(signalNumber("TERM")).toBe(15);
    expect(signalNumber("SIGTERM")).toBe(15);
    expect(signalNumber("sigterm")).toBe(15);
    expect(signalNumber("Quit")).toBe(3);
    expect(signalNumber("kill")).toBe(9);
    expect(signalNumber("USR1")).toBe(10);
    expect(signalNumber("CHLD")).toBe(17);
  });

  test("numbers and digit strings pass through", () => {
    expect(signalNumber(15)).toBe(15);
    expect(signalNumber(" 9 ")).toBe(9);
  });

  test("an RTMIN+N offset counts up from SIGRTMIN", () => {
    expect(signalNumber("RTMIN")).toBe(34);
    expect(signalNumber("SIGRTMIN+2")).toBe(36);
    expect(signalNumber("rtmax")).toBe(64);
  });

  test("unknown names and out-of-range numbers throw a typed error", () => {
    expect(() => signalNumber("SIGFOO")).toThrow(UnknownSignalError);
    expect(() => signalNumber(65)).toThrow(UnknownSignalError);
    expect(() => signalNumber("RTMAX+1")).toThrow(UnknownSignalError);
    expect(() => signalNumber("")).toThrow(UnknownSignalError);
    // Names of Object.prototype members are not signals either.
    for (const name of ["constructor", "toString", "__proto__", "SIGvalueOf", "hasOwnProperty"]) {
      expect(() => signalNumber(name)).toThrow(UnknownSignalError);
    }
  });
});

describe("signalName", () => {
  test("numbers map to canonical SIG names", () => {
    expect(signalName(15)).toBe("SIGTERM");
    expect(signalName(6)).toBe("SIGABRT");
    expect(signalName(36)).toBe("SIGRTMIN+2");
  });

  test("a number without a name comes back as text", () => {
    expect(signalName(32)).toBe("32");
  });
});
