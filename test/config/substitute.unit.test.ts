import { describe, expect, test } from "bun:test";
import { substitute } from "../../src/config/substitute.ts";

describe("substitute", () => {
  test("replaces $(circus.KEY) and ((circus.KEY))", () => {
    expect(substitute("--fd $(circus.sockets.web) --wid ((circus.wid))", { "sockets.web": "3", wid: "1" })).toBe(
      "--fd 3 --wid 1",
    );
  });

  test("matches the circus prefix and the key case-insensitively", () => {
    expect(substitute("$(CIRCUS.Env.Home)", { "env.HOME": "/root" })).toBe("/root");
    expect(substitute("((Circus.WID))", { wid: "2" })).toBe("2");
  });

  test("leaves unknown keys and other prefixes untouched", () => {
    expect(substitute("$(circus.sockets.api) $(other.wid) $(wid)", { wid: "1" })).toBe(
      "$(circus.sockets.api) $(other.wid) $(wid)",
    );
  });

  test("is a single pass: substituted text is not substituted again", () => {
    expect(substitute("$(circus.env.A)", { "env.A": "$(circus.env.B)", "env.B": "x" })).toBe("$(circus.env.B)");
  });

  test("keys may contain dots, dashes and underscores", () => {
    expect(substitute("$(circus.env.MY-VAR_1)", { "env.my-var_1": "ok" })).toBe("ok");
  });
});
